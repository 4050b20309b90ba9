import { HttpError, badRequest, notFound } from '../../http-error.js';
import type { ArtifactRoute, MetadataRoute, Route } from '../types.js';
import { escapeCase, isCanonicalVersion, unescapeModulePath, unescapeQuery, unescapeVersion } from './paths.js';
import type { PrivateMatcher } from './private.js';

/** How a Go metadata document is read and rendered; the route's variant. */
export type GoDocumentKind = 'list' | 'info' | 'sumdb-text' | 'sumdb-tile';

const SUMDB_NAME = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+$/;
const TILE = /^tile\/\d{1,2}\/(?:data|\d{1,2})(?:\/x\d{3})*\/\d{3}(?:\.p\/\d{1,3})?$/;

/**
 * GOPROXY protocol paths below /go/ (module paths and versions case-escaped, see paths.ts):
 *   <module>/@v/list              versions, one a line                 metadata
 *   <module>/@latest              the newest version's .info           metadata
 *   <module>/@v/<query>.info      a branch or commit resolved          metadata (it moves)
 *   <module>/@v/<version>.info    {"Version", "Time"}                  artifact (immutable)
 *   <module>/@v/<version>.mod     the version's go.mod                 artifact
 *   <module>/@v/<version>.zip     the module's files                   artifact
 *   sumdb/<name>/...              the checksum database, proxied       metadata, kept as fetched
 * A module matching go.private answers 404, so that GOPROXY=<proxy>,direct fetches it directly.
 */
export function routeGo(path: string, request: { method: string }, isPrivate: PrivateMatcher): Route {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new HttpError(405, `${request.method} is not supported: pkgproxy is a read-only Go module proxy`, { allow: 'GET, HEAD' });
  }
  const segments = decodeSegments(path);
  if (segments[0] === 'sumdb') return sumdbRoute(segments.slice(1));

  const last = segments[segments.length - 1]!;
  if (last === '@latest' && segments.length > 1) {
    const module = modulePath(segments.slice(0, -1), isPrivate);
    return infoRoute(module, `latest/${module}`, `${escapeCase(module)}/@latest`);
  }
  if (segments[segments.length - 2] !== '@v' || segments.length < 3) throw notFound(`not a Go module proxy path: /go/${path.slice(0, 200)}`);
  const module = modulePath(segments.slice(0, -2), isPrivate);
  if (last === 'list') return listRoute(module);

  const dot = last.lastIndexOf('.');
  const extension = last.slice(dot + 1);
  const escapedVersion = last.slice(0, dot);
  if (dot <= 0 || !['info', 'mod', 'zip'].includes(extension)) throw notFound(`not a Go module proxy path: /go/${path.slice(0, 200)}`);
  if (extension === 'info') {
    const query = unescapeQuery(escapedVersion);
    if (!isCanonicalVersion(query)) return infoRoute(module, `query/${module}@${query}`, `${escapeCase(module)}/@v/${escapeCase(query)}.info`);
  }
  return artifactRoute(module, unescapeVersion(escapedVersion), extension);
}

export function listRoute(module: string): MetadataRoute {
  return { kind: 'metadata', package: module, docKey: `list/${module}`, upstreamPath: `${escapeCase(module)}/@v/list`, upstreamAccept: 'text/plain', variant: 'list' };
}

function infoRoute(module: string, docKey: string, upstreamPath: string): MetadataRoute {
  return { kind: 'metadata', package: module, docKey, upstreamPath, upstreamAccept: 'application/json', variant: 'info' };
}

function artifactRoute(module: string, version: string, extension: string): ArtifactRoute {
  const path = `${escapeCase(module)}/@v/${escapeCase(version)}.${extension}`;
  return { kind: 'artifact', package: module, path, upstreamPath: path, metadata: listRoute(module), self: { version } };
}

function modulePath(segments: string[], isPrivate: PrivateMatcher): string {
  const module = unescapeModulePath(segments.join('/'));
  const pattern = isPrivate(module);
  if (pattern !== undefined) {
    throw notFound(`${module} matches the private pattern ${JSON.stringify(pattern)} (go.private): fetch it directly, not through this proxy`);
  }
  return module;
}

/**
 * The checksum database as the go command reads it through a proxy: supported, latest (the
 * signed tree head, which moves), lookup/<module>@<version> and tile/... (which never change).
 */
function sumdbRoute(segments: string[]): MetadataRoute {
  const [name, ...rest] = segments;
  if (name === undefined || !SUMDB_NAME.test(name)) throw badRequest(`invalid checksum database name ${JSON.stringify((name ?? '').slice(0, 100))}`);
  const below = rest.join('/');
  let kind: GoDocumentKind = 'sumdb-text';
  if (rest[0] === 'lookup') {
    const [escapedModule, escapedVersion] = splitAtLast(rest.slice(1).join('/'), '@');
    unescapeModulePath(escapedModule);
    unescapeVersion(escapedVersion);
  } else if (rest[0] === 'tile') {
    if (!TILE.test(below)) throw badRequest(`invalid checksum database tile path ${JSON.stringify(below.slice(0, 100))}`);
    kind = 'sumdb-tile';
  } else if (below !== 'supported' && below !== 'latest') {
    throw notFound(`not a checksum database path: /go/sumdb/${name}/${below.slice(0, 200)}`);
  }
  const path = `sumdb/${name}/${below}`;
  // Not a package: named by its path, which is what a 404 then names.
  return { kind: 'metadata', package: path, docKey: path, upstreamPath: path, upstreamAccept: '*/*', variant: kind };
}

function splitAtLast(text: string, separator: string): [string, string] {
  const at = text.lastIndexOf(separator);
  if (at <= 0) throw badRequest(`invalid checksum database lookup ${JSON.stringify(text.slice(0, 100))}: <module>@<version> expected`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** Percent-decoded path segments; a segment may not decode to something holding "/". */
function decodeSegments(path: string): string[] {
  return path.split('/').map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw badRequest('malformed percent-encoding in path');
    }
    if (decoded.includes('/') || decoded.includes('\\')) throw badRequest('encoded "/" or "\\" in path');
    return decoded;
  });
}
