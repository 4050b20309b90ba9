import type { Kysely } from 'kysely';
import { prepared } from './prepared.js';
import type { Database, MetadataRow } from './schema.js';

const ROW_COLUMNS = ['ecosystem', 'doc_key', 'package', 'status', 'blob_sha256', 'size', 'content_type', 'etag', 'last_modified', 'upstream_url', 'fetched_at'] as const;

const selectRow = prepared((db, ecosystem: string, docKey: string) => db.selectFrom('metadata').select(ROW_COLUMNS).where('ecosystem', '=', ecosystem).where('doc_key', '=', docKey));

const selectBody = prepared((db, ecosystem: string, docKey: string, sha256: string) =>
  db.selectFrom('metadata').select('body').where('ecosystem', '=', ecosystem).where('doc_key', '=', docKey).where('blob_sha256', '=', sha256),
);

export async function getMetadata(db: Kysely<Database>, ecosystem: string, docKey: string): Promise<MetadataRow | undefined> {
  return (await selectRow(db, ecosystem, docKey))[0];
}

/**
 * Where the row's body with this sha256 is: the bytes when the row holds them, null when they
 * are in the blob store, undefined when the row no longer has that body.
 */
export async function getMetadataBody(db: Kysely<Database>, ecosystem: string, docKey: string, sha256: string): Promise<Buffer | null | undefined> {
  const [row] = await selectBody(db, ecosystem, docKey, sha256);
  return row && row.body;
}

/**
 * Records a body (status 200) or an absence (status 404); every column is written. `body`
 * holds a small document itself; null leaves it to the blob store under blob_sha256.
 */
export async function putMetadata(db: Kysely<Database>, row: MetadataRow, body: Buffer | null): Promise<void> {
  const { ecosystem, doc_key, ...rest } = row;
  await db
    .insertInto('metadata')
    .values({ ...row, body })
    .onConflict((oc) => oc.columns(['ecosystem', 'doc_key']).doUpdateSet({ ...rest, body }))
    .execute();
}

/** Upstream confirmed the stored body is current (304). */
export async function touchMetadata(db: Kysely<Database>, ecosystem: string, docKey: string, fetchedAt: number): Promise<void> {
  await db.updateTable('metadata').set({ fetched_at: fetchedAt }).where('ecosystem', '=', ecosystem).where('doc_key', '=', docKey).execute();
}
