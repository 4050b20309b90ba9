import type { VersionSeen } from '../../db/versions.js';
import type { ArtifactDeclaration, Checksum, ChecksumAlgorithm, ParsedMetadata } from '../types.js';

/** The parts of a packument pkgproxy reads; everything else is passed through untouched. */
export interface Packument {
  name?: string;
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, Manifest>;
  time?: Record<string, string>;
  modified?: string;
  [key: string]: unknown;
}

export interface Manifest {
  name?: string;
  version?: string;
  dist?: { tarball?: string; integrity?: string; shasum?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const HEX_LENGTH: Record<ChecksumAlgorithm, number> = { md5: 32, sha1: 40, sha256: 64, sha384: 96, sha512: 128 };
const SRI_ALGORITHMS: Record<string, ChecksumAlgorithm> = { sha1: 'sha1', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

export class InvalidPackument extends Error {}

export function parsePackument(name: string, body: Buffer): ParsedMetadata {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidPackument(`packument of ${name} is not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InvalidPackument(`packument of ${name} is not a JSON object`);
  const packument = doc as Packument;
  if (packument.name !== undefined && packument.name !== name) {
    throw new InvalidPackument(`upstream answered the packument of ${JSON.stringify(packument.name)} when asked for ${JSON.stringify(name)}`);
  }
  const versions = packument.versions ?? {};
  if (typeof versions !== 'object' || Array.isArray(versions)) throw new InvalidPackument(`packument of ${name} has no versions object`);
  const time = packument.time ?? {};

  const seen: VersionSeen[] = [];
  const artifacts: ArtifactDeclaration[] = [];
  for (const [version, manifest] of Object.entries(versions)) {
    const published = typeof time[version] === 'string' ? Date.parse(time[version]) : NaN;
    seen.push({ version, publishedAt: Number.isNaN(published) ? null : published, yanked: false });
    const tarball = manifest?.dist?.tarball;
    if (typeof tarball !== 'string') continue;
    const file = tarballFile(tarball);
    if (!file) continue;
    artifacts.push({ path: `${name}/-/${file}`, version, upstreamUrl: tarball, checksums: distChecksums(manifest.dist!) });
  }
  return { package: name, versions: seen, artifacts, document: packument };
}

/** Last path segment of a tarball URL. */
export function tarballFile(url: string): string | undefined {
  try {
    const file = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    return file.endsWith('.tgz') && !file.includes('/') ? file : undefined;
  } catch {
    return undefined;
  }
}

/** dist.integrity (one or more SRI strings) and dist.shasum, as hex digests. */
function distChecksums(dist: NonNullable<Manifest['dist']>): Checksum[] {
  const checksums: Checksum[] = [];
  if (typeof dist.integrity === 'string') {
    for (const sri of dist.integrity.trim().split(/\s+/)) {
      const dash = sri.indexOf('-');
      const algorithm = SRI_ALGORITHMS[sri.slice(0, dash)];
      if (!algorithm) continue;
      const hex = Buffer.from(sri.slice(dash + 1).split('?')[0]!, 'base64').toString('hex');
      if (hex.length === HEX_LENGTH[algorithm]) checksums.push({ algorithm, hex });
    }
  }
  if (typeof dist.shasum === 'string' && /^[0-9a-f]{40}$/i.test(dist.shasum) && !checksums.some((c) => c.algorithm === 'sha1')) {
    checksums.push({ algorithm: 'sha1', hex: dist.shasum.toLowerCase() });
  }
  return checksums;
}
