import { stringify } from 'yaml';
import { loadConfig, type ConfigSources } from '../../shared/config/load.js';

/** Prints every configuration problem with its path; exits 1 if there is any. */
export async function configCheck(sources: ConfigSources): Promise<number> {
  const result = loadConfig(sources);
  if (!result.ok) {
    process.stderr.write(`configuration has ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:\n`);
    for (const problem of result.problems) process.stderr.write(`  ${problem}\n`);
    return 1;
  }
  process.stdout.write(`configuration is valid${result.file ? ` (${result.file})` : ' (defaults and environment)'}; effective settings:\n`);
  process.stdout.write(stringify({ ...result.config, database_url: withoutPassword(result.config.database_url), redis_url: withoutPassword(result.config.redis_url) }));
  return 0;
}

/** Settings are printed for people to read; passwords in service URLs are not. */
function withoutPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.href;
}
