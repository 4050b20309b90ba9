import { HttpError, badRequest, notFound } from '../../http-error.js';
import type { ArtifactRoute, MetadataRoute, Route } from '../types.js';
import { normalizeName, validFileName, validateProjectName, versionOfFile } from './names.js';
import { decodePathSegments } from '../path-segments.js';

/** What pkgproxy asks upstream for: PEP 691 JSON, which carries PEP 700 upload times; HTML from indexes without it. */
const SIMPLE_UPSTREAM_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1';
const VERSION_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+!-]{0,127}$/;
export const METADATA_SUFFIX = '.metadata';
/** The package column of the project list, which belongs to no project. */
export const PROJECT_LIST = '(project list)';

/** How a simple-API page is written for a client: the PEP 691 content type it negotiated. */
export type SimpleFormat = 'json' | 'html' | 'text-html';

export const SIMPLE_CONTENT_TYPES: Record<SimpleFormat, string> = {
  json: 'application/vnd.pypi.simple.v1+json',
  html: 'application/vnd.pypi.simple.v1+html',
  'text-html': 'text/html; charset=utf-8',
};

const ACCEPTED: Record<string, SimpleFormat> = {
  'application/vnd.pypi.simple.v1+json': 'json',
  'application/vnd.pypi.simple.latest+json': 'json',
  'application/vnd.pypi.simple.v1+html': 'html',
  'application/vnd.pypi.simple.latest+html': 'html',
  'text/html': 'text-html',
  '*/*': 'text-html',
};

/**
 * PyPI paths below /pypi/:
 *   simple/                              the project list (PEP 503 HTML or PEP 691 JSON, by Accept)
 *   simple/<project>/                    a project's files; other spellings of the name redirect to the normalized one
 *   files/<project>/<file>               a distribution file (it lives on another host upstream)
 *   files/<project>/<file>.metadata      its core metadata (PEP 658)
 *   pypi/<project>/json                  the JSON API
 *   pypi/<project>/<version>/json        the JSON API for one release
 */
export function routePypi(path: string, request: { method: string; accept: string | undefined }): Route {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new HttpError(405, `${request.method} is not supported: pkgproxy is a read-only Python package index; upload to the upstream index`, { allow: 'GET, HEAD' });
  }
  const segments = decodePathSegments(path);
  const [area, ...rest] = segments;
  if (area === 'simple') return simpleRoute(rest, request.accept);
  if (area === 'files' && rest.length === 2) return fileRoute(rest[0]!, rest[1]!);
  if (area === 'pypi' && rest.at(-1) === 'json' && (rest.length === 2 || rest.length === 3)) {
    const project = normalizeName(validateProjectName(rest[0]!));
    if (rest.length === 2) return jsonApiRoute(project);
    if (!VERSION_SEGMENT.test(rest[1]!)) throw badRequest(`invalid Python version ${JSON.stringify(rest[1]!.slice(0, 100))}`);
    return jsonApiRoute(project, rest[1]);
  }
  throw notFound(`not a Python package index path: /pypi/${path.slice(0, 200)}`);
}

function simpleRoute(rest: string[], accept: string | undefined): MetadataRoute {
  if (rest.length === 0) throw moved('simple/', 'the project list is at simple/');
  const format = negotiate(accept);
  if (rest.length === 1 && rest[0] === '') {
    return { kind: 'metadata', package: PROJECT_LIST, docKey: 'simple-index', upstreamPath: 'simple/', upstreamAccept: SIMPLE_UPSTREAM_ACCEPT, variant: format };
  }
  const trailingSlash = rest.length === 2 && rest[1] === '';
  if (rest.length > 2 || (rest.length === 2 && !trailingSlash)) throw notFound(`not a Python package index path: /pypi/simple/${rest.join('/').slice(0, 200)}`);
  const project = normalizeName(validateProjectName(rest[0]!));
  // PEP 503: a page is at its normalized name, with a trailing slash. Relative, so that it works below any base URL.
  if (!trailingSlash) throw moved(`${encodeURIComponent(project)}/`, `the project page is at simple/${project}/`);
  if (project !== rest[0]) throw moved(`../${encodeURIComponent(project)}/`, `the project page is at simple/${project}/`);
  return projectRoute(project, format);
}

export function projectRoute(project: string, variant: SimpleFormat = 'json'): MetadataRoute {
  return {
    kind: 'metadata',
    package: project,
    docKey: `simple/${project}`,
    upstreamPath: `simple/${encodeURIComponent(project)}/`,
    upstreamAccept: SIMPLE_UPSTREAM_ACCEPT,
    variant,
  };
}

export function jsonApiRoute(project: string, version?: string): MetadataRoute {
  const where = version === undefined ? project : `${project}/${version}`;
  return {
    kind: 'metadata',
    package: project,
    docKey: `json/${where}`,
    upstreamPath: `pypi/${encodeURIComponent(project)}/${version === undefined ? '' : `${encodeURIComponent(version)}/`}json`,
    upstreamAccept: 'application/json',
    variant: version === undefined ? 'project' : 'release',
  };
}

/** The proxy path of a distribution file: the key it is stored under. */
export function filePath(project: string, file: string): string {
  return `files/${project}/${file}`;
}

function fileRoute(projectSegment: string, file: string): ArtifactRoute {
  const project = normalizeName(validateProjectName(projectSegment));
  if (!validFileName(file)) throw badRequest(`invalid distribution file name ${JSON.stringify(file.slice(0, 100))}`);
  const distribution = file.endsWith(METADATA_SUFFIX) ? file.slice(0, -METADATA_SUFFIX.length) : file;
  if (versionOfFile(project, distribution) === undefined) throw notFound(`${file} is not a wheel, sdist or egg of the Python project ${project}`);
  // No upstreamPath: files live on another host (files.pythonhosted.org), at the URL the project page declares.
  return { kind: 'artifact', package: project, path: filePath(project, file), metadata: projectRoute(project) };
}

/**
 * PEP 691 negotiation: the acceptable format with the highest q, the client's order breaking
 * ties; no Accept or nothing acceptable gets HTML, as from PyPI.
 */
export function negotiate(accept: string | undefined): SimpleFormat {
  let best: { format: SimpleFormat; q: number } | undefined;
  for (const part of (accept ?? '').split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const format = ACCEPTED[type];
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (format && q > 0 && (best === undefined || q > best.q)) best = { format, q };
  }
  return best?.format ?? 'text-html';
}

function moved(location: string, reason: string): HttpError {
  return new HttpError(301, reason, { location });
}

