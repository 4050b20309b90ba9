import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real gems for tests, made by RubyGems itself: `gem build` from a generated gemspec, then
 * `gem generate_index` over the gems/ directory for the Marshal index (specs.4.8.gz and kin)
 * and the quick specs, exactly as a static gem server publishes them.
 */

const run = promisify(execFile);

export interface GemToBuild {
  name: string;
  version: string;
  /** Runtime dependencies: name → requirements, e.g. { "acme-core": ["~> 1.0"] }. */
  dependencies?: Record<string, string[]>;
}

export interface BuiltRepository {
  /** .gem bytes by file name, e.g. "acme-core-1.0.0.gem". */
  gems: Map<string, Buffer>;
  /** Files of the Marshal index by path: "specs.4.8.gz", "quick/Marshal.4.8/acme-core-1.0.0.gemspec.rz", … */
  index: Map<string, Buffer>;
}

/** The environment for RubyGems commands: nothing from the machine's gem configuration. */
export function rubyEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(GEM_|BUNDLE_|RUBY)/.test(key) || key === 'GEMRC' || /^(https?|all|no)_proxy$/i.test(key)) continue;
    env[key] = value;
  }
  env.HOME = home;
  return env;
}

/**
 * Builds every gem into `repository/gems/` (gems already there are kept) and regenerates the
 * index over all of them. Gems are built two at a time: each `gem build` is a Ruby start-up.
 */
export async function buildRepository(repository: string, gems: GemToBuild[]): Promise<BuiltRepository> {
  const gemsDir = join(repository, 'gems');
  mkdirSync(gemsDir, { recursive: true });
  const env = rubyEnv(repository);
  const queue = [...gems];
  const worker = async () => {
    for (let gem = queue.shift(); gem; gem = queue.shift()) {
      const file = await buildGem(join(repository, 'build'), gem, env);
      renameSync(file, join(gemsDir, `${gem.name}-${gem.version}.gem`));
    }
  };
  await Promise.all([worker(), worker()]);
  rmSync(join(repository, 'build'), { recursive: true, force: true });
  await run('gem', ['generate_index', '--directory', repository], { env });
  return readRepository(repository);
}

async function buildGem(buildDir: string, gem: GemToBuild, env: NodeJS.ProcessEnv): Promise<string> {
  const dir = join(buildDir, `${gem.name}-${gem.version}`);
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'lib', `${gem.name}.rb`), `module ${constantName(gem.name)}\n  VERSION = ${JSON.stringify(gem.version)}\nend\n`);
  const dependencies = Object.entries(gem.dependencies ?? {})
    .map(([name, requirements]) => `  s.add_runtime_dependency ${JSON.stringify(name)}, ${requirements.map((r) => JSON.stringify(r)).join(', ')}\n`)
    .join('');
  writeFileSync(
    join(dir, `${gem.name}.gemspec`),
    `Gem::Specification.new do |s|
  s.name = ${JSON.stringify(gem.name)}
  s.version = ${JSON.stringify(gem.version)}
  s.summary = "A gem built by pkgproxy's tests"
  s.authors = ["pkgproxy tests"]
  s.homepage = "https://example.com/${gem.name}"
  s.license = "MIT"
  s.files = ["lib/${gem.name}.rb"]
${dependencies}end
`,
  );
  await run('gem', ['build', `${gem.name}.gemspec`], { cwd: dir, env });
  return join(dir, `${gem.name}-${gem.version}.gem`);
}

function readRepository(repository: string): BuiltRepository {
  const gems = new Map<string, Buffer>();
  for (const file of readdirSync(join(repository, 'gems'))) gems.set(file, readFileSync(join(repository, 'gems', file)));
  const index = new Map<string, Buffer>();
  for (const file of ['specs.4.8.gz', 'latest_specs.4.8.gz', 'prerelease_specs.4.8.gz']) index.set(file, readFileSync(join(repository, file)));
  const quick = join(repository, 'quick', 'Marshal.4.8');
  for (const file of readdirSync(quick)) index.set(`quick/Marshal.4.8/${file}`, readFileSync(join(quick, file)));
  return { gems, index };
}

/** "acme-core" → "AcmeCore": a Ruby constant for the gem's one file. */
function constantName(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')
    .replace(/^[^A-Z]/, 'G$&');
}

export function removeRepository(repository: string): void {
  rmSync(repository, { recursive: true, force: true });
}

export function newRepositoryDir(): string {
  return mkdtempSync(join(tmpdir(), 'pkgproxy-gems-'));
}
