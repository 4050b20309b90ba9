import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ECOSYSTEM_NAMES } from '../ecosystems/names.js';
import { configSchema, type Config } from './schema.js';

/**
 * Builds the configuration from, lowest precedence first: schema defaults, the YAML file
 * (--config or PROXY_CONFIG), PROXY_* environment variables, command-line flags.
 * Every problem is reported with its path and where the value came from.
 */

type Path = readonly string[];

/** Environment variables and the config path each one sets. */
export const ENV_VARIABLES: ReadonlyArray<readonly [string, Path]> = [
  ['PROXY_LISTEN', ['listen']],
  ['PROXY_BASE_URL', ['base_url']],
  ['PROXY_DATA_DIR', ['data_dir']],
  ['PROXY_LOG_LEVEL', ['log_level']],
  ['PROXY_METADATA_TTL', ['metadata_ttl']],
  ['PROXY_NEGATIVE_TTL', ['negative_ttl']],
  ['PROXY_UPSTREAM_TIMEOUT', ['upstream_timeout']],
  ['PROXY_FETCH_WAIT', ['fetch_wait']],
  ['PROXY_MAX_METADATA_SIZE', ['max_metadata_size']],
  ['PROXY_HOT_CACHE_SIZE', ['hot_cache_size']],
  ['PROXY_FETCHER_CONCURRENCY', ['fetcher', 'concurrency']],
  ['PROXY_GO_PRIVATE', ['go', 'private']],
  ['PROXY_ROLE', ['role']],
  ['PROXY_DATABASE_URL', ['database_url']],
  ['PROXY_STORAGE_URL', ['storage_url']],
  ['PROXY_STORAGE_REDIRECT_OVER', ['storage_redirect_over']],
  ['PROXY_REDIS_URL', ['redis_url']],
  ['PROXY_REDIS_PREFIX', ['redis_prefix']],
  ['PROXY_STALL_TIMEOUT', ['stall_timeout']],
  ['PROXY_COOLDOWN_DEFAULT', ['cooldown', 'default']],
  ['PROXY_COOLDOWN_UNKNOWN_PUBLISH_TIME', ['cooldown', 'unknown_publish_time']],
  ...ECOSYSTEM_NAMES.flatMap((eco) => [
    [`PROXY_UPSTREAM_${eco.toUpperCase()}`, ['upstreams', eco]] as [string, Path],
    [`PROXY_COOLDOWN_${eco.toUpperCase()}`, ['cooldown', 'ecosystems', eco]] as [string, Path],
  ]),
];

/** Command-line flags and the config path each one sets. */
export const FLAGS: ReadonlyArray<readonly [string, Path]> = [
  ['listen', ['listen']],
  ['base-url', ['base_url']],
  ['data-dir', ['data_dir']],
  ['log-level', ['log_level']],
  ['role', ['role']],
];

/** Settings whose value is a number in YAML but arrives as text from env and flags. */
const NUMERIC_PATHS = new Set(['fetcher.concurrency']);

export interface ConfigSources {
  /** Path of the YAML file; falls back to env.PROXY_CONFIG. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  flags?: Record<string, string | undefined>;
}

export type ConfigResult = { ok: true; config: Config; file: string | undefined } | { ok: false; problems: string[]; file: string | undefined };

export function loadConfig(sources: ConfigSources = {}): ConfigResult {
  const env = sources.env ?? process.env;
  const file = sources.file ?? (env.PROXY_CONFIG || undefined);
  const problems: string[] = [];
  const origins = new Map<string, string>();
  let raw: Record<string, unknown> = {};

  if (file !== undefined) {
    const fromFile = readYaml(file, problems);
    if (fromFile) {
      raw = fromFile;
      for (const path of leafPaths(fromFile)) origins.set(path.join('.'), file);
    }
  }
  for (const [name, path] of ENV_VARIABLES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, coerce(path, value));
    origins.set(path.join('.'), name);
  }
  for (const [flag, path] of FLAGS) {
    const value = sources.flags?.[flag];
    if (value === undefined) continue;
    setPath(raw, path, coerce(path, value));
    origins.set(path.join('.'), `--${flag}`);
  }
  if (problems.length > 0) return { ok: false, problems, file };

  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data, file };
  for (const issue of parsed.error.issues) {
    const path = issue.path.map(String);
    const where = path.length > 0 ? path.join('.') : '(top level)';
    const origin = originOf(origins, path);
    problems.push(`${where}: ${describe(issue)}${origin ? ` (from ${origin})` : ''}`);
  }
  return { ok: false, problems, file };
}

/** Like loadConfig, but throws one error listing every problem. */
export function loadConfigOrThrow(sources: ConfigSources = {}): Config {
  const result = loadConfig(sources);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

function readYaml(file: string, problems: string[]): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${file}: cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return undefined;
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) problems.push(`${file}: ${error.message.split('\n')[0]}`);
    return undefined;
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${file}: the top level must be a mapping of settings`);
    return undefined;
  }
  return value as Record<string, unknown>;
}

function coerce(path: Path, value: string): unknown {
  if (NUMERIC_PATHS.has(path.join('.')) && /^\d+$/.test(value)) return Number(value);
  return value;
}

function setPath(target: Record<string, unknown>, path: Path, value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function* leafPaths(value: unknown, prefix: Path = []): Generator<Path> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) yield* leafPaths(child, [...prefix, key]);
  } else {
    yield prefix;
  }
}

function originOf(origins: Map<string, string>, path: Path): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const origin = origins.get(path.slice(0, n).join('.'));
    if (origin) return origin;
  }
  return undefined;
}

function describe(issue: { code: string; message: string; keys?: string[] }): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  return issue.message;
}
