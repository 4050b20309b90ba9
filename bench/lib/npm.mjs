// npm ci runs in isolation: their own user config, an empty global config, a fresh cache.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './procs.mjs';

/** process.env without the npm_config_* variables that `npm run bench` sets, or proxies. */
export function cleanEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_config_') || lower.startsWith('npm_package_') || lower.startsWith('npm_lifecycle_')) continue;
    if (['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'].includes(lower)) continue;
    if (key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  env.NO_UPDATE_NOTIFIER = '1';
  env.NO_COLOR = '1';
  return env;
}

/**
 * Times `npm ci` of the bench project against one registry, end to end (npm's start-up
 * included), with a new empty npm cache and no node_modules.
 */
export async function timeNpmCi({ root, registryUrl, packageJson, lockfile, label }) {
  const dir = join(root, `ci-${label}-${Date.now()}`);
  const project = join(dir, 'project');
  const cache = join(dir, 'cache');
  mkdirSync(project, { recursive: true });
  mkdirSync(cache, { recursive: true });
  const userconfig = join(dir, 'npmrc');
  const globalconfig = join(dir, 'global-npmrc');
  writeFileSync(
    userconfig,
    [
      `registry=${registryUrl}`,
      'omit-lockfile-registry-resolved=false',
      'audit=false',
      'fund=false',
      'update-notifier=false',
      'ignore-scripts=true',
      'fetch-retries=0',
      'fetch-timeout=120000',
      'progress=false',
      'loglevel=warn',
      '',
    ].join('\n'),
  );
  writeFileSync(globalconfig, '');
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(join(project, 'package-lock.json'), `${JSON.stringify(lockfile, null, 2)}\n`);
  const started = process.hrtime.bigint();
  const result = await run('npm', ['ci', '--userconfig', userconfig, '--globalconfig', globalconfig, '--cache', cache, '--no-audit', '--no-fund'], {
    cwd: project,
    env: cleanEnv(),
    timeoutMs: 600_000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(dir, { recursive: true, force: true });
  if (result.code !== 0) {
    return { ok: false, seconds, error: `npm ci exited ${result.code ?? result.signal}: ${(result.stderr || result.stdout).trim().split('\n').slice(-6).join(' | ')}` };
  }
  return { ok: true, seconds };
}
