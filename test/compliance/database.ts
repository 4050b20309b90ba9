import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getArtifact, getArtifactWithVersion, recordAccess, setArtifactBlob, syncDeclarations, clearArtifactBlob } from '../../shared/db/artifacts.js';
import { deleteOrphanBlob, orphanBlobs, referenceBlob } from '../../shared/db/blobs.js';
import { getMetadata, getMetadataBody, putMetadata, touchMetadata } from '../../shared/db/metadata.js';
import { migrateToLatest } from '../../shared/db/migrate.js';
import { recordRefusal } from '../../shared/db/policy-decisions.js';
import type { Database, MetadataRow } from '../../shared/db/schema.js';
import { cacheStats } from '../../shared/db/stats.js';
import { getVersion, listVersions, syncVersions } from '../../shared/db/versions.js';

const T0 = 1_700_000_000_000;
const sha = (c: string) => c.repeat(64);
const declaration = (version: string, hex = 'aa') => ({
  path: `pkg/-/pkg-${version}.tgz`,
  version,
  upstreamUrl: `https://registry.example/pkg/-/pkg-${version}.tgz`,
  checksums: [{ algorithm: 'sha1' as const, hex: hex.repeat(20) }],
});

/** What every database backend must do with the same migrations and queries. */
export function databaseCompliance(name: string, open: () => Promise<{ db: Kysely<Database>; cleanup?: () => Promise<void> }>) {
  describe(`database compliance: ${name}`, () => {
    let db: Kysely<Database>;
    let cleanup: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      ({ db, cleanup } = await open());
      expect(await migrateToLatest(db)).toEqual(['001_initial', '002_metadata_body']);
    });
    afterAll(async () => {
      await db?.destroy();
      await cleanup?.();
    });

    it('migrates once: a second run applies nothing', async () => {
      expect(await migrateToLatest(db)).toEqual([]);
    });

    it('stores metadata rows, overwrites every column, and touches fetched_at alone', async () => {
      const row: MetadataRow = {
        ecosystem: 'npm', doc_key: 'packument/a', package: 'a', status: 200, blob_sha256: sha('1'), size: 10,
        content_type: 'application/json', etag: '"e1"', last_modified: null, upstream_url: 'https://r/a', fetched_at: T0,
      };
      await putMetadata(db, row, null);
      expect(await getMetadata(db, 'npm', 'packument/a')).toMatchObject({ ...row, size: 10, fetched_at: T0 });
      await putMetadata(db, { ...row, status: 404, blob_sha256: null, size: null, etag: null, fetched_at: T0 + 1 }, null);
      expect(await getMetadata(db, 'npm', 'packument/a')).toMatchObject({ status: 404, blob_sha256: null, etag: null });
      await touchMetadata(db, 'npm', 'packument/a', T0 + 99);
      const touched = await getMetadata(db, 'npm', 'packument/a');
      expect(Number(touched!.fetched_at)).toBe(T0 + 99);
      expect(touched!.status).toBe(404);
      expect(await getMetadata(db, 'npm', 'packument/none')).toBeUndefined();
    });

    it('keeps a small body in its row, read apart from the row, and only while the row names it', async () => {
      const body = Buffer.from([0x7b, 0x00, 0xff, 0x7d]); // bytes, not text
      const row: MetadataRow = {
        ecosystem: 'npm', doc_key: 'packument/inline', package: 'inline', status: 200, blob_sha256: sha('7'), size: body.length,
        content_type: 'application/json', etag: null, last_modified: null, upstream_url: 'https://r/inline', fetched_at: T0,
      };
      await putMetadata(db, row, body);
      expect(await getMetadata(db, 'npm', 'packument/inline')).toEqual(row);
      expect(await getMetadataBody(db, 'npm', 'packument/inline', sha('7'))).toEqual(body);
      expect(await getMetadataBody(db, 'npm', 'packument/inline', sha('8'))).toBeUndefined();

      // Grown past the inline size: the body moves to the blob store, and the row forgets the old bytes.
      await putMetadata(db, { ...row, blob_sha256: sha('8'), size: 100_000 }, null);
      expect(await getMetadataBody(db, 'npm', 'packument/inline', sha('8'))).toBeNull();
      expect(await getMetadataBody(db, 'npm', 'packument/inline', sha('7'))).toBeUndefined();

      // A blob only an inline row names is an orphan; one a row keeps in the store is not.
      await referenceBlob(db, sha('8'), 100_000, T0 - 10_000);
      expect(await orphanBlobs(db, T0 - 1000, 100)).not.toContain(sha('8'));
      await putMetadata(db, row, body);
      await putMetadata(db, { ...row, doc_key: 'packument/inline-2', blob_sha256: sha('8') }, body);
      expect(await orphanBlobs(db, T0 - 1000, 100)).toContain(sha('8'));
      expect(await deleteOrphanBlob(db, sha('8'), T0 - 1000)).toBe(true);
    });

    it('dates versions: upstream time, unknown on first sight, first-seen afterwards', async () => {
      await syncVersions(db, 'npm', 'v', [
        { version: '1.0.0', publishedAt: T0 - 1000, yanked: false },
        { version: '1.1.0', publishedAt: null, yanked: false },
      ], T0);
      await syncVersions(db, 'npm', 'v', [
        { version: '1.0.0', publishedAt: T0 - 1000, yanked: false },
        { version: '1.1.0', publishedAt: null, yanked: false },
        { version: '1.2.0', publishedAt: null, yanked: true },
      ], T0 + 5000);
      const rows = new Map((await listVersions(db, 'npm', 'v')).map((r) => [r.version, r]));
      expect(rows.get('1.0.0')).toMatchObject({ publish_time_source: 'upstream' });
      expect(Number(rows.get('1.0.0')!.published_at)).toBe(T0 - 1000);
      expect(rows.get('1.1.0')).toMatchObject({ publish_time_source: 'unknown', published_at: null });
      expect(rows.get('1.2.0')).toMatchObject({ publish_time_source: 'first_seen', yanked: 1 });
      expect(Number(rows.get('1.2.0')!.published_at)).toBe(T0 + 5000);
      // An upstream time, once given, replaces a guess.
      await syncVersions(db, 'npm', 'v', [{ version: '1.2.0', publishedAt: T0 - 50, yanked: true }], T0 + 9000);
      expect(await getVersion(db, 'npm', 'v', '1.2.0')).toMatchObject({ publish_time_source: 'upstream' });
      expect(Number((await getVersion(db, 'npm', 'v', '1.2.0'))!.published_at)).toBe(T0 - 50);
    });

    it('records thousands of versions in one sync', async () => {
      const many = Array.from({ length: 3000 }, (_, i) => ({ version: `0.0.${i}`, publishedAt: T0 + i, yanked: false }));
      await syncVersions(db, 'npm', 'big', many, T0);
      expect(await listVersions(db, 'npm', 'big')).toHaveLength(3000);
    });

    it('declares artifacts, keeps fetched blobs, and drops them when the checksum changes', async () => {
      await syncVersions(db, 'npm', 'pkg', [{ version: '1.0.0', publishedAt: T0, yanked: false }], T0);
      await syncDeclarations(db, 'npm', 'pkg', [declaration('1.0.0')]);
      await setArtifactBlob(db, 'npm', 'pkg/-/pkg-1.0.0.tgz', { sha256: sha('b'), size: 42 }, T0);
      const joined = await getArtifactWithVersion(db, 'npm', 'pkg/-/pkg-1.0.0.tgz');
      expect(joined).toMatchObject({ package: 'pkg', version: '1.0.0', blob_sha256: sha('b'), publish_time_source: 'upstream' });
      expect(Number(joined!.published_at)).toBe(T0);
      expect(Number(joined!.size)).toBe(42);

      await syncDeclarations(db, 'npm', 'pkg', [declaration('1.0.0')]);
      expect((await getArtifact(db, 'npm', 'pkg/-/pkg-1.0.0.tgz'))!.blob_sha256).toBe(sha('b'));
      await syncDeclarations(db, 'npm', 'pkg', [declaration('1.0.0', 'cc')]);
      const redeclared = await getArtifact(db, 'npm', 'pkg/-/pkg-1.0.0.tgz');
      expect(redeclared).toMatchObject({ blob_sha256: null, checksums: JSON.stringify(declaration('1.0.0', 'cc').checksums) });
      await setArtifactBlob(db, 'npm', 'pkg/-/pkg-1.0.0.tgz', { sha256: sha('b'), size: 42 }, T0);
    });

    it('clears a blob only if it is still the one the caller saw', async () => {
      await syncDeclarations(db, 'npm', 'pkg', [declaration('2.0.0')]);
      await setArtifactBlob(db, 'npm', 'pkg/-/pkg-2.0.0.tgz', { sha256: sha('d'), size: 1 }, T0);
      await clearArtifactBlob(db, 'npm', 'pkg/-/pkg-2.0.0.tgz', sha('e'));
      expect((await getArtifact(db, 'npm', 'pkg/-/pkg-2.0.0.tgz'))!.blob_sha256).toBe(sha('d'));
      await clearArtifactBlob(db, 'npm', 'pkg/-/pkg-2.0.0.tgz', sha('d'));
      expect((await getArtifact(db, 'npm', 'pkg/-/pkg-2.0.0.tgz'))!.blob_sha256).toBeNull();
    });

    it('counts hits in batches', async () => {
      await recordAccess(db, [{ ecosystem: 'npm', path: 'pkg/-/pkg-1.0.0.tgz', hits: 3, lastAccessAt: T0 + 1 }]);
      await recordAccess(db, [{ ecosystem: 'npm', path: 'pkg/-/pkg-1.0.0.tgz', hits: 2, lastAccessAt: T0 + 2 }]);
      const row = await getArtifact(db, 'npm', 'pkg/-/pkg-1.0.0.tgz');
      expect(Number(row!.hits)).toBe(5);
      expect(Number(row!.last_access_at)).toBe(T0 + 2);
    });

    it('finds orphan blobs past the grace period and never deletes a referenced one', async () => {
      await referenceBlob(db, sha('f'), 5, T0 - 10_000); // orphan, old
      await referenceBlob(db, sha('9'), 5, T0); // orphan, recent
      await referenceBlob(db, sha('b'), 42, T0 - 10_000); // referenced by an artifact
      const orphans = await orphanBlobs(db, T0 - 1000, 100);
      expect(orphans).toContain(sha('f'));
      expect(orphans).not.toContain(sha('9'));
      expect(orphans).not.toContain(sha('b'));
      expect(await deleteOrphanBlob(db, sha('b'), T0 - 1000)).toBe(false);
      expect(await deleteOrphanBlob(db, sha('f'), T0 - 1000)).toBe(true);
      expect(await deleteOrphanBlob(db, sha('f'), T0 - 1000)).toBe(false);
    });

    it('counts repeated refusals of the same version under one row', async () => {
      const refusal = { ecosystem: 'npm', package: 'pkg', version: '1.0.0', rule: 'cooldown.default', reason: 'too fresh' };
      await recordRefusal(db, refusal, T0);
      await recordRefusal(db, { ...refusal, reason: 'still too fresh' }, T0 + 1);
      const rows = await db.selectFrom('policy_decisions').selectAll().where('package', '=', 'pkg').execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ reason: 'still too fresh' });
      expect(Number(rows[0]!.count)).toBe(2);
    });

    it('returns bigint columns as numbers, as the code compares them', async () => {
      const e = 'types';
      await putMetadata(db, {
        ecosystem: e, doc_key: 'd', package: 'p', status: 200, blob_sha256: sha('2'), size: 3_000_000_000,
        content_type: null, etag: null, last_modified: null, upstream_url: null, fetched_at: T0,
      }, null);
      await syncVersions(db, e, 'p', [{ version: '1.0.0', publishedAt: T0 - 1, yanked: false }], T0);
      await syncDeclarations(db, e, 'p', [declaration('1.0.0')]);
      await setArtifactBlob(db, e, 'pkg/-/pkg-1.0.0.tgz', { sha256: sha('2'), size: 3_000_000_000 }, T0);
      await recordAccess(db, [{ ecosystem: e, path: 'pkg/-/pkg-1.0.0.tgz', hits: 2, lastAccessAt: T0 }]);
      await referenceBlob(db, sha('2'), 3_000_000_000, T0);
      await recordRefusal(db, { ecosystem: e, package: 'p', version: '1.0.0', rule: 'r', reason: 'x' }, T0);

      const metadata = await getMetadata(db, e, 'd');
      expect([metadata!.size, metadata!.fetched_at, metadata!.status]).toEqual([3_000_000_000, T0, 200]);
      const version = await getVersion(db, e, 'p', '1.0.0');
      expect([version!.published_at, version!.first_seen_at, version!.yanked]).toEqual([T0 - 1, T0, 0]);
      const artifact = await getArtifactWithVersion(db, e, 'pkg/-/pkg-1.0.0.tgz');
      expect([artifact!.size, artifact!.fetched_at, artifact!.last_access_at, artifact!.hits, artifact!.published_at]).toEqual([3_000_000_000, T0, T0, 2, T0 - 1]);
      const blob = await db.selectFrom('blobs').selectAll().where('sha256', '=', sha('2')).executeTakeFirstOrThrow();
      expect([blob.size, blob.referenced_at]).toEqual([3_000_000_000, T0]);
      const refusal = await db.selectFrom('policy_decisions').selectAll().where('ecosystem', '=', e).executeTakeFirstOrThrow();
      expect([refusal.first_at, refusal.last_at, refusal.count]).toEqual([T0, T0, 1]);
    });

    it('upserts keep the columns they do not set', async () => {
      const e = 'upserts';
      await referenceBlob(db, sha('3'), 77, T0);
      await referenceBlob(db, sha('3'), 77, T0 + 10);
      expect(await db.selectFrom('blobs').selectAll().where('sha256', '=', sha('3')).executeTakeFirst()).toEqual({ sha256: sha('3'), size: 77, referenced_at: T0 + 10 });

      const refusal = { ecosystem: e, package: 'p', version: '1.0.0', rule: 'r', reason: 'first' };
      await recordRefusal(db, refusal, T0);
      await recordRefusal(db, { ...refusal, reason: 'second' }, T0 + 5);
      expect(await db.selectFrom('policy_decisions').selectAll().where('ecosystem', '=', e).executeTakeFirst()).toEqual({ ...refusal, reason: 'second', first_at: T0, last_at: T0 + 5, count: 2 });

      await syncVersions(db, e, 'p', [{ version: '1.0.0', publishedAt: T0, yanked: false }], T0);
      await syncDeclarations(db, e, 'p', [declaration('1.0.0')]);
      await setArtifactBlob(db, e, 'pkg/-/pkg-1.0.0.tgz', { sha256: sha('3'), size: 77 }, T0);
      await recordAccess(db, [{ ecosystem: e, path: 'pkg/-/pkg-1.0.0.tgz', hits: 1, lastAccessAt: T0 + 1 }]);
      // A new upstream URL with the same checksums is recorded without forgetting the bytes or the hits.
      await syncDeclarations(db, e, 'p', [{ ...declaration('1.0.0'), upstreamUrl: 'https://mirror.example/pkg-1.0.0.tgz' }]);
      expect(await getArtifact(db, e, 'pkg/-/pkg-1.0.0.tgz')).toMatchObject({
        upstream_url: 'https://mirror.example/pkg-1.0.0.tgz', blob_sha256: sha('3'), size: 77, fetched_at: T0, hits: 1, last_access_at: T0 + 1,
      });
      // A yanked flag changes without losing the publish time.
      await syncVersions(db, e, 'p', [{ version: '1.0.0', publishedAt: T0, yanked: true }], T0 + 9);
      expect(await getVersion(db, e, 'p', '1.0.0')).toMatchObject({ published_at: T0, publish_time_source: 'upstream', first_seen_at: T0, yanked: 1 });
    });

    it('summarizes the cache by ecosystem', async () => {
      const stats = await cacheStats(db);
      const npm = stats.find((s) => s.ecosystem === 'npm')!;
      expect(npm.packages).toBe(3); // v, big, pkg
      expect(npm.versions).toBe(3 + 3000 + 1);
      expect(npm.artifacts).toBe(1);
      expect(npm.bytes).toBe(42);
      expect(npm.hits).toBe(5);
      expect(npm.refusals).toBe(2);
    });
  });
}
