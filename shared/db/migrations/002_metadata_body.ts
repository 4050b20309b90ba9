import type { Kysely } from 'kysely';

/**
 * Small metadata documents live in their row: a packument of a few KB costs a statement
 * instead of a staging file, an fsync, a rename and a blob row (or, on S3, three requests).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // bytea is Postgres's binary type; SQLite stores a Buffer as a blob under any declared type.
  await db.schema.alterTable('metadata').addColumn('body', 'bytea').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('metadata').dropColumn('body').execute();
}
