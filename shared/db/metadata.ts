import type { Kysely } from 'kysely';
import type { Database, MetadataRow } from './schema.js';

export async function getMetadata(db: Kysely<Database>, ecosystem: string, docKey: string): Promise<MetadataRow | undefined> {
  return db.selectFrom('metadata').selectAll().where('ecosystem', '=', ecosystem).where('doc_key', '=', docKey).executeTakeFirst();
}

/** Records a body (status 200) or an absence (status 404); every column is written. */
export async function putMetadata(db: Kysely<Database>, row: MetadataRow): Promise<void> {
  const { ecosystem, doc_key, ...rest } = row;
  await db
    .insertInto('metadata')
    .values(row)
    .onConflict((oc) => oc.columns(['ecosystem', 'doc_key']).doUpdateSet(rest))
    .execute();
}

/** Upstream confirmed the stored body is current (304). */
export async function touchMetadata(db: Kysely<Database>, ecosystem: string, docKey: string, fetchedAt: number): Promise<void> {
  await db.updateTable('metadata').set({ fetched_at: fetchedAt }).where('ecosystem', '=', ecosystem).where('doc_key', '=', docKey).execute();
}
