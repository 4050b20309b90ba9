import type { VersionSeen } from '../../db/versions.js';
import type { ArtifactDeclaration, Checksum, ChecksumAlgorithm } from '../types.js';
import { versionOfFile } from './names.js';
import { METADATA_SUFFIX, filePath } from './routes.js';

/** What pkgproxy reads of one distribution file, whichever document listed it. */
export interface FileFacts {
  filename: string;
  /** As the upstream wrote it: absolute, or relative to the document. */
  url: string;
  hashes: Record<string, string>;
  /** Milliseconds since the epoch, or null when the document gives none. */
  uploadedAt: number | null;
  yanked: boolean;
  /** PEP 658 metadata file: its hashes, {} when declared without any; undefined when there is none. */
  coreMetadata?: Record<string, string>;
}

const HEX_LENGTH: Partial<Record<string, [ChecksumAlgorithm, number]>> = {
  md5: ['md5', 32],
  sha1: ['sha1', 40],
  sha256: ['sha256', 64],
  sha384: ['sha384', 96],
  sha512: ['sha512', 128],
};

/** The digests pkgproxy can verify (blake2b_256, say, it cannot). */
export function checksumsOf(hashes: Record<string, string>): Checksum[] {
  const checksums: Checksum[] = [];
  for (const [name, value] of Object.entries(hashes)) {
    const known = HEX_LENGTH[name.toLowerCase()];
    if (known && typeof value === 'string' && value.length === known[1] && /^[0-9a-f]+$/i.test(value)) checksums.push({ algorithm: known[0], hex: value.toLowerCase() });
  }
  return checksums;
}

/** ISO 8601 upload times; PyPI's older `upload_time` has no zone and means UTC. */
export function parseUploadTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const zoned = /(?:Z|[+-]\d\d:?\d\d)$/i.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The versions files belong to, with publish times and yanked flags: a release is published
 * when its first file was uploaded, and yanked when all of its files are.
 */
export function versionsOf(project: string, files: FileFacts[]): VersionSeen[] {
  const byVersion = new Map<string, VersionSeen>();
  for (const file of files) {
    const version = versionOfFile(project, file.filename);
    if (version === undefined) continue;
    const seen = byVersion.get(version);
    if (!seen) {
      byVersion.set(version, { version, publishedAt: file.uploadedAt, yanked: file.yanked });
      continue;
    }
    if (file.uploadedAt !== null && (seen.publishedAt === null || file.uploadedAt < seen.publishedAt)) seen.publishedAt = file.uploadedAt;
    seen.yanked &&= file.yanked;
  }
  return [...byVersion.values()];
}

/**
 * Each file and its PEP 658 metadata file, as the artifacts they are below the proxy. A URL
 * relative to a document fetched from `documentUrl` is resolved against it; a file whose URL
 * cannot be resolved, or whose name names no version, declares nothing.
 */
export function declarationsOf(project: string, files: FileFacts[], documentUrl: string | undefined): ArtifactDeclaration[] {
  const declarations: ArtifactDeclaration[] = [];
  for (const file of files) {
    const version = versionOfFile(project, file.filename);
    const url = resolve(file.url, documentUrl);
    if (version === undefined || !url) continue;
    declarations.push({ path: filePath(project, file.filename), version, upstreamUrl: url.href, checksums: checksumsOf(file.hashes) });
    if (file.coreMetadata) {
      url.pathname += METADATA_SUFFIX;
      declarations.push({ path: filePath(project, file.filename + METADATA_SUFFIX), version, upstreamUrl: url.href, checksums: checksumsOf(file.coreMetadata) });
    }
  }
  return declarations;
}

function resolve(url: string, base: string | undefined): URL | undefined {
  try {
    const resolved = new URL(url, base);
    if (resolved.protocol !== 'http:' && resolved.protocol !== 'https:') return undefined;
    resolved.hash = '';
    return resolved;
  } catch {
    return undefined;
  }
}

/** Where a client downloads a file from the proxy. */
export function proxyFileUrl(mountUrl: string, project: string, filename: string): string {
  return `${mountUrl}files/${project}/${encodeURIComponent(filename)}`;
}

/** PEP 691's core-metadata value (true, false, or hashes) as FileFacts keeps it. */
export function coreMetadataHashes(value: unknown): Record<string, string> | undefined {
  if (value === true) return {};
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  return undefined;
}
