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

/** Package URL types (purl spec) that differ from the ecosystem's name. */
const PURL_TYPES: Partial<Record<EcosystemName, string>> = { go: 'golang' };

/** How a package URL's name becomes the package name the ecosystem module uses, where they differ. */
const PURL_NAMES: Partial<Record<EcosystemName, (name: string) => string>> = {
  // pkg:maven/<groupId>/<artifactId> names the package groupId:artifactId.
  maven: (name) => (name.includes(':') ? name : name.replace(/\/(?=[^/]*$)/, ':')),
  // PEP 503 normalization, as the PyPI module names projects.
  pypi: (name) => name.toLowerCase().replace(/[-_.]+/g, '-'),
};

/** The package URL of a package, e.g. pkg:golang/github.com/acme/lib; the form config keys use. */
export function packageUrl(ecosystem: EcosystemName, pkg: string): string {
  return `pkg:${PURL_TYPES[ecosystem] ?? ecosystem}/${pkg}`;
}

/**
 * Reads a package URL as written in configuration: its type (or the ecosystem name), and the
 * name with its percent-encoding undone and normalized as the ecosystem names packages.
 * Undefined when it names no ecosystem pkgproxy serves.
 */
export function parsePackageUrl(purl: string): { ecosystem: EcosystemName; pkg: string } | undefined {
  const match = /^pkg:([a-z]+)\/(.+)$/.exec(purl);
  if (!match) return undefined;
  const type = match[1]!;
  const ecosystem = (Object.entries(PURL_TYPES).find(([, t]) => t === type)?.[0] ?? type) as string;
  if (!isEcosystemName(ecosystem)) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(match[2]!);
  } catch {
    return undefined;
  }
  return { ecosystem, pkg: PURL_NAMES[ecosystem]?.(name) ?? name };
}
