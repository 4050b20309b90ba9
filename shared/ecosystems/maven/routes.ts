import { HttpError, notFound } from '../../http-error.js';
import type { ArtifactRoute, ChecksumAlgorithm, ChecksumSidecar, MetadataRoute, Route } from '../types.js';
import { belongsToVersion, isMutableFile, isSnapshot, METADATA_FILE, packageName, pathSegments } from './coordinates.js';

/** Checksum files a repository keeps beside every file: "<file>.sha1" holds the file's SHA-1. */
const CHECKSUM_EXTENSIONS = new Map<string, ChecksumAlgorithm>([
  ['sha1', 'sha1'],
  ['sha256', 'sha256'],
  ['sha512', 'sha512'],
  ['md5', 'md5'],
]);

/**
 * The sidecars a file is verified against. The fetcher hashes a download before it knows the
 * sidecars, with SHA-1, SHA-256 and SHA-512, so MD5 cannot be one. SHA-1 is on every file of
 * Maven Central; SHA-512 on those published since 2021, and then it is the stronger check.
 */
const VERIFIED_WITH: ChecksumAlgorithm[] = ['sha1', 'sha512'];

/** The metadata variant a client gets: the document, or one of its checksums. */
export type MetadataVariant = 'xml' | ChecksumAlgorithm;

/**
 * Maven repository paths below /maven/ (groupId dots become slashes):
 *   org/acme/lib/maven-metadata.xml                      versions of org.acme:lib (metadata)
 *   org/acme/lib/1.1-SNAPSHOT/maven-metadata.xml         a SNAPSHOT's builds (metadata)
 *   org/acme/lib/1.0.0/lib-1.0.0.jar, .pom, -sources.jar ...   files of one version (artifacts)
 * and any of those + .sha1/.sha256/.sha512/.md5, and files + .asc.
 */
export function routeMaven(path: string, request: { method: string }): Route {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new HttpError(405, `${request.method} is not supported: pkgproxy is a read-only Maven repository; deploy to the upstream repository`, { allow: 'GET, HEAD' });
  }
  const segments = pathSegments(path);
  const file = segments.at(-1)!;
  const { target, algorithm } = splitChecksum(file);
  if (target === METADATA_FILE) return metadataRoute(segments.slice(0, -1), algorithm ?? 'xml');
  return fileRoute(segments, path);
}

/** The document in `directory` (its segments): an artifact's versions, or a SNAPSHOT's builds. */
export function metadataRoute(directory: string[], variant: MetadataVariant): MetadataRoute {
  const last = directory.at(-1);
  const snapshotLevel = directory.length >= 3 && isSnapshot(last!);
  const nameLength = snapshotLevel ? 2 : 1;
  if (directory.length < nameLength + 1) throw notFound(`not a Maven repository path: /maven/${[...directory, METADATA_FILE].join('/')}`);
  const artifactId = directory.at(-nameLength)!;
  const groupId = directory.slice(0, -nameLength).join('.');
  const upstreamPath = [...directory, METADATA_FILE].join('/');
  return {
    kind: 'metadata',
    package: packageName(groupId, artifactId),
    docKey: upstreamPath,
    upstreamPath,
    upstreamAccept: 'application/xml, text/xml;q=0.9, */*;q=0.5',
    variant,
  };
}

/** A file in a version directory: group.../artifactId/version/file. */
function fileRoute(segments: string[], rawPath: string): ArtifactRoute {
  if (segments.length < 4) throw notFound(`not a Maven repository path: /maven/${rawPath.slice(0, 200)}`);
  const [artifactId, version, file] = segments.slice(-3) as [string, string, string];
  const groupId = segments.slice(0, -3).join('.');
  const { target, algorithm } = splitChecksum(file);
  if (!belongsToVersion(target, artifactId, version)) throw notFound(`${file} is not a file of ${groupId}:${artifactId}:${version}`);
  const path = segments.join('/');
  // Sidecars are served as upstream wrote them; a signature (.asc) is the client's to check.
  const verified = algorithm === undefined && !target.endsWith('.asc');
  const checksumSidecars: ChecksumSidecar[] = VERIFIED_WITH.map((a) => ({ algorithm: a, upstreamPath: `${path}.${a}` }));
  return {
    kind: 'artifact',
    package: packageName(groupId, artifactId),
    path,
    upstreamPath: path,
    metadata: metadataRoute(segments.slice(0, -2), 'xml'),
    self: verified ? { version, checksumSidecars } : { version },
    ...(isMutableFile(target, artifactId, version) ? { mutable: true } : {}),
  };
}

/** "lib-1.0.jar.sha1" → the file it is the checksum of, and the algorithm. */
function splitChecksum(file: string): { target: string; algorithm?: ChecksumAlgorithm } {
  const dot = file.lastIndexOf('.');
  const algorithm = dot > 0 ? CHECKSUM_EXTENSIONS.get(file.slice(dot + 1)) : undefined;
  return algorithm ? { target: file.slice(0, dot), algorithm } : { target: file };
}
