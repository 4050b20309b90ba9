import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('metadata')
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('doc_key', 'text', (c) => c.notNull())
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('blob_sha256', 'text')
    .addColumn('size', 'bigint')
    .addColumn('content_type', 'text')
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('upstream_url', 'text')
    .addColumn('fetched_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('metadata_pk', ['ecosystem', 'doc_key'])
    .execute();

  await db.schema
    .createTable('versions')
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('published_at', 'bigint')
    .addColumn('publish_time_source', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('yanked', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('versions_pk', ['ecosystem', 'package', 'version'])
    .execute();

  await db.schema
    .createTable('artifacts')
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('upstream_url', 'text', (c) => c.notNull())
    .addColumn('checksums', 'text', (c) => c.notNull())
    .addColumn('blob_sha256', 'text')
    .addColumn('size', 'bigint')
    .addColumn('fetched_at', 'bigint')
    .addColumn('last_access_at', 'bigint')
    .addColumn('hits', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('artifacts_pk', ['ecosystem', 'path'])
    .execute();
  await db.schema.createIndex('artifacts_package').on('artifacts').columns(['ecosystem', 'package']).execute();
  await db.schema.createIndex('artifacts_blob').on('artifacts').column('blob_sha256').execute();

  await db.schema
    .createTable('blobs')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('referenced_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('metadata_blob').on('metadata').column('blob_sha256').execute();

  await db.schema
    .createTable('policy_decisions')
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('first_at', 'bigint', (c) => c.notNull())
    .addColumn('last_at', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_decisions_pk', ['ecosystem', 'package', 'version', 'rule'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['policy_decisions', 'blobs', 'artifacts', 'versions', 'metadata']) {
    await db.schema.dropTable(table).execute();
  }
}
