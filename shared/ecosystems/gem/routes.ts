import { HttpError, badRequest, notFound } from '../../http-error.js';
import type { ArtifactRoute, MetadataRoute, Route } from '../types.js';
import { VERSION_KEY, splitFullName, validateGemName } from './names.js';
import { decodePathSegments } from '../path-segments.js';

/** The older Marshal index: every gem's [name, version, platform], gzipped. */
export const SPECS_FILES = ['specs.4.8.gz', 'latest_specs.4.8.gz', 'prerelease_specs.4.8.gz'];
const QUICK_SPEC_DIR = 'quick/Marshal.4.8/';
const TEXT = 'text/plain';

/**
 * RubyGems registry paths below /gem/:
 *   (the mount itself)                              probed by `gem` (HEAD) before it uses the compact index
 *   versions, names                                 compact index files listing every gem
 *   info/<name>                                     compact index: one gem's versions, dependencies, checksums
 *   specs.4.8.gz, latest_specs.4.8.gz, prerelease_specs.4.8.gz    the older Marshal index
 *   gems/<name>-<version>[-<platform>].gem          a gem
 *   quick/Marshal.4.8/<name>-<version>[-<platform>].gemspec.rz    its spec, deflated Marshal
 */
export function routeGem(path: string, request: { method: string }): Route {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new HttpError(405, `${request.method} is not supported: pkgproxy is a read-only RubyGems registry; push gems to the upstream registry`, { allow: 'GET, HEAD' });
  }
  // RubyGems takes a 2xx here as the sign that the compact index exists, and falls back to the
  // Marshal index otherwise: answering from /versions makes that true exactly when it is.
  if (path === '') return { ...registryFileRoute('versions'), variant: 'root' };
  if (path === 'versions' || path === 'names' || SPECS_FILES.includes(path)) return registryFileRoute(path);

  const segments = decodePathSegments(path);
  if (segments.length === 2 && segments[0] === 'info') return infoRoute(validateGemName(segments[1]!));
  if (segments.length === 2 && segments[0] === 'gems') return gemFileRoute(segments[1]!);
  if (segments.length === 3 && `${segments[0]}/${segments[1]}/` === QUICK_SPEC_DIR) return quickSpecRoute(segments[2]!);
  throw notFound(`not a RubyGems registry path: /gem/${path.slice(0, 200)}`);
}

/**
 * A document about the whole registry rather than one gem. Its package is its path with a
 * leading slash, which no gem name has.
 */
function registryFileRoute(file: string): MetadataRoute {
  return { kind: 'metadata', package: `/${file}`, docKey: file, upstreamPath: file, upstreamAccept: file.endsWith('.gz') ? '*/*' : TEXT, variant: file };
}

export function infoRoute(name: string): MetadataRoute {
  return { kind: 'metadata', package: name, docKey: `info/${name}`, upstreamPath: `info/${name}`, upstreamAccept: TEXT, variant: 'info' };
}

export function gemFilePath(name: string, version: string): string {
  return `gems/${name}-${version}.gem`;
}

export function quickSpecPath(name: string, version: string): string {
  return `${QUICK_SPEC_DIR}${name}-${version}.gemspec.rz`;
}

function gemFileRoute(file: string): ArtifactRoute {
  const { name, version } = splitFile(file, '.gem');
  return artifactRoute(name, gemFilePath(name, version));
}

function quickSpecRoute(file: string): ArtifactRoute {
  const { name, version } = splitFile(file, '.gemspec.rz');
  return artifactRoute(name, quickSpecPath(name, version));
}

function artifactRoute(name: string, path: string): ArtifactRoute {
  return { kind: 'artifact', package: name, path, upstreamPath: path, metadata: infoRoute(name) };
}

function splitFile(file: string, extension: string): { name: string; version: string } {
  const split = file.endsWith(extension) ? splitFullName(file.slice(0, -extension.length)) : undefined;
  if (!split || !VERSION_KEY.test(split.version)) throw badRequest(`invalid gem file name ${JSON.stringify(file.slice(0, 100))}: expected <name>-<version>${extension}`);
  return { name: validateGemName(split.name), version: split.version };
}

