import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, loadConfig, loadConfigOrThrow } from '../../shared/config/load.js';
import { configSchema } from '../../shared/config/schema.js';
import { parseByteSize, parseDuration } from '../../shared/config/units.js';

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pkgproxy-config-')), 'pkgproxy.yaml');
  writeFileSync(file, text);
  return file;
}

describe('configuration', () => {
  it('needs no file: defaults give a working proxy', () => {
    const config = loadConfigOrThrow({ env: {} });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.data_dir).toBe('./data');
    expect(config.upstreams.npm).toEqual(['https://registry.npmjs.org/']);
    expect(config.metadata_ttl).toBe(5 * 60_000);
    expect(config.cooldown).toEqual({ default: 0, ecosystems: {}, packages: {}, unknown_publish_time: 'allow' });
    expect(config.base_url).toBeUndefined();
  });

  it('layers file < environment < flags', () => {
    const file = yamlFile('listen: 9000\ndata_dir: /from/file\nbase_url: https://file.example\n');
    const config = loadConfigOrThrow({
      file,
      env: { PROXY_DATA_DIR: '/from/env', PROXY_BASE_URL: 'https://env.example/' },
      flags: { 'data-dir': '/from/flag' },
    });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(config.base_url).toBe('https://env.example/');
    expect(config.data_dir).toBe('/from/flag');
  });

  it('reads PROXY_CONFIG when no file is given', () => {
    const file = yamlFile('cooldown:\n  default: 2d\n');
    expect(loadConfigOrThrow({ env: { PROXY_CONFIG: file } }).cooldown.default).toBe(2 * 86_400_000);
  });

  it('takes an upstream list from YAML or a comma-separated variable, tried in order', () => {
    const file = yamlFile('upstreams:\n  npm:\n    - https://a.example/npm\n    - https://b.example/npm/\n');
    expect(loadConfigOrThrow({ file, env: {} }).upstreams.npm).toEqual(['https://a.example/npm/', 'https://b.example/npm/']);
    expect(loadConfigOrThrow({ env: { PROXY_UPSTREAM_NPM: 'https://c.example, https://d.example/x' } }).upstreams.npm).toEqual([
      'https://c.example/',
      'https://d.example/x/',
    ]);
  });

  it('resolves cooldown settings and package keys', () => {
    const file = yamlFile(
      'cooldown:\n  default: 7d\n  ecosystems:\n    npm: 3d\n  packages:\n    "pkg:npm/lodash": 0\n    "pkg:npm/%40babel/core": 12h\n',
    );
    const { cooldown } = loadConfigOrThrow({ file, env: { PROXY_COOLDOWN_NPM: '1d' } });
    expect(cooldown.default).toBe(7 * 86_400_000);
    expect(cooldown.ecosystems.npm).toBe(86_400_000);
    expect(cooldown.packages).toEqual({ 'pkg:npm/lodash': 0, 'pkg:npm/@babel/core': 12 * 3_600_000 });
  });

  it('reads package keys as package URLs, in the form each ecosystem names its packages', () => {
    const file = yamlFile(
      'cooldown:\n  packages:\n    "pkg:maven/org.acme/lib": 1d\n    "pkg:pypi/Zope.Interface": 2d\n    "pkg:go/example.com/a": 3d\n    "pkg:golang/example.com/b": 4d\n',
    );
    expect(Object.keys(loadConfigOrThrow({ file, env: {} }).cooldown.packages).sort()).toEqual([
      'pkg:golang/example.com/a',
      'pkg:golang/example.com/b',
      'pkg:maven/org.acme:lib',
      'pkg:pypi/zope-interface',
    ]);
  });

  it('reports every problem with its path and where the value came from', () => {
    const file = yamlFile('listen: nowhere\ncooldown:\n  default: 3 days\n  packages:\n    "npm:lodash": 1d\nupstreams:\n  npm: ftp://x\n  cobol: https://x\ntypo_setting: 1\n');
    const result = loadConfig({ file, env: { PROXY_METADATA_TTL: 'soon' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problems = result.problems.join('\n');
    expect(problems).toContain(`listen: invalid listen address "nowhere"`);
    expect(problems).toContain(`cooldown.default: invalid duration "3 days"`);
    expect(problems).toContain(`(from ${file})`);
    expect(problems).toMatch(/cooldown\.packages\.npm:lodash: invalid package key "npm:lodash"/);
    expect(problems).toContain('upstreams.npm.0: URL "ftp://x" must be http or https');
    expect(problems).toContain('upstreams: unknown setting "cobol"');
    expect(problems).toContain('(top level): unknown setting "typo_setting"');
    expect(problems).toContain('metadata_ttl: invalid duration "soon"');
    expect(problems).toContain('(from PROXY_METADATA_TTL)');
    expect(result.problems).toHaveLength(7);
  });

  it('reports a file that cannot be read or parsed', () => {
    const missing = loadConfig({ file: '/nonexistent/pkgproxy.yaml', env: {} });
    expect(missing.ok || missing.problems[0]).toBe('/nonexistent/pkgproxy.yaml: cannot read the config file (ENOENT)');
    const broken = loadConfig({ file: yamlFile('listen: [unclosed\n'), env: {} });
    expect(broken.ok).toBe(false);
  });

  it('has an environment variable for every scalar setting of the schema', () => {
    const covered = new Set(ENV_VARIABLES.map(([, path]) => path.join('.')));
    const defaults = configSchema.parse({});
    const scalars: string[] = [];
    const walk = (value: unknown, path: string[]) => {
      if (value && typeof value === 'object' && !Array.isArray(value) && !('host' in value)) {
        for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
      } else {
        scalars.push(path.join('.'));
      }
    };
    walk(defaults, []);
    for (const path of scalars) expect(covered, path).toContain(path);
    // Settings without a default are absent from the parsed defaults.
    for (const path of ['base_url', 'database_url', 'storage_url', 'redis_url']) expect(covered).toContain(path);
  });

  it('takes the cluster services from URLs, and refuses separate roles without Redis', () => {
    const config = loadConfigOrThrow({
      env: {
        PROXY_DATABASE_URL: 'postgres://proxy:secret@db:5432/pkgproxy',
        PROXY_STORAGE_URL: 's3://blobs/cache?endpoint=http://minio:9000&force_path_style=true&region=us-east-1',
        PROXY_REDIS_URL: 'redis://redis:6379',
        PROXY_STALL_TIMEOUT: '5s',
      },
      flags: { role: 'fetcher' },
    });
    expect(config).toMatchObject({ role: 'fetcher', database_url: 'postgres://proxy:secret@db:5432/pkgproxy', redis_prefix: 'pkgproxy', stall_timeout: 5000 });
    const alone = loadConfig({ env: { PROXY_ROLE: 'gateway' } });
    expect(alone.ok || alone.problems).toEqual([expect.stringMatching(/^role: role "gateway" needs redis_url \(PROXY_REDIS_URL\)/)]);
  });

  it('explains a bad service URL', () => {
    const result = loadConfig({
      env: {
        PROXY_DATABASE_URL: 'mysql://db/x',
        PROXY_STORAGE_URL: 's3://blobs?endpont=http://minio:9000',
        PROXY_REDIS_URL: 'redis://r:6379',
        PROXY_REDIS_PREFIX: 'a:b',
        PROXY_STALL_TIMEOUT: '100ms',
      },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'database_url: must be a URL like postgres://user:password@host:5432/pkgproxy (from PROXY_DATABASE_URL)',
      'storage_url: storage URL parameter "endpont" is unknown (known: endpoint, region, force_path_style) (from PROXY_STORAGE_URL)',
      'redis_prefix: use letters, digits, "_", "." or "-" (from PROXY_REDIS_PREFIX)',
      'stall_timeout: must be at least 1s (from PROXY_STALL_TIMEOUT)',
    ]);
  });
});

describe('units', () => {
  it('parses durations', () => {
    expect(parseDuration('3d')).toBe(259_200_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration(30)).toBe(30_000);
    expect(parseDuration('5')).toBeUndefined();
    expect(parseDuration('3 days')).toBeUndefined();
    expect(parseDuration('-1d')).toBeUndefined();
  });

  it('parses byte sizes', () => {
    expect(parseByteSize('64MB')).toBe(64 * 1024 ** 2);
    expect(parseByteSize('512kb')).toBe(512 * 1024);
    expect(parseByteSize('1GiB')).toBe(1024 ** 3);
    expect(parseByteSize(100)).toBe(100);
    expect(parseByteSize('lots')).toBeUndefined();
  });
});
