import { badRequest, notFound } from '../../http-error.js';

/**
 * One path segment of a Maven repository: a groupId part, an artifactId, a version or a file
 * name. Real ones use letters, digits and `._-+`; refusing the rest keeps "..", "%2f" and
 * friends out of every path this module builds.
 */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;
const MAX_SEGMENT_LENGTH = 255;
const SNAPSHOT = '-SNAPSHOT';

export const METADATA_FILE = 'maven-metadata.xml';

export function isValidSegment(segment: string): boolean {
  return segment.length <= MAX_SEGMENT_LENGTH && SEGMENT.test(segment);
}

/** The decoded segments of a request path; every one must be a valid segment. */
export function pathSegments(path: string): string[] {
  if (path === '' || path.endsWith('/')) throw notFound(`not a Maven repository file: /maven/${path.slice(0, 200)} (directory listings are not served)`);
  return path.split('/').map((raw) => {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw badRequest('malformed percent-encoding in path');
    }
    if (!isValidSegment(segment)) throw badRequest(`invalid Maven path segment ${JSON.stringify(segment.slice(0, 100))}`);
    return segment;
  });
}

export function isSnapshot(version: string): boolean {
  return version.endsWith(SNAPSHOT) && version.length > SNAPSHOT.length;
}

/** "org.acme:lib": the package name policy and cooldown.packages use. */
export function packageName(groupId: string, artifactId: string): string {
  return `${groupId}:${artifactId}`;
}

/** "org.acme:lib" → "org/acme/lib", the directory that holds the artifact's versions. */
export function artifactDirectory(pkg: string): string {
  const colon = pkg.indexOf(':');
  return `${pkg.slice(0, colon).replaceAll('.', '/')}/${pkg.slice(colon + 1)}`;
}

export function artifactIdOf(pkg: string): string {
  return pkg.slice(pkg.indexOf(':') + 1);
}

/**
 * Whether a file name belongs to this artifact version: "<artifactId>-<version>" then a
 * classifier ("-sources") or an extension. A SNAPSHOT's files may carry a deploy timestamp
 * instead: "lib-1.0-20240102.030405-7.jar" lives in "1.0-SNAPSHOT".
 */
export function belongsToVersion(file: string, artifactId: string, version: string): boolean {
  const rest = afterPrefix(file, `${artifactId}-${version}`);
  if (rest !== undefined) return startsSuffix(rest);
  if (!isSnapshot(version)) return false;
  const timestamped = afterPrefix(file, `${artifactId}-${version.slice(0, -SNAPSHOT.length)}-`);
  const stamp = timestamped === undefined ? null : /^\d{8}\.\d{6}-\d+/.exec(timestamped);
  return stamp !== null && startsSuffix(timestamped!.slice(stamp[0].length));
}

/** A file that keeps its name while its content changes: "lib-1.0-SNAPSHOT.jar", not a timestamped one. */
export function isMutableFile(file: string, artifactId: string, version: string): boolean {
  return isSnapshot(version) && file.startsWith(`${artifactId}-${version}`);
}

function afterPrefix(file: string, prefix: string): string | undefined {
  return file.startsWith(prefix) ? file.slice(prefix.length) : undefined;
}

/** ".ext" or "-classifier.ext". */
function startsSuffix(rest: string): boolean {
  return /^(?:-.+)?\..+$/.test(rest);
}
