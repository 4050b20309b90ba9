import type { Config } from '../config/schema.js';
import type { EcosystemName } from '../ecosystems/names.js';

/** The URL of a path on each configured upstream of an ecosystem, in the order they are tried. */
export function upstreamUrls(config: Config, ecosystem: EcosystemName, path: string): string[] {
  // Bases end with '/', paths never start with one: concatenation keeps every path below its base.
  return config.upstreams[ecosystem].map((base) => base + path);
}
