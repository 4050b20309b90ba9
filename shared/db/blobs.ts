import type { Kysely } from 'kysely';
import { prepared } from './prepared.js';
import type { Database } from './schema.js';

const upsertBlob = prepared((db, sha256: string, size: number, now: number) =>
  db
    .insertInto('blobs')
    .values({ sha256, size, referenced_at: now })
    .onConflict((oc) => oc.column('sha256').doUpdateSet({ referenced_at: now })),
);

/** Notes that a row is about to reference a blob; call before committing the bytes. */
export async function referenceBlob(db: Kysely<Database>, sha256: string, size: number, now: number): Promise<void> {
  await upsertBlob(db, sha256, size, now);
}

/**
 * Blobs no artifact or metadata row references, last referenced before the cutoff. A metadata
 * row holding its body itself references no blob.
 */
export async function orphanBlobs(db: Kysely<Database>, referencedBefore: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('blobs')
    .select('sha256')
    .where('referenced_at', '<', referencedBefore)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('artifacts').select('path').whereRef('artifacts.blob_sha256', '=', 'blobs.sha256'))),
    )
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('metadata').select('doc_key').whereRef('metadata.blob_sha256', '=', 'blobs.sha256').where('metadata.body', 'is', null))),
    )
    .limit(limit)
    .execute();
  return rows.map((r) => r.sha256);
}

/**
 * Deletes the row of an orphan blob if it is still an orphan; true when the caller may delete
 * the bytes. The conditions are re-checked in the same statement, so a row that started
 * referencing the blob meanwhile keeps it.
 */
export async function deleteOrphanBlob(db: Kysely<Database>, sha256: string, referencedBefore: number): Promise<boolean> {
  const result = await db
    .deleteFrom('blobs')
    .where('sha256', '=', sha256)
    .where('referenced_at', '<', referencedBefore)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('artifacts').select('path').where('artifacts.blob_sha256', '=', sha256))),
    )
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('metadata').select('doc_key').where('metadata.blob_sha256', '=', sha256).where('metadata.body', 'is', null))),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
