import type { ParsedMetadata, RenderContext, Rendered } from '../types.js';
import { escapeHtml, parseAnchors } from './html.js';
import { coreMetadataHashes, declarationsOf, parseUploadTime, proxyFileUrl, versionsOf, type FileFacts } from './files.js';
import { normalizeName, versionOfFile } from './names.js';
import { SIMPLE_CONTENT_TYPES, type SimpleFormat } from './routes.js';
import { normalizeVersion } from './versions.js';

/** A project page in PEP 691 JSON form, whichever form upstream sent; keys pkgproxy does not know are kept. */
export interface ProjectPage {
  meta: { 'api-version': string; [key: string]: unknown };
  name: string;
  files: PageFile[];
  /** PEP 700 (api-version 1.1): every version, including those without files. */
  versions?: string[];
  [key: string]: unknown;
}

export interface PageFile {
  filename: string;
  url: string;
  hashes: Record<string, string>;
  'requires-python'?: string;
  yanked?: boolean | string;
  'core-metadata'?: boolean | Record<string, string>;
  'dist-info-metadata'?: boolean | Record<string, string>;
  /** The name PyPI's JSON actually used for dist-info-metadata before PEP 714. */
  'data-dist-info-metadata'?: boolean | Record<string, string>;
  'gpg-sig'?: boolean;
  'upload-time'?: string;
  [key: string]: unknown;
}

export class InvalidProjectPage extends Error {}

/**
 * Reads a project page, PEP 691 JSON or PEP 503 HTML (told apart by their first character),
 * into its files, versions and artifact declarations. documentUrl is where it was fetched:
 * relative file URLs resolve against it.
 */
export function parseProjectPage(project: string, body: Buffer, documentUrl?: string): ParsedMetadata {
  const text = body.toString('utf8');
  const page = text.trimStart().startsWith('{') ? readJson(project, text) : readHtml(project, text);
  const facts = page.files.map(factsOf);
  return { package: project, versions: versionsOf(project, facts), artifacts: declarationsOf(project, facts, documentUrl), document: page };
}

function readJson(project: string, text: string): ProjectPage {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InvalidProjectPage(`project page of ${project} is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc) || !Array.isArray(doc.files)) throw new InvalidProjectPage(`project page of ${project} has no files list`);
  if (typeof doc.name === 'string' && normalizeName(doc.name) !== project) {
    throw new InvalidProjectPage(`upstream answered the project page of ${JSON.stringify(doc.name)} when asked for ${JSON.stringify(project)}`);
  }
  const files = doc.files.filter((f): f is PageFile => isObject(f) && typeof f.filename === 'string' && typeof f.url === 'string');
  for (const file of files) if (!isObject(file.hashes)) file.hashes = {};
  const meta = isObject(doc.meta) && typeof doc.meta['api-version'] === 'string' ? (doc.meta as ProjectPage['meta']) : { 'api-version': '1.0' };
  const versions = Array.isArray(doc.versions) ? doc.versions.filter((v): v is string => typeof v === 'string') : undefined;
  return { ...doc, meta, name: typeof doc.name === 'string' ? doc.name : project, files, ...(versions ? { versions } : {}) };
}

/** PEP 503 anchors become PEP 691 file entries: the hash from the URL fragment, data-* attributes as keys. */
function readHtml(project: string, html: string): ProjectPage {
  if (!/<html|<a\b|<!doctype/i.test(html)) throw new InvalidProjectPage(`project page of ${project} is neither JSON nor HTML`);
  const files: PageFile[] = [];
  for (const { attributes, text } of parseAnchors(html)) {
    const href = attributes.get('href');
    if (!href) continue;
    const [url = '', fragment = ''] = href.split('#', 2);
    const filename = text || decodeURIComponent(url.split('?')[0]!.split('/').pop() ?? '');
    const file: PageFile = { filename, url, hashes: {} };
    const hash = /^([a-z0-9_]+)=([0-9a-f]+)$/i.exec(fragment);
    if (hash) file.hashes[hash[1]!.toLowerCase()] = hash[2]!.toLowerCase();
    const requiresPython = attributes.get('data-requires-python');
    if (requiresPython) file['requires-python'] = requiresPython;
    const yanked = attributes.get('data-yanked');
    if (yanked !== undefined) file.yanked = yanked === '' ? true : yanked;
    for (const key of ['core-metadata', 'dist-info-metadata'] as const) {
      const value = metadataAttribute(attributes.get(`data-${key}`));
      if (value !== undefined) file[key] = value;
    }
    const gpgSig = attributes.get('data-gpg-sig');
    if (gpgSig === 'true' || gpgSig === 'false') file['gpg-sig'] = gpgSig === 'true';
    files.push(file);
  }
  // HTML carries none of the keys later API versions add to the JSON form (versions, size, upload-time).
  return { meta: { 'api-version': '1.0' }, name: project, files };
}

/** data-core-metadata="true" or "sha256=<hex>". */
function metadataAttribute(value: string | undefined): PageFile['core-metadata'] | undefined {
  if (value === undefined || value === 'false') return undefined;
  const hash = /^([a-z0-9_]+)=([0-9a-f]+)$/i.exec(value);
  return hash ? { [hash[1]!.toLowerCase()]: hash[2]!.toLowerCase() } : true;
}

function factsOf(file: PageFile): FileFacts {
  return {
    filename: file.filename,
    url: file.url,
    hashes: file.hashes,
    uploadedAt: parseUploadTime(file['upload-time']),
    yanked: file.yanked !== undefined && file.yanked !== false,
    coreMetadata: coreMetadataHashes(file['core-metadata'] ?? file['dist-info-metadata'] ?? file['data-dist-info-metadata']),
  };
}

/**
 * Writes a project page for a client in the negotiated format: files of hidden versions
 * (and files that name no version, which the proxy cannot serve) removed, URLs pointing at
 * the proxy, hashes, requires-python, yanked and core-metadata kept.
 */
export function renderProjectPage(project: string, format: SimpleFormat, page: ProjectPage, context: RenderContext): Rendered {
  const files: PageFile[] = [];
  for (const file of page.files) {
    const version = versionOfFile(project, file.filename);
    if (version === undefined || context.hidden.has(version)) continue;
    files.push({ ...file, url: proxyFileUrl(context.mountUrl, project, file.filename) });
  }
  const contentType = SIMPLE_CONTENT_TYPES[format];
  if (format === 'json') {
    const versions = page.versions?.filter((v) => !context.hidden.has(normalizeVersion(v)));
    return { body: Buffer.from(JSON.stringify({ ...page, files, ...(versions ? { versions } : {}) })), contentType };
  }
  return { body: Buffer.from(projectHtml(page, files)), contentType };
}

function projectHtml(page: ProjectPage, files: PageFile[]): string {
  const title = `Links for ${escapeHtml(page.name)}`;
  const anchors = files.map((file) => {
    const [hashName, hashValue] = preferredHash(file.hashes) ?? [];
    let attributes = ` href="${escapeHtml(hashName ? `${file.url}#${hashName}=${hashValue}` : file.url)}"`;
    if (file['requires-python']) attributes += ` data-requires-python="${escapeHtml(file['requires-python'])}"`;
    if (file.yanked !== undefined && file.yanked !== false) attributes += ` data-yanked="${file.yanked === true ? '' : escapeHtml(file.yanked)}"`;
    const metadataAttributes = { 'core-metadata': file['core-metadata'], 'dist-info-metadata': file['dist-info-metadata'] ?? file['data-dist-info-metadata'] };
    for (const [key, value] of Object.entries(metadataAttributes)) {
      if (value === undefined || value === false) continue;
      const [name, hex] = (value === true ? undefined : preferredHash(value)) ?? [];
      attributes += ` data-${key}="${name ? `${escapeHtml(name)}=${escapeHtml(hex!)}` : 'true'}"`;
    }
    if (typeof file['gpg-sig'] === 'boolean') attributes += ` data-gpg-sig="${file['gpg-sig']}"`;
    return `    <a${attributes}>${escapeHtml(file.filename)}</a><br />\n`;
  });
  return (
    `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="${escapeHtml(page.meta['api-version'])}">\n` +
    `    <title>${title}</title>\n  </head>\n  <body>\n    <h1>${title}</h1>\n${anchors.join('')}  </body>\n</html>\n`
  );
}

/** sha256 when there is one, as pip prefers it; otherwise the first. */
function preferredHash(hashes: Record<string, string>): [string, string] | undefined {
  if (typeof hashes.sha256 === 'string') return ['sha256', hashes.sha256];
  return Object.entries(hashes)[0];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
