import { loadConfigOrThrow, type ConfigSources } from '../../shared/config/load.js';
import { connectDatabase } from '../../shared/db/connect.js';
import { migrateToLatest } from '../../shared/db/migrate.js';
import { createLogger } from '../../shared/telemetry/logger.js';

/**
 * Brings the database schema to this version. `serve` migrates on start too; a deployment runs
 * this once before rolling out, so that no pod starts against an old schema.
 */
export async function migrate(sources: ConfigSources): Promise<number> {
  const config = loadConfigOrThrow(sources);
  const { db, backend } = connectDatabase(config, createLogger(config.log_level));
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(applied.length > 0 ? `applied to the ${backend} database: ${applied.join(', ')}\n` : `the ${backend} database schema is up to date\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}
