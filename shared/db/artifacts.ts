import type { Kysely } from 'kysely';
import type { ArtifactDeclaration, Checksum } from '../ecosystems/types.js';
import type { ArtifactRow, Database, NewArtifact, PublishTimeSource } from './schema.js';
import { prepared } from './prepared.js';
import { inTransaction } from './transaction.js';

const CHUNK = 500;

const selectArtifact = prepared((db, ecosystem: string, path: string) => db.selectFrom('artifacts').selectAll().where('ecosystem', '=', ecosystem).where('path', '=', path));

export async function getArtifact(db: Kysely<Database>, ecosystem: string, path: string): Promise<ArtifactRow | undefined> {
  return (await selectArtifact(db, ecosystem, path))[0];
}

export function checksumsOf(row: Pick<ArtifactRow, 'checksums'>): Checksum[] {
  return JSON.parse(row.checksums) as Checksum[];
}

const selectDeclarations = prepared((db, ecosystem: string, pkg: string) =>
  db.selectFrom('artifacts').select(['path', 'upstream_url', 'checksums', 'version']).where('ecosystem', '=', ecosystem).where('package', '=', pkg),
);

/**
 * Records the artifacts a metadata document declares. A declaration whose checksums changed
 * drops the stored blob, so that the bytes are fetched and verified again. Inside the caller's
 * transaction when db is one.
 */
export async function syncDeclarations(db: Kysely<Database>, ecosystem: string, pkg: string, declared: ArtifactDeclaration[]): Promise<void> {
  const existing = new Map((await selectDeclarations(db, ecosystem, pkg)).map((r) => [r.path, r]));
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

const updateArtifactBlob = prepared((db, ecosystem: string, path: string, sha256: string, size: number, now: number) =>
  db.updateTable('artifacts').set({ blob_sha256: sha256, size, fetched_at: now }).where('ecosystem', '=', ecosystem).where('path', '=', path),
);

/** Points a declared artifact at its verified bytes. */
export async function setArtifactBlob(db: Kysely<Database>, ecosystem: string, path: string, blob: { sha256: string; size: number }, now: number): Promise<void> {
  await updateArtifactBlob(db, ecosystem, path, blob.sha256, blob.size, now);
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

const countAccess = prepared((db, ecosystem: string, path: string, hits: number, lastAccessAt: number) =>
  db
    .updateTable('artifacts')
    .set((eb) => ({ hits: eb('hits', '+', hits), last_access_at: lastAccessAt }))
    .where('ecosystem', '=', ecosystem)
    .where('path', '=', path),
);

export async function recordAccess(db: Kysely<Database>, counts: AccessCount[]): Promise<void> {
  if (counts.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const c of counts) await countAccess(trx, c.ecosystem, c.path, c.hits, c.lastAccessAt);
  });
}

export type ArtifactWithVersion = ArtifactRow & { published_at: number | null; publish_time_source: PublishTimeSource | null };

const selectArtifactWithVersion = prepared((db, ecosystem: string, path: string) =>
  db
    .selectFrom('artifacts')
    .leftJoin('versions', (join) =>
      join.onRef('versions.ecosystem', '=', 'artifacts.ecosystem').onRef('versions.package', '=', 'artifacts.package').onRef('versions.version', '=', 'artifacts.version'),
    )
    .selectAll('artifacts')
    .select(['versions.published_at', 'versions.publish_time_source'])
    .where('artifacts.ecosystem', '=', ecosystem)
    .where('artifacts.path', '=', path),
);

/** An artifact with the publish time of its version, which policy needs before serving it. */
export async function getArtifactWithVersion(db: Kysely<Database>, ecosystem: string, path: string): Promise<ArtifactWithVersion | undefined> {
  return (await selectArtifactWithVersion(db, ecosystem, path))[0];
}
