import type { Config } from '../config/schema.js';
import type { EcosystemName } from '../ecosystems/names.js';
import { badRequest } from '../http-error.js';

/**
 * The URL of a path on each configured upstream of an ecosystem, in the order they are tried.
 * URL parsing resolves "..", "%2e%2e" and "\" in a path: "-/../react" would fetch something
 * other than what the ecosystem module routed (a packument with no policy applied, say), so a
 * path that does not survive parsing unchanged is refused.
 */
export function upstreamUrls(config: Config, ecosystem: EcosystemName, path: string): string[] {
  return config.upstreams[ecosystem].map((base) => {
    const url = base + path;
    const [pathOnly] = path.split('?', 1);
    if (new URL(url).pathname !== new URL(base).pathname + pathOnly) throw badRequest(`path ${JSON.stringify(path.slice(0, 200))} would leave the upstream's ${ecosystem} API`);
    return url;
  });
}
