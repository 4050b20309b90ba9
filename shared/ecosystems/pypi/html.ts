/**
 * Just enough HTML for PEP 503 pages: the anchors, with their attributes. Index pages are
 * machine-written; this is not a general parser.
 */

export interface Anchor {
  attributes: Map<string, string>;
  text: string;
}

const ANCHOR = /<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi;
const ATTRIBUTE = /([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
const ENTITY = /&(?:#(\d+)|#x([0-9a-f]+)|(amp|lt|gt|quot|apos));/gi;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseAnchors(html: string): Anchor[] {
  return [...html.matchAll(ANCHOR)].map((m) => ({ attributes: parseAttributes(m[1]!), text: unescapeHtml(m[2]!.replace(/<[^>]*>/g, '')).trim() }));
}

function parseAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const m of text.matchAll(ATTRIBUTE)) {
    const name = m[1]!.toLowerCase();
    if (!attributes.has(name)) attributes.set(name, unescapeHtml(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return attributes;
}

export function unescapeHtml(text: string): string {
  return text.replace(ENTITY, (whole, decimal: string | undefined, hex: string | undefined, named: string | undefined) => {
    const code = decimal !== undefined ? Number(decimal) : hex !== undefined ? parseInt(hex, 16) : undefined;
    if (code !== undefined) return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    return NAMED[named!.toLowerCase()] ?? whole;
  });
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
