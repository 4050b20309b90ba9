import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';
import { openPostgres } from './postgres.js';
import type { Database } from './schema.js';
import { openSqlite } from './sqlite.js';

export interface DatabaseConnection {
  db: Kysely<Database>;
  backend: 'postgres' | 'sqlite';
}

/** The database the configuration names: PostgreSQL for database_url, else SQLite under data_dir. */
export function connectDatabase(config: Config, logger: Logger): DatabaseConnection {
  if (config.database_url !== undefined) {
    return { db: openPostgres(config.database_url, (err) => logger.warn({ err: err.message }, 'database connection lost; it is reopened on next use')), backend: 'postgres' };
  }
  return { db: openSqlite(join(config.data_dir, 'pkgproxy.db')), backend: 'sqlite' };
}

/** One round trip, for readiness checks. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
