import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as initial from './migrations/001_initial.js';
import * as metadataBody from './migrations/002_metadata_body.js';
import type { Database } from './schema.js';

/** Migrations are compiled in, so the published program needs no migrations folder. */
const MIGRATIONS: Record<string, Migration> = {
  '001_initial': initial,
  '002_metadata_body': metadataBody,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Brings the schema to the latest version; returns the names of the migrations applied. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new Error(`database migration failed: ${error instanceof Error ? error.message : String(error)}`);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
