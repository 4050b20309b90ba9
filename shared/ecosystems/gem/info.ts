import { createHash } from 'node:crypto';
import type { VersionSeen } from '../../db/versions.js';
import type { ArtifactDeclaration, ParsedMetadata, RenderContext, Rendered } from '../types.js';
import { VERSION_KEY } from './names.js';
import { gemFilePath, quickSpecPath } from './routes.js';

/**
 * A compact index /info/<name> file: "---", then one line per version, oldest first:
 *   <version>[-<platform>] <dep>:<req>&<req>,<dep>:<req>|checksum:<sha256>,ruby:<req>,rubygems:<req>
 * Newer servers may add ",created_at:<time>" after the checksum; rubygems.org does not.
 */
export interface InfoDocument {
  kind: 'info';
  /** The file split at "\n", so that joining what is kept gives back the upstream bytes. */
  lines: string[];
  /** Index into `lines` of the first version line, after the "---" header. */
  firstVersionLine: number;
}

export const COMPACT_INDEX_TYPE = 'text/plain; charset=utf-8';

export class InvalidInfo extends Error {}

export function parseInfo(name: string, body: Buffer, source: { url: string } | undefined): ParsedMetadata {
  const lines = body.toString('utf8').split('\n');
  const firstVersionLine = lines.indexOf('---') + 1;
  const seen = new Set<string>();
  const versions: VersionSeen[] = [];
  const artifacts: ArtifactDeclaration[] = [];
  for (let i = firstVersionLine; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const version = versionOf(line);
    if (!VERSION_KEY.test(version)) throw new InvalidInfo(`line ${i + 1} of info/${name} is not a compact index line: ${JSON.stringify(line.slice(0, 80))}`);
    if (seen.has(version)) continue;
    seen.add(version);
    const bar = line.indexOf('|');
    const { sha256, createdAt } = requirements(bar < 0 ? '' : line.slice(bar + 1));
    versions.push({ version, publishedAt: createdAt, yanked: false });
    // Gems and quick specs live on the upstream that answered, beside its info/ directory.
    if (!source) continue;
    const gem = gemFilePath(name, version);
    const spec = quickSpecPath(name, version);
    artifacts.push({ path: gem, version, upstreamUrl: new URL(`../${gem}`, source.url).href, checksums: sha256 ? [{ algorithm: 'sha256', hex: sha256 }] : [] });
    // The index declares no digest of a quick spec: it is stored as the upstream sends it.
    artifacts.push({ path: spec, version, upstreamUrl: new URL(`../${spec}`, source.url).href, checksums: [] });
  }
  const document: InfoDocument = { kind: 'info', lines, firstVersionLine };
  return { package: name, versions, artifacts, document };
}

function versionOf(line: string): string {
  const space = line.indexOf(' ');
  return space < 0 ? line : line.slice(0, space);
}

/** The checksum and publish time among "checksum:<hex>,ruby:>= 2.7,created_at:<time>". */
function requirements(text: string): { sha256: string | undefined; createdAt: number | null } {
  let sha256: string | undefined;
  let createdAt: number | null = null;
  for (const entry of text.split(',')) {
    const colon = entry.indexOf(':');
    const key = entry.slice(0, colon);
    const value = entry.slice(colon + 1);
    if (key === 'checksum' && /^[0-9a-f]{64}$/i.test(value)) sha256 = value.toLowerCase();
    if (key === 'created_at') {
      const time = Date.parse(value);
      if (!Number.isNaN(time)) createdAt = time;
    }
  }
  return { sha256, createdAt };
}

/**
 * The file without the lines of hidden versions. With nothing hidden it is the upstream's
 * bytes, so its MD5 is still the one /versions lists for it. The ETag is the body's quoted MD5,
 * as the compact index defines it: Bundler checks it.
 */
export function renderInfo(document: InfoDocument, context: RenderContext): Rendered {
  const { lines, firstVersionLine } = document;
  const kept = context.hidden.size === 0 ? lines : lines.filter((line, i) => i < firstVersionLine || !context.hidden.has(versionOf(line)));
  return compactIndexFile(Buffer.from(kept.join('\n')));
}

export function compactIndexFile(body: Buffer): Rendered {
  return { body, contentType: COMPACT_INDEX_TYPE, etag: `"${createHash('md5').update(body).digest('hex')}"` };
}
