// The package universe the benchmark serves: deterministic, built in memory except for the
// 1 GB artifact, which is written to disk once (bench/.tools/fixtures) and streamed.
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

/** Lockfile packages: bench-pkg-000 … bench-pkg-299. */
export const PACKAGE_COUNT = 300;
const PREFIX = 'bench-pkg';
/** Packages the root package.json depends on directly. */
const ROOT_DEPS = 30;
/** Every version of a lockfile package: 1.2.0 is what ^1.0.0 resolves to; 2.0.0 (every 10th package) is fresh. */
const PKG_VERSIONS = [
  { version: '1.0.0', age: 400 * DAY },
  { version: '1.1.0', age: 200 * DAY },
  { version: '1.2.0', age: 30 * DAY },
];
const FRESH_MAJOR = { version: '2.0.0', age: 1 * DAY };
export const LOCKED_VERSION = '1.2.0';
/** Random (incompressible) bytes in each lockfile tarball, so that the .tgz is about 20 KB. */
const TARBALL_PAYLOAD = 19_900;

/** The ~1 MB packument: many versions, the newest few inside a 3d cooldown. */
export const BIG = 'bench-big';
const BIG_VERSIONS = 530;
const BIG_FRESH = 5;

/** The 1 GB artifact: the only version of bench-huge. */
export const HUGE = 'bench-huge';
export const HUGE_VERSION = '1.0.0';
const HUGE_PAYLOAD = 1024 ** 3; // bytes of package/huge.bin before tar and gzip
const FIXTURE_FORMAT = 1; // bump when the generated artifact changes

export function pkgName(i, prefix = PREFIX) {
  return `${prefix}-${String(i).padStart(3, '0')}`;
}

/** mulberry32: a small seeded PRNG, so the dependency graph is the same on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic pseudo-random bytes (AES-CTR keystream keyed by a label). */
function randomBytesFor(label, length) {
  const key = createHash('sha256').update(label).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return cipher.update(Buffer.alloc(length));
}

/** One ustar header block. */
function tarHeader(name, size) {
  const header = Buffer.alloc(512);
  const put = (text, offset, length) => header.write(text, offset, length, 'ascii');
  const octal = (value, length) => value.toString(8).padStart(length - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(499162500, 12), 136, 12); // 1985-10-26T08:15:00Z, like npm pack
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\u000000', 257, 8);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return header;
}

function tarEntry(name, content) {
  const pad = (512 - (content.length % 512)) % 512;
  return [tarHeader(name, content.length), content, Buffer.alloc(pad)];
}

/** A real npm tarball: package/package.json, package/index.js and optionally package/data.bin. */
export function packTarball(name, version, dependencies, payloadBytes) {
  const manifest = Buffer.from(`${JSON.stringify({ name, version, main: 'index.js', dependencies }, null, 2)}\n`);
  const parts = [
    ...tarEntry('package/package.json', manifest),
    ...tarEntry('package/index.js', Buffer.from(`module.exports = ${JSON.stringify(`${name}@${version}`)};\n`)),
  ];
  if (payloadBytes > 0) parts.push(...tarEntry('package/data.bin', randomBytesFor(`${name}@${version}`, payloadBytes)));
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts), { level: 6 });
}

function digests(bytes) {
  return {
    integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    shasum: createHash('sha1').update(bytes).digest('hex'),
  };
}

/**
 * The dependency graph: bench-pkg-i depends only on packages with a higher index (a DAG),
 * every package from ROOT_DEPS on has at least one dependent, so all 300 are installed.
 */
function dependencyGraph(prefix = PREFIX) {
  const random = prng(20241105);
  const deps = Array.from({ length: PACKAGE_COUNT }, () => new Set());
  for (let j = ROOT_DEPS; j < PACKAGE_COUNT; j++) {
    const parent = Math.max(0, j - 40) + Math.floor(random() * Math.min(40, j));
    deps[Math.min(parent, j - 1)].add(j);
  }
  for (let i = 0; i < PACKAGE_COUNT; i++) {
    const extra = Math.floor(random() * 3);
    for (let k = 0; k < extra; k++) {
      const j = i + 1 + Math.floor(random() * 40);
      if (j < PACKAGE_COUNT) deps[i].add(j);
    }
  }
  return deps.map((set) => Object.fromEntries([...set].sort((a, b) => a - b).map((j) => [pkgName(j, prefix), '^1.0.0'])));
}

/**
 * The lockfile's 300 packages under one name prefix: the same graph, sizes and ages under
 * another prefix make a second cache-cold install of identical work.
 */
export function lockfilePackages(prefix = PREFIX) {
  const packages = new Map();
  const graph = dependencyGraph(prefix);
  for (let i = 0; i < PACKAGE_COUNT; i++) {
    const name = pkgName(i, prefix);
    const specs = i % 10 === 0 ? [...PKG_VERSIONS, FRESH_MAJOR] : PKG_VERSIONS;
    const versions = specs.map(({ version, age }) => {
      const dependencies = graph[i];
      const tarball = packTarball(name, version, dependencies, TARBALL_PAYLOAD);
      return { version, age, dependencies, tarball, ...digests(tarball) };
    });
    packages.set(name, { name, versions, distTags: { latest: specs.at(-1).version } });
  }
  return packages;
}

/**
 * Every package the fake upstream serves, as { name, versions: [{ version, age, dependencies,
 * tarball: Buffer | { file, size }, integrity, shasum, manifestExtra }], distTags, extra }.
 */
export function buildUniverse({ hugeArtifact } = {}) {
  const packages = lockfilePackages();
  // The big packument: 420 versions with realistic manifests and a 40 KB readme.
  const bigVersions = [];
  for (let v = 0; v < BIG_VERSIONS; v++) {
    const version = `${Math.floor(v / 100) + 1}.${Math.floor(v / 10) % 10}.${v % 10}`;
    const fresh = v >= BIG_VERSIONS - BIG_FRESH;
    const age = fresh ? (BIG_VERSIONS - v) * 6 * HOUR : (BIG_VERSIONS - v) * 3 * DAY;
    const dependencies = Object.fromEntries(Array.from({ length: 12 }, (_, k) => [pkgName((v * 7 + k * 13) % PACKAGE_COUNT), `^1.${k % 3}.0`]));
    const tarball = packTarball(BIG, version, dependencies, 0);
    bigVersions.push({ version, age, dependencies, tarball, ...digests(tarball), manifestExtra: bigManifestExtra(version, v) });
  }
  packages.set(BIG, {
    name: BIG,
    versions: bigVersions,
    distTags: { latest: bigVersions.at(-1).version, next: bigVersions.at(-2).version },
    extra: { readme: `# ${BIG}\n\n${'A package with many versions, for the packument benchmark. '.repeat(700)}\n`, readmeFilename: 'README.md' },
  });

  if (hugeArtifact) {
    packages.set(HUGE, {
      name: HUGE,
      versions: [{ version: HUGE_VERSION, age: 100 * DAY, dependencies: {}, tarball: { file: hugeArtifact.file, size: hugeArtifact.size }, integrity: hugeArtifact.integrity, shasum: hugeArtifact.shasum }],
      distTags: { latest: HUGE_VERSION },
    });
  }
  return packages;
}

/** Fields a real manifest carries, so each version weighs about 2.4 KB as on the public registry. */
function bigManifestExtra(version, v) {
  return {
    description: 'A package with many versions, for the packument benchmark: every manifest carries the usual fields.',
    keywords: ['bench', 'packument', 'proxy', 'cache', 'npm', 'registry'],
    homepage: 'https://example.invalid/bench-big#readme',
    bugs: { url: 'https://example.invalid/bench-big/issues' },
    repository: { type: 'git', url: 'git+https://example.invalid/bench-big.git' },
    license: 'MIT',
    author: { name: 'Bench Author', email: 'bench@example.invalid' },
    maintainers: [{ name: 'bench', email: 'bench@example.invalid' }, { name: 'other', email: 'other@example.invalid' }],
    scripts: { test: 'node test.js', build: 'tsc -p .', lint: 'eslint .' },
    engines: { node: '>=18' },
    devDependencies: { typescript: '^5.0.0', eslint: '^9.0.0', vitest: '^2.0.0', '@types/node': '^20.0.0' },
    gitHead: createHash('sha1').update(version).digest('hex'),
    _nodeVersion: '20.11.0',
    _npmVersion: '10.2.4',
    _npmUser: { name: 'bench', email: 'bench@example.invalid' },
    directories: {},
    _hasShrinkwrap: false,
    distExtra: {
      fileCount: 12 + (v % 7),
      unpackedSize: 40_000 + v * 13,
      signatures: [{ keyid: 'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA', sig: createHash('sha512').update(`sig${version}`).digest('base64') }],
    },
  };
}

/** The packument as the public registry shapes it, with tarball URLs on baseUrl. */
export function packumentOf(pkg, baseUrl, now) {
  const time = {};
  const versions = {};
  const ages = pkg.versions.map((v) => v.age);
  time.created = new Date(now - Math.max(...ages)).toISOString();
  time.modified = new Date(now - Math.min(...ages)).toISOString();
  for (const v of pkg.versions) {
    time[v.version] = new Date(now - v.age).toISOString();
    const { distExtra, ...extra } = v.manifestExtra ?? {};
    versions[v.version] = {
      name: pkg.name,
      version: v.version,
      ...extra,
      main: 'index.js',
      dependencies: v.dependencies,
      _id: `${pkg.name}@${v.version}`,
      dist: { integrity: v.integrity, shasum: v.shasum, tarball: `${baseUrl}${pkg.name}/-/${pkg.name}-${v.version}.tgz`, ...(distExtra ?? {}) },
    };
  }
  return { _id: pkg.name, name: pkg.name, 'dist-tags': pkg.distTags, versions, time, modified: time.modified, ...(pkg.extra ?? { readme: `# ${pkg.name}` }) };
}

/** package.json and a hand-made lockfile (v3, every package hoisted) of the packages under prefix, whose tarballs live on registryUrl. */
export function projectFiles(packages, registryUrl, prefix = PREFIX) {
  const graph = dependencyGraph(prefix);
  const rootDeps = Object.fromEntries(Array.from({ length: ROOT_DEPS }, (_, i) => [pkgName(i, prefix), '^1.0.0']));
  const packageJson = { name: 'bench-app', version: '1.0.0', private: true, dependencies: rootDeps };
  const lockPackages = { '': { name: 'bench-app', version: '1.0.0', dependencies: rootDeps } };
  for (let i = 0; i < PACKAGE_COUNT; i++) {
    const name = pkgName(i, prefix);
    const v = packages.get(name).versions.find((x) => x.version === LOCKED_VERSION);
    lockPackages[`node_modules/${name}`] = {
      version: LOCKED_VERSION,
      resolved: `${registryUrl}${name}/-/${name}-${LOCKED_VERSION}.tgz`,
      integrity: v.integrity,
      ...(Object.keys(graph[i]).length ? { dependencies: graph[i] } : {}),
    };
  }
  const lockfile = { name: 'bench-app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: lockPackages };
  return { packageJson, lockfile };
}

/**
 * The 1 GB artifact: a valid .tgz (gzip with stored blocks, so it is quick to make) of
 * package/package.json and 1 GiB of pseudo-random bytes, written once with its digests.
 */
export async function ensureHugeArtifact(dir, log) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${HUGE}-${HUGE_VERSION}.tgz`);
  const infoFile = join(dir, `${HUGE}-${HUGE_VERSION}.json`);
  if (existsSync(file) && existsSync(infoFile)) {
    const info = JSON.parse(readFileSync(infoFile, 'utf8'));
    if (info.format === FIXTURE_FORMAT) return { ...info, file };
  }
  log(`generating the 1 GB artifact in ${dir} (once)`);
  const manifest = Buffer.from(`${JSON.stringify({ name: HUGE, version: HUGE_VERSION, main: 'index.js' }, null, 2)}\n`);
  const sha512 = createHash('sha512');
  const sha1 = createHash('sha1');
  let size = 0;
  const key = createHash('sha256').update('bench-huge').digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const zero = Buffer.alloc(1024 * 1024);
  async function* source() {
    yield Buffer.concat(tarEntry('package/package.json', manifest));
    yield tarHeader('package/huge.bin', HUGE_PAYLOAD);
    for (let left = HUGE_PAYLOAD; left > 0; left -= zero.length) yield cipher.update(left >= zero.length ? zero : zero.subarray(0, left));
    yield Buffer.alloc(1024);
  }
  const hashing = new Transform({
    transform(chunk, _encoding, done) {
      sha512.update(chunk);
      sha1.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const tmp = `${file}.tmp`;
  await pipeline(source(), createGzip({ level: 0, chunkSize: 1024 * 1024 }), hashing, createWriteStream(tmp));
  renameSync(tmp, file);
  const info = { format: FIXTURE_FORMAT, size, integrity: `sha512-${sha512.digest('base64')}`, shasum: sha1.digest('hex') };
  writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`);
  return { ...info, file };
}
