import { createHash } from 'node:crypto';
import { HttpError } from '../../http-error.js';
import type { MetadataRoute, ParsedMetadata, RenderContext, Rendered } from '../types.js';
import { isSnapshot } from './coordinates.js';
import { snapshotOf, type ElementSpan, type MavenMetadata } from './metadata.js';
import type { MetadataVariant } from './routes.js';

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Writes maven-metadata.xml for a client: hidden versions gone from <versions>, <latest> and
 * <release> moved to the most recently deployed version still visible (or gone with none), and
 * an XML comment per hidden version saying why, for whoever reads the file. Variant
 * "sha1"/"md5"/... answers that checksum of the rendered document, which is what Maven
 * verifies it against: upstream's own sidecar describes a document the client never sees.
 * A version-level document of a hidden SNAPSHOT is refused like the SNAPSHOT's files.
 */
export function renderMavenMetadata(route: MetadataRoute, parsed: ParsedMetadata, context: RenderContext): Rendered {
  const snapshot = snapshotOf(route);
  const refusal = snapshot === undefined ? undefined : context.hidden.get(snapshot);
  if (refusal !== undefined) throw new HttpError(403, `refused by policy: ${refusal}`);

  const xml = Buffer.from(visibleDocument(parsed.document as MavenMetadata, new Set(parsed.versions.map((v) => v.version)), context.hidden), 'latin1');
  const variant = route.variant as MetadataVariant;
  if (variant === 'xml') return { body: xml, contentType: 'text/xml' };
  return { body: Buffer.from(createHash(variant).update(xml).digest('hex')), contentType: 'text/plain' };
}

function visibleDocument(doc: MavenMetadata, valid: ReadonlySet<string>, hidden: ReadonlyMap<string, string>): string {
  const shown = (version: string) => valid.has(version) && !hidden.has(version);
  const edits: Edit[] = doc.versions.filter((v) => !shown(v.value)).map((v) => ({ start: v.start, end: v.end, text: '' }));
  const visible = doc.versions.map((v) => v.value).filter(shown);
  edits.push(...moveTag(doc.latest, visible, shown));
  edits.push(...moveTag(doc.release, visible.filter((v) => !isSnapshot(v)), shown));

  const hiddenListed = [...new Set(doc.versions.map((v) => v.value))].filter((v) => hidden.has(v));
  if (hiddenListed.length > 0) {
    // "--" may not appear inside an XML comment.
    const notes = hiddenListed.map((v) => `  <!-- pkgproxy hides ${v}: ${hidden.get(v)!.replaceAll('--', '- -')} -->\n`).join('');
    edits.push({ start: doc.closeAt, end: doc.closeAt, text: notes });
  }

  let out = doc.text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

/** <latest>/<release> on a version not shown moves to the last one shown, or goes. */
function moveTag(tag: ElementSpan | undefined, candidates: string[], shown: (version: string) => boolean): Edit[] {
  if (!tag || shown(tag.value)) return [];
  const replacement = candidates.at(-1);
  return [replacement === undefined ? { start: tag.start, end: tag.end, text: '' } : { start: tag.valueStart, end: tag.valueEnd, text: replacement }];
}
