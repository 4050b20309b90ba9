import type { ParsedMetadata, Rendered } from '../types.js';
import { indexPrefix } from './names.js';
import { DOWNLOAD_PREFIX } from './routes.js';

/** The parts of a registry's config.json pkgproxy uses. */
export interface RegistryConfig {
  /** Download URL template; without markers Cargo appends /{crate}/{version}/download. */
  dl: string;
  /** Base of the web API (crates.io: https://crates.io), absent on registries without one. */
  api?: string;
}

const MARKERS = ['{crate}', '{version}', '{prefix}', '{lowerprefix}', '{sha256-checksum}'];

export class InvalidRegistryConfig extends Error {}

export function parseRegistryConfig(body: Buffer): RegistryConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidRegistryConfig(`config.json is not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InvalidRegistryConfig('config.json is not a JSON object');
  const { dl, api } = doc as Record<string, unknown>;
  if (typeof dl !== 'string' || !isHttpUrl(dl)) throw new InvalidRegistryConfig(`config.json has no http(s) "dl" URL`);
  if (api !== undefined && (typeof api !== 'string' || !isHttpUrl(api))) throw new InvalidRegistryConfig(`config.json has an "api" that is not an http(s) URL`);
  return api === undefined ? { dl } : { dl, api };
}

export function parseConfigDocument(body: Buffer): ParsedMetadata {
  return { package: 'config.json', versions: [], artifacts: [], document: parseRegistryConfig(body) };
}

/**
 * The proxy's own config.json: downloads and the API both point at the mount. Only dl and api
 * are kept: the upstream's other keys (auth-required) describe the upstream, not the proxy.
 */
export function renderRegistryConfig(mountUrl: string): Rendered {
  const config = { dl: `${mountUrl}${DOWNLOAD_PREFIX}`, api: mountUrl.replace(/\/$/, '') };
  return { body: Buffer.from(JSON.stringify(config)), contentType: 'application/json' };
}

/** Where Cargo would download a crate from a registry with this dl template. */
export function downloadUrl(dl: string, crate: { name: string; version: string; cksum: string }): string {
  const template = MARKERS.some((marker) => dl.includes(marker)) ? dl : `${dl}/{crate}/{version}/download`;
  const prefix = indexPrefix(crate.name);
  return template
    .replaceAll('{crate}', crate.name)
    .replaceAll('{version}', crate.version)
    .replaceAll('{prefix}', prefix)
    .replaceAll('{lowerprefix}', prefix.toLowerCase())
    .replaceAll('{sha256-checksum}', crate.cksum);
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
