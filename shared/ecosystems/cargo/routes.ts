import { HttpError, notFound } from '../../http-error.js';
import type { ArtifactRoute, MetadataRoute, Route } from '../types.js';
import { indexPath, validateCrateName, validateVersion } from './names.js';
import { decodePathSegments } from '../path-segments.js';

/** The download path pkgproxy's config.json announces (`dl`); Cargo appends /{crate}/{version}/download. */
export const DOWNLOAD_PREFIX = 'api/v1/crates';

/**
 * Sparse index paths below /cargo/:
 *   config.json                                  the registry's config, dl and api rewritten to the proxy
 *   1/<n>, 2/<nn>, 3/<a>/<abc>, <ab>/<cd>/<name>  a crate's index file (lowercase)
 *   api/v1/crates/<crate>/<version>/download     a .crate file
 * The rest of the web API (publish, yank, owners, search) is not served.
 */
export function routeCargo(path: string, request: { method: string }): Route {
  const segments = decodePathSegments(path);
  if (segments[0] === 'api') return routeApi(segments, request.method, path);
  if (request.method !== 'GET' && request.method !== 'HEAD') throw readOnly(request.method);
  if (segments.length === 1 && segments[0] === 'config.json') return configRoute();

  if (segments.length < 2 || segments.length > 3) throw notFound(`not a Cargo sparse index path: /cargo/${path.slice(0, 200)}`);
  const name = validateCrateName(segments.at(-1)!);
  const expected = indexPath(name);
  const requested = segments.join('/');
  if (requested !== expected) {
    if (requested.toLowerCase() === expected) throw notFound(`Cargo index paths are lowercase: /cargo/${expected}`);
    throw notFound(`the index keeps ${name} at /cargo/${expected}, not /cargo/${requested.slice(0, 200)}`);
  }
  return indexRoute(name);
}

export function configRoute(): MetadataRoute {
  return { kind: 'metadata', package: 'config.json', docKey: 'config.json', upstreamPath: 'config.json', upstreamAccept: 'application/json', variant: 'config' };
}

export function indexRoute(name: string): MetadataRoute {
  const lower = name.toLowerCase();
  return { kind: 'metadata', package: lower, docKey: `index/${lower}`, upstreamPath: indexPath(lower), upstreamAccept: '*/*', variant: 'index' };
}

/** The key of a .crate file: one per crate and version, whatever the case of the name in the request. */
export function downloadPath(name: string, version: string): string {
  return `${DOWNLOAD_PREFIX}/${name.toLowerCase()}/${version}/download`;
}

function routeApi(segments: string[], method: string, path: string): ArtifactRoute {
  if (method !== 'GET' && method !== 'HEAD') throw readOnly(method);
  const isDownload = segments.length === 6 && segments.slice(0, 3).join('/') === DOWNLOAD_PREFIX && segments[5] === 'download';
  if (!isDownload) throw notFound(`pkgproxy serves Cargo's index and downloads, not the registry web API (search, owners): /cargo/${path.slice(0, 200)}`);
  const name = validateCrateName(segments[3]!);
  const version = validateVersion(segments[4]!);
  return { kind: 'artifact', package: name.toLowerCase(), path: downloadPath(name, version), metadata: indexRoute(name) };
}

function readOnly(method: string): HttpError {
  return new HttpError(405, `${method} is not supported: pkgproxy is a read-only Cargo registry; publish to the upstream registry`, { allow: 'GET, HEAD' });
}
