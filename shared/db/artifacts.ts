import type { Kysely } from 'kysely';
import type { ArtifactDeclaration, Checksum } from '../ecosystems/types.js';
import type { ArtifactRow, Database, NewArtifact, PublishTimeSource } from './schema.js';
import { inTransaction } from './transaction.js';

const CHUNK = 500;

export async function getArtifact(db: Kysely<Database>, ecosystem: string, path: string): Promise<ArtifactRow | undefined> {
  return db.selectFrom('artifacts').selectAll().where('ecosystem', '=', ecosystem).where('path', '=', path).executeTakeFirst();
}

export function checksumsOf(row: Pick<ArtifactRow, 'checksums'>): Checksum[] {
  return JSON.parse(row.checksums) as Checksum[];
}

/**
 * Records the artifacts a metadata document declares. A declaration whose checksums changed
 * drops the stored blob, so that the bytes are fetched and verified again. Inside the caller's
 * transaction when db is one.
 */
export async function syncDeclarations(db: Kysely<Database>, ecosystem: string, pkg: string, declared: ArtifactDeclaration[]): Promise<void> {
  const existing = new Map(
    (await db.selectFrom('artifacts').select(['path', 'upstream_url', 'checksums', 'version']).where('ecosystem', '=', ecosystem).where('package', '=', pkg).execute()).map((r) => [
      r.path,
      r,
    ]),
  );
  const inserts: NewArtifact[] = [];
  const changed: ArtifactDeclaration[] = [];
  for (const d of declared) {
    const row = existing.get(d.path);
    const checksums = JSON.stringify(d.checksums);
    if (!row) {
      inserts.push({
        ecosystem,
        path: d.path,
        package: pkg,
        version: d.version,
        upstream_url: d.upstreamUrl,
        checksums,
        blob_sha256: null,
        size: null,
        fetched_at: null,
        last_access_at: null,
      });
    } else if (row.upstream_url !== d.upstreamUrl || row.checksums !== checksums || row.version !== d.version) {
      changed.push(d);
    }
  }
  if (inserts.length === 0 && changed.length === 0) return;
  await inTransaction(db, async (trx) => {
    for (let i = 0; i < inserts.length; i += CHUNK) {
      await trx
        .insertInto('artifacts')
        .values(inserts.slice(i, i + CHUNK))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    for (const d of changed) {
      const checksums = JSON.stringify(d.checksums);
      const checksumsChanged = existing.get(d.path)!.checksums !== checksums;
      await trx
        .updateTable('artifacts')
        .set({
          upstream_url: d.upstreamUrl,
          version: d.version,
          checksums,
          ...(checksumsChanged ? { blob_sha256: null, size: null, fetched_at: null } : {}),
        })
        .where('ecosystem', '=', ecosystem)
        .where('path', '=', d.path)
        .execute();
    }
  });
}

/** Points a declared artifact at its verified bytes. */
export async function setArtifactBlob(db: Kysely<Database>, ecosystem: string, path: string, blob: { sha256: string; size: number }, now: number): Promise<void> {
  await db
    .updateTable('artifacts')
    .set({ blob_sha256: blob.sha256, size: blob.size, fetched_at: now })
    .where('ecosystem', '=', ecosystem)
    .where('path', '=', path)
    .execute();
}

/** Forgets the bytes of an artifact whose blob went missing, so the next request refetches them. */
export async function clearArtifactBlob(db: Kysely<Database>, ecosystem: string, path: string, sha256: string): Promise<void> {
  await db
    .updateTable('artifacts')
    .set({ blob_sha256: null, size: null, fetched_at: null })
    .where('ecosystem', '=', ecosystem)
    .where('path', '=', path)
    .where('blob_sha256', '=', sha256)
    .execute();
}

export interface AccessCount {
  ecosystem: string;
  path: string;
  hits: number;
  lastAccessAt: number;
}

export async function recordAccess(db: Kysely<Database>, counts: AccessCount[]): Promise<void> {
  if (counts.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const c of counts) {
      await trx
        .updateTable('artifacts')
        .set((eb) => ({ hits: eb('hits', '+', c.hits), last_access_at: c.lastAccessAt }))
        .where('ecosystem', '=', c.ecosystem)
        .where('path', '=', c.path)
        .execute();
    }
  });
}

export type ArtifactWithVersion = ArtifactRow & { published_at: number | null; publish_time_source: PublishTimeSource | null };

/** An artifact with the publish time of its version, which policy needs before serving it. */
export async function getArtifactWithVersion(db: Kysely<Database>, ecosystem: string, path: string): Promise<ArtifactWithVersion | undefined> {
  return db
    .selectFrom('artifacts')
    .leftJoin('versions', (join) =>
      join.onRef('versions.ecosystem', '=', 'artifacts.ecosystem').onRef('versions.package', '=', 'artifacts.package').onRef('versions.version', '=', 'artifacts.version'),
    )
    .selectAll('artifacts')
    .select(['versions.published_at', 'versions.publish_time_source'])
    .where('artifacts.ecosystem', '=', ecosystem)
    .where('artifacts.path', '=', path)
    .executeTakeFirst();
}
