import { HttpError, badRequest, notFound } from '../../http-error.js';
import type { ArtifactRoute, MetadataRoute, Route } from '../types.js';
import { encodePackageName, validatePackageName } from './names.js';
import { decodePathSegments } from '../path-segments.js';

const TARBALL_FILE = /^[A-Za-z0-9~!'()*+-][A-Za-z0-9._~!'()*+-]*\.tgz$/;
const VERSION_SPEC = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,255}$/;
const ABBREVIATED = 'application/vnd.npm.install-v1+json';

/**
 * npm registry paths below /npm/:
 *   <name> and @scope/<name> (or @scope%2f<name>)   packument, full or abbreviated by Accept
 *   <name>/<version-or-tag>                          one version's manifest
 *   <name>/-/<file>.tgz                              tarball
 *   -/...                                            registry API (search, audit, ping): passed through
 */
export function routeNpm(path: string, request: { method: string; accept: string | undefined; query: string }): Route {
  if (path.startsWith('-/')) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'POST') throw readOnly(request.method, 'GET, HEAD, POST');
    return { kind: 'passthrough', upstreamPath: path + request.query };
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') throw readOnly(request.method, 'GET, HEAD');

  const segments = decodePathSegments(path.replace(/^(@[^/%]+)%2f/i, '$1/'));
  const scoped = segments[0]?.startsWith('@') ?? false;
  const nameLength = scoped ? 2 : 1;
  if (segments.length < nameLength || segments.some((s) => s === '')) throw notFound(`not an npm registry path: /npm/${path.slice(0, 200)}`);
  const name = validatePackageName(segments.slice(0, nameLength).join('/'));
  const rest = segments.slice(nameLength);

  if (rest.length === 0) return packumentRoute(name, wantsAbbreviated(request.accept) ? 'abbreviated' : 'full');
  if (rest.length === 1) {
    if (!VERSION_SPEC.test(rest[0]!)) throw badRequest(`invalid npm version or tag ${JSON.stringify(rest[0]!.slice(0, 100))}`);
    return packumentRoute(name, `version:${rest[0]}`);
  }
  if (rest.length === 2 && rest[0] === '-') return tarballRoute(name, rest[1]!);
  throw notFound(`not an npm registry path: /npm/${path.slice(0, 200)}`);
}

export function packumentRoute(name: string, variant: string): MetadataRoute {
  return {
    kind: 'metadata',
    package: name,
    docKey: `packument/${name}`,
    upstreamPath: encodePackageName(name),
    upstreamAccept: 'application/json',
    variant,
  };
}

function tarballRoute(name: string, file: string): ArtifactRoute {
  if (!TARBALL_FILE.test(file) || file.includes('..')) throw badRequest(`invalid npm tarball file name ${JSON.stringify(file.slice(0, 100))}`);
  return {
    kind: 'artifact',
    package: name,
    path: `${name}/-/${file}`,
    upstreamPath: `${name}/-/${file}`,
    metadata: packumentRoute(name, 'full'),
  };
}


/** npm asks for the abbreviated form first: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, *\/*". */
function wantsAbbreviated(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (type !== ABBREVIATED) return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function readOnly(method: string, allow: string): HttpError {
  return new HttpError(405, `${method} is not supported: pkgproxy is a read-only npm registry; publish to the upstream registry`, { allow });
}
