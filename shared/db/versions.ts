import type { Kysely } from 'kysely';
import type { Database, NewVersion, VersionRow } from './schema.js';
import { prepared } from './prepared.js';
import { inTransaction } from './transaction.js';

/** A version as an ecosystem module reads it from metadata. */
export interface VersionSeen {
  version: string;
  /** Publish time the upstream declared, or null when it gave none. */
  publishedAt: number | null;
  yanked: boolean;
}

const CHUNK = 500;

const selectVersions = prepared((db, ecosystem: string, pkg: string) => db.selectFrom('versions').selectAll().where('ecosystem', '=', ecosystem).where('package', '=', pkg));

export async function listVersions(db: Kysely<Database>, ecosystem: string, pkg: string): Promise<VersionRow[]> {
  return selectVersions(db, ecosystem, pkg);
}

export async function getVersion(db: Kysely<Database>, ecosystem: string, pkg: string, version: string): Promise<VersionRow | undefined> {
  return db
    .selectFrom('versions')
    .selectAll()
    .where('ecosystem', '=', ecosystem)
    .where('package', '=', pkg)
    .where('version', '=', version)
    .executeTakeFirst();
}

/**
 * Records the versions a metadata document lists. A version without an upstream publish time
 * is dated when first seen, except on the package's first fetch, where nobody can tell its
 * age ('unknown'). Rows are only written when something changed, inside the caller's
 * transaction when db is one.
 */
export async function syncVersions(db: Kysely<Database>, ecosystem: string, pkg: string, seen: VersionSeen[], now: number): Promise<void> {
  const existing = new Map((await listVersions(db, ecosystem, pkg)).map((row) => [row.version, row]));
  const packageKnown = existing.size > 0;
  const inserts: NewVersion[] = [];
  const updates: Array<Pick<VersionRow, 'version' | 'published_at' | 'publish_time_source' | 'yanked'>> = [];
  for (const v of seen) {
    const yanked = v.yanked ? 1 : 0;
    const row = existing.get(v.version);
    if (!row) {
      inserts.push({
        ecosystem,
        package: pkg,
        version: v.version,
        published_at: v.publishedAt ?? (packageKnown ? now : null),
        publish_time_source: v.publishedAt !== null ? 'upstream' : packageKnown ? 'first_seen' : 'unknown',
        first_seen_at: now,
        yanked,
      });
      continue;
    }
    const timeChanged = v.publishedAt !== null && (row.publish_time_source !== 'upstream' || row.published_at !== v.publishedAt);
    if (timeChanged || row.yanked !== yanked) {
      updates.push({
        version: v.version,
        published_at: timeChanged ? v.publishedAt : row.published_at,
        publish_time_source: timeChanged ? 'upstream' : row.publish_time_source,
        yanked,
      });
    }
  }
  if (inserts.length === 0 && updates.length === 0) return;
  await inTransaction(db, async (trx) => {
    for (let i = 0; i < inserts.length; i += CHUNK) {
      await trx
        .insertInto('versions')
        .values(inserts.slice(i, i + CHUNK))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    for (const { version, ...set } of updates) {
      await trx.updateTable('versions').set(set).where('ecosystem', '=', ecosystem).where('package', '=', pkg).where('version', '=', version).execute();
    }
  });
}
