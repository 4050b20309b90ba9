import type { VersionSeen } from '../../db/versions.js';
import type { ParsedMetadata, RenderContext, Rendered } from '../types.js';

/** One line of a crate's index file: one version. */
export interface IndexEntry {
  /** The crate's name as published (index paths are lowercase, names need not be). */
  name: string;
  version: string;
  /** sha256 of the .crate file, hex. */
  cksum: string;
  yanked: boolean;
  publishedAt: number | null;
  /** The line as the upstream sent it, served unchanged. */
  text: string;
}

export interface IndexFile {
  entries: IndexEntry[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** RFC 3339 with a time zone; crates.io writes "2025-11-12T19:30:12Z". */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;

export class InvalidIndexFile extends Error {}

/**
 * Reads a sparse index file: one JSON object per line (name, vers, deps, cksum, features,
 * yanked, and `pubtime` where the registry records it). A line Cargo could not use makes the
 * whole file invalid, so that an error page is never taken for an index.
 */
export function parseIndexFile(crate: string, body: Buffer): ParsedMetadata {
  const entries: IndexEntry[] = [];
  const lines = body.toString('utf8').split('\n');
  for (const [i, raw] of lines.entries()) {
    const text = raw.trim();
    if (text === '') continue;
    const where = `line ${i + 1} of the index file of ${crate}`;
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new InvalidIndexFile(`${where} is not JSON: ${(err as Error).message}`);
    }
    if (typeof line !== 'object' || line === null || Array.isArray(line)) throw new InvalidIndexFile(`${where} is not a JSON object`);
    const { name, vers, cksum, yanked, pubtime } = line;
    if (typeof name !== 'string' || name.toLowerCase() !== crate) throw new InvalidIndexFile(`${where} is about ${JSON.stringify(name)}`);
    if (typeof vers !== 'string' || vers === '') throw new InvalidIndexFile(`${where} has no "vers"`);
    if (typeof cksum !== 'string' || !SHA256_HEX.test(cksum)) throw new InvalidIndexFile(`${where} has no sha256 "cksum"`);
    entries.push({ name, version: vers, cksum, yanked: yanked === true, publishedAt: publishTime(pubtime), text });
  }
  const versions: VersionSeen[] = entries.map((e) => ({ version: e.version, publishedAt: e.publishedAt, yanked: e.yanked }));
  const document: IndexFile = { entries };
  // Where the .crate files live is in the upstream's config.json: declareArtifacts says.
  return { package: crate, versions, artifacts: [], document };
}

/** The index file without the lines of hidden versions; the others byte for byte. */
export function renderIndexFile(file: IndexFile, context: RenderContext): Rendered {
  const visible = file.entries.filter((e) => !context.hidden.has(e.version));
  const body = visible.map((e) => `${e.text}\n`).join('');
  return { body: Buffer.from(body), contentType: 'text/plain; charset=utf-8' };
}

function publishTime(pubtime: unknown): number | null {
  if (typeof pubtime !== 'string' || !RFC3339.test(pubtime)) return null;
  const ms = Date.parse(pubtime);
  return Number.isNaN(ms) ? null : ms;
}
