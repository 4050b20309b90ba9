import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigOrThrow, type ConfigSources } from '../../shared/config/load.js';
import { connectDatabase } from '../../shared/db/connect.js';
import { cacheStats } from '../../shared/db/stats.js';
import { createLogger } from '../../shared/telemetry/logger.js';

/** Prints what the cache holds by ecosystem, as a table or JSON. */
export async function stats(sources: ConfigSources, json: boolean): Promise<number> {
  const config = loadConfigOrThrow(sources);
  const file = join(config.data_dir, 'pkgproxy.db');
  if (config.database_url === undefined && !existsSync(file)) {
    process.stderr.write(`no cache at ${file} yet: start the proxy with \`pkgproxy serve\` first\n`);
    return 1;
  }
  const { db } = connectDatabase(config, createLogger(config.log_level));
  try {
    const rows = await cacheStats(db);
    if (json) {
      process.stdout.write(`${JSON.stringify({ ecosystems: rows }, null, 2)}\n`);
      return 0;
    }
    const header = ['ecosystem', 'packages', 'versions', 'artifacts', 'bytes', 'hits', 'refusals'];
    const table = [header, ...rows.map((r) => [r.ecosystem, r.packages, r.versions, r.artifacts, formatBytes(r.bytes), r.hits, r.refusals].map(String))];
    const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) process.stdout.write(`${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}\n`);
    if (rows.length === 0) process.stdout.write('(the cache is empty)\n');
    return 0;
  } finally {
    await db.destroy();
  }
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
