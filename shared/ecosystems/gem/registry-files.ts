import type { ParsedMetadata, Rendered } from '../types.js';
import { compactIndexFile } from './info.js';

/**
 * Documents about the whole registry: the compact index's /versions and /names, and the older
 * Marshal index (specs.4.8.gz and kin). They are served as the upstream wrote them, hiding
 * nothing, because policy is judged per gem and these list every gem there is:
 *
 * - /versions lists each gem's versions and the MD5 of its /info file. Bundler reads only the
 *   MD5s from it, to skip refetching an /info file it holds a copy of; versions come from /info,
 *   where hidden ones are removed. An /info file with versions hidden differs from upstream, so
 *   its MD5 never matches the listed one and Bundler always asks for it again (the proxy answers
 *   304 when the client's copy is current). With nothing hidden it is upstream's file, its MD5
 *   matches, and the client's cache works as it does against rubygems.org.
 * - gem and Bundler resolve from the Marshal index only against registries without a compact
 *   index. Such a client would see fresh versions listed, and be refused their downloads.
 */
export interface RegistryFile {
  kind: 'registry-file';
  body: Buffer;
}

export class InvalidRegistryFile extends Error {}

const HEADER = /^(?:created_at: [^\n]*\n)?---\n/;

export function parseRegistryFile(file: string, body: Buffer): ParsedMetadata {
  if (file.endsWith('.gz')) {
    if (body[0] !== 0x1f || body[1] !== 0x8b) throw new InvalidRegistryFile(`${file} is not gzip data`);
  } else if (!HEADER.test(body.subarray(0, 200).toString('latin1'))) {
    throw new InvalidRegistryFile(`${file} does not start like a compact index file ("created_at: …" and "---")`);
  }
  const document: RegistryFile = { kind: 'registry-file', body };
  return { package: `/${file}`, versions: [], artifacts: [], document };
}

/** variant: the file's name, or "root" for the answer at the mount itself. */
export function renderRegistryFile(variant: string, document: RegistryFile): Rendered {
  if (variant === 'root') return { body: Buffer.from('RubyGems registry (compact index) through pkgproxy\n'), contentType: 'text/plain; charset=utf-8' };
  if (variant.endsWith('.gz')) return { body: document.body, contentType: 'application/octet-stream' };
  return compactIndexFile(document.body);
}
