import { notFound } from '../../http-error.js';
import type { ParsedMetadata, RenderContext, Rendered } from '../types.js';
import { declarationsOf, parseUploadTime, proxyFileUrl, versionsOf, type FileFacts } from './files.js';
import { normalizeName, versionOfFile } from './names.js';
import { compareVersions, isPrerelease, normalizeVersion } from './versions.js';

/** PyPI's JSON API document (/pypi/<project>/json, /pypi/<project>/<version>/json); other keys are kept. */
export interface JsonApiDocument {
  info: { name: string; version: string; [key: string]: unknown };
  releases?: Record<string, JsonApiFile[]>;
  urls?: JsonApiFile[];
  [key: string]: unknown;
}

export interface JsonApiFile {
  filename: string;
  url: string;
  digests?: Record<string, string>;
  md5_digest?: string;
  upload_time?: string;
  upload_time_iso_8601?: string;
  yanked?: boolean;
  [key: string]: unknown;
}

/** Fields of `info` that describe one release's contents, unknown for any other release. */
const RELEASE_FIELDS = ['requires_dist', 'requires_python', 'release_url', 'yanked_reason'];

export class InvalidJsonApiDocument extends Error {}

export function parseJsonApi(project: string, body: Buffer, documentUrl?: string): ParsedMetadata {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidJsonApiDocument(`JSON API document of ${project} is not JSON: ${(err as Error).message}`);
  }
  const info = (doc as JsonApiDocument | null)?.info;
  if (typeof info?.name !== 'string' || typeof info.version !== 'string') throw new InvalidJsonApiDocument(`JSON API document of ${project} has no info.name and info.version`);
  if (normalizeName(info.name) !== project) throw new InvalidJsonApiDocument(`upstream answered the JSON API document of ${JSON.stringify(info.name)} when asked for ${JSON.stringify(project)}`);
  const api = doc as JsonApiDocument;
  const facts = [...Object.values(api.releases ?? {}).flat(), ...(api.urls ?? [])].filter(isFile).map(factsOf);
  return { package: project, versions: versionsOf(project, facts), artifacts: declarationsOf(project, facts, documentUrl), document: api };
}

function isFile(file: unknown): file is JsonApiFile {
  return typeof (file as JsonApiFile | null)?.filename === 'string' && typeof (file as JsonApiFile).url === 'string';
}

function factsOf(file: JsonApiFile): FileFacts {
  const hashes = { ...(typeof file.md5_digest === 'string' ? { md5: file.md5_digest } : {}), ...(file.digests ?? {}) };
  return { filename: file.filename, url: file.url, hashes, uploadedAt: parseUploadTime(file.upload_time_iso_8601 ?? file.upload_time), yanked: file.yanked === true };
}

/**
 * Writes a JSON API document for a client: hidden releases gone from `releases`, file URLs on
 * the proxy. When the release `info` and `urls` describe is hidden, they move to the newest
 * visible release, and the fields that only the hidden release's own metadata could tell
 * (requires_dist, requires_python, ...) become null. A hidden release's own document is 404.
 */
export function renderJsonApi(project: string, variant: string, doc: JsonApiDocument, context: RenderContext): Rendered {
  const visibleFiles = (files: JsonApiFile[] | undefined) =>
    (files ?? []).filter((f) => isFile(f) && versionOfFile(project, f.filename) !== undefined).map((f) => ({ ...f, url: proxyFileUrl(context.mountUrl, project, f.filename) }));
  const releases = Object.fromEntries(
    Object.entries(doc.releases ?? {})
      .filter(([version]) => !context.hidden.has(normalizeVersion(version)))
      .map(([version, files]) => [version, visibleFiles(files)]),
  );
  const shown = normalizeVersion(doc.info.version);
  let info = doc.info;
  let urls = visibleFiles(doc.urls);
  if (context.hidden.has(shown)) {
    const reason = context.hidden.get(shown)!;
    const newest = variant === 'project' ? newestRelease(releases) : undefined;
    if (newest === undefined) throw notFound(`${project}@${doc.info.version} is hidden by policy: ${reason}`);
    urls = releases[newest]!;
    info = { ...info, version: newest, yanked: urls.length > 0 && urls.every((f) => f.yanked === true), ...Object.fromEntries(RELEASE_FIELDS.map((k) => [k, null])) };
  }
  const out = { ...doc, info, urls, ...(doc.releases ? { releases } : {}) };
  return { body: Buffer.from(JSON.stringify(out)), contentType: 'application/json' };
}

/** The newest release with files, as PyPI picks info.version: a final release if there is one. */
function newestRelease(releases: Record<string, JsonApiFile[]>): string | undefined {
  const candidates = Object.keys(releases).filter((v) => releases[v]!.length > 0);
  const finals = candidates.filter((v) => !isPrerelease(v));
  return (finals.length > 0 ? finals : candidates).sort(compareVersions).at(-1);
}
