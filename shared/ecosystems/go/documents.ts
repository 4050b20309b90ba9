import { HttpError } from '../../http-error.js';
import type { MetadataRoute, ParsedMetadata, RenderContext, Rendered } from '../types.js';
import { isCanonicalVersion } from './paths.js';
import type { GoDocumentKind } from './routes.js';

/**
 * The Go proxy's metadata documents: @v/list (versions, no publish times: those are in each
 * version's .info), .info documents (@latest and resolved queries: {"Version", "Time"}), and
 * the checksum database's files, which are served as fetched. No document declares artifacts:
 * .info, .mod and .zip name their version in their path.
 */

type GoDocument = { kind: 'list'; lines: string[] } | { kind: 'info'; version: string; body: Buffer } | { kind: 'sumdb'; body: Buffer };

const HASH_SIZE = 32;

export class InvalidGoDocument extends Error {}

export function parseGoDocument(route: MetadataRoute, body: Buffer): ParsedMetadata {
  const kind = route.variant as GoDocumentKind;
  switch (kind) {
    case 'list':
      return parseList(route.package, body);
    case 'info':
      return parseInfo(route.package, body);
    case 'sumdb-tile':
      // A tile is a run of SHA-256 hashes.
      if (body.length === 0 || body.length % HASH_SIZE !== 0) throw new InvalidGoDocument(`${route.docKey} is ${body.length} bytes, not a whole number of hashes`);
      return parsed(route.package, [], { kind: 'sumdb', body });
    case 'sumdb-text':
      return parsed(route.package, [], { kind: 'sumdb', body });
  }
}

export function renderGoDocument(route: MetadataRoute, { document }: ParsedMetadata, context: RenderContext): Rendered {
  const doc = document as GoDocument;
  switch (doc.kind) {
    case 'list': {
      const visible = doc.lines.filter((line) => !context.hidden.has(firstField(line)));
      return { body: Buffer.from(visible.map((line) => `${line}\n`).join('')), contentType: 'text/plain; charset=utf-8' };
    }
    case 'info': {
      // A 404 would send GOPROXY=<proxy>,direct around the cooldown; 403 stops the go command, which prints the reason.
      const reason = context.hidden.get(doc.version);
      if (reason !== undefined) throw new HttpError(403, `refused by policy: ${reason}`);
      return { body: doc.body, contentType: 'application/json' };
    }
    case 'sumdb':
      return { body: doc.body, contentType: route.variant === 'sumdb-tile' ? 'application/octet-stream' : 'text/plain; charset=utf-8' };
  }
}

/** One version a line; a line may carry a timestamp after the version, which the go command also reads. */
function parseList(module: string, body: Buffer): ParsedMetadata {
  const lines = text(body, `version list of ${module}`)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  for (const line of lines) {
    if (!isCanonicalVersion(firstField(line))) throw new InvalidGoDocument(`version list of ${module} has a line that is not a version: ${JSON.stringify(line.slice(0, 100))}`);
  }
  const versions = [...new Set(lines.map(firstField))].map((version) => ({ version, publishedAt: null, yanked: false }));
  return parsed(module, versions, { kind: 'list', lines });
}

function parseInfo(module: string, body: Buffer): ParsedMetadata {
  const info = parseInfoJson(body, module);
  return parsed(module, [{ version: info.version, publishedAt: info.time, yanked: false }], { kind: 'info', version: info.version, body });
}

/** Reads a .info document: its canonical Version and its Time (null when absent). */
export function parseInfoJson(body: Buffer, module: string): { version: string; time: number | null } {
  let info: unknown;
  try {
    info = JSON.parse(text(body, `.info of ${module}`));
  } catch (err) {
    throw new InvalidGoDocument(`.info of ${module} is not JSON: ${(err as Error).message}`);
  }
  const { Version, Time } = (typeof info === 'object' && info !== null ? info : {}) as { Version?: unknown; Time?: unknown };
  if (typeof Version !== 'string' || !isCanonicalVersion(Version)) throw new InvalidGoDocument(`.info of ${module} has no canonical Version`);
  const time = typeof Time === 'string' ? Date.parse(Time) : NaN;
  return { version: Version, time: Number.isNaN(time) ? null : time };
}

function firstField(line: string): string {
  return line.split(/\s+/, 1)[0]!;
}

function text(body: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new InvalidGoDocument(`${what} is not UTF-8 text`);
  }
}

function parsed(module: string, versions: ParsedMetadata['versions'], document: GoDocument): ParsedMetadata {
  return { package: module, versions, artifacts: [], document };
}
