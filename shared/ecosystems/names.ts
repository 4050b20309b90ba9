/**
 * The ecosystems pkgproxy serves and the public registry each one proxies by default.
 * The mount of an ecosystem is `/<name>/`.
 */
export const DEFAULT_UPSTREAMS = {
  npm: 'https://registry.npmjs.org/',
  pypi: 'https://pypi.org/',
  gem: 'https://rubygems.org/',
  cargo: 'https://index.crates.io/',
  go: 'https://proxy.golang.org/',
  maven: 'https://repo1.maven.org/maven2/',
} as const;

export type EcosystemName = keyof typeof DEFAULT_UPSTREAMS;

export const ECOSYSTEM_NAMES = Object.keys(DEFAULT_UPSTREAMS) as EcosystemName[];

export function isEcosystemName(name: string): name is EcosystemName {
  return Object.hasOwn(DEFAULT_UPSTREAMS, name);
}
