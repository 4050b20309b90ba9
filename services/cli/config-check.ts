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
  process.stdout.write(stringify(result.config));
  return 0;
}
