import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../shared/db/postgres.js';
import type { Database } from '../../shared/db/schema.js';
import { fetchJobId } from '../../shared/queue/jobs.js';
import { connectTestRedis, createTestDatabase, createTestS3, type TestDatabase, type TestRedis, type TestS3 } from '../helpers/cluster-services.js';
import { assertBuilt, runPkgproxy, startPkgproxy, type PkgproxyProcess } from '../helpers/cluster-processes.js';
import { DAY, FakeNpmRegistry } from '../helpers/fake-npm-registry.js';
import { TcpFaultProxy } from '../helpers/tcp-fault-proxy.js';

/**
 * The cluster as it is deployed: two gateways, two fetchers and a refresher, each the compiled
 * CLI in a process of its own, on real PostgreSQL, Redis and S3 (s3rver unless configured).
 * Postgres and Redis are reached through relays the test can cut, so that an outage touches
 * only these processes.
 */

const MB = 1024 ** 2;
const BIG = 20 * MB;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tarball = (name: string) => `npm/${name}/-/${name}-1.0.0.tgz`;

/** GETs a URL and hashes the body as it streams, so that a hundred 20 MB answers never sit in memory. */
async function download(url: string): Promise<{ status: number; sha256: string; size: number }> {
  const response = await fetch(url);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of response.body ?? []) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { status: response.status, sha256: hash.digest('hex'), size };
}

async function ready(process: PkgproxyProcess): Promise<{ status: number; body: { dependencies: Record<string, { ok: boolean; backend: string }> } }> {
  const response = await fetch(`${process.url}ready`);
  return { status: response.status, body: (await response.json()) as never };
}

/** Retries until check passes or the time is up; the last failure is the test's. */
async function eventually<T>(check: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

describe('cluster: gateways, fetchers and a refresher as separate processes', () => {
  const upstream = new FakeNpmRegistry();
  let database: TestDatabase;
  let redis: TestRedis;
  let s3: TestS3;
  let postgresRelay: TcpFaultProxy;
  let redisRelay: TcpFaultProxy;
  let db: Kysely<Database>;
  let dataDir: string;
  let env: Record<string, string>;
  const gateways: PkgproxyProcess[] = [];
  const fetchers: PkgproxyProcess[] = [];
  let refresher: PkgproxyProcess;
  /** Blob keys whose bytes were checked against their name. */
  const verifiedBlobs = new Set<string>();

  /**
   * No partial blob is visible: every object under blobs/ hashes to its name, and every
   * artifact row that names a blob finds it whole in storage and in the blobs table.
   */
  async function assertStorageConsistent(): Promise<void> {
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'blobs/' }));
    for (const { Key } of listed.Contents ?? []) {
      if (verifiedBlobs.has(Key!)) continue;
      const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key }));
      expect(sha256(Buffer.from(await object.Body!.transformToByteArray())), Key).toBe(Key!.split('/').pop());
      verifiedBlobs.add(Key!);
    }
    const rows = await db.selectFrom('artifacts').leftJoin('blobs', 'blobs.sha256', 'artifacts.blob_sha256').select(['path', 'blob_sha256', 'artifacts.size', 'blobs.size as blob_size']).where('blob_sha256', 'is not', null).execute();
    for (const row of rows) {
      const sha = row.blob_sha256!;
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `blobs/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}` }));
      expect([head.ContentLength, row.blob_size], row.path).toEqual([row.size, row.size]);
    }
  }

  beforeAll(async () => {
    assertBuilt();
    [database, redis, s3] = await Promise.all([createTestDatabase(), connectTestRedis(), createTestS3()]);
    const postgres = new URL(database.url);
    const redisUrl = new URL(redis.url);
    postgresRelay = await new TcpFaultProxy({ host: postgres.hostname, port: Number(postgres.port || 5432) }).start();
    redisRelay = await new TcpFaultProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) }).start();
    db = openPostgres(database.url, () => {});
    await upstream.start();
    await Promise.all(
      ['big', 'killed', 'redis-hit', 'redis-miss', 'pg-hit', 'pg-miss'].map((name) =>
        upstream.publish({ name, versions: [{ version: '1.0.0', age: 10 * DAY, payloadBytes: name === 'big' || name === 'killed' ? BIG : 100_000 }] }),
      ),
    );
    dataDir = mkdtempSync(join(tmpdir(), 'pkgproxy-cluster-'));
    const viaRelay = (url: URL, port: number) => Object.assign(new URL(url.href), { hostname: '127.0.0.1', port: String(port) }).href;
    env = {
      ...s3.env,
      PROXY_DATABASE_URL: viaRelay(postgres, postgresRelay.port),
      PROXY_REDIS_URL: viaRelay(redisUrl, redisRelay.port),
      PROXY_REDIS_PREFIX: redis.prefix,
      PROXY_STORAGE_URL: s3.storageUrl,
      PROXY_UPSTREAM_NPM: upstream.url,
      PROXY_DATA_DIR: dataDir,
      PROXY_STALL_TIMEOUT: '3s',
      PROXY_FETCH_WAIT: '60s',
    };
    // As the compose file does: migrate once, then start every role.
    const migrated = await runPkgproxy(['migrate'], env);
    expect(migrated, migrated.stderr).toMatchObject({ code: 0, stdout: 'applied to the postgres database: 001_initial, 002_metadata_body\n' });
    const started = await Promise.all([
      startPkgproxy('gateway', env),
      startPkgproxy('gateway', env),
      startPkgproxy('fetcher', { ...env, PROXY_LOG_LEVEL: 'debug' }),
      startPkgproxy('fetcher', { ...env, PROXY_LOG_LEVEL: 'debug' }),
      startPkgproxy('refresher', env),
    ]);
    gateways.push(started[0], started[1]);
    fetchers.push(started[2], started[3]);
    refresher = started[4];
  }, 60_000);

  afterAll(async () => {
    const exits = await Promise.all([...gateways, ...fetchers, refresher].filter(Boolean).map((p) => p.stop()));
    await upstream.stop();
    await db?.destroy();
    await postgresRelay?.stop();
    await redisRelay?.stop();
    await Promise.all([database?.drop(), redis?.close(), s3?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
    // Every role shuts down cleanly on SIGTERM.
    expect(exits).toEqual(exits.map(() => 0));
  }, 60_000);

  it('every role is ready, on Postgres, S3 and Redis', async () => {
    for (const process of [...gateways, ...fetchers, refresher]) {
      const { status, body } = await ready(process);
      expect(status, process.role).toBe(200);
      expect(body).toMatchObject({
        role: process.role,
        dependencies: { database: { backend: 'postgres', ok: true }, storage: { backend: 's3', ok: true }, queue: { backend: 'redis', ok: true } },
      });
    }
  });

  it('100 concurrent requests on both gateways for one uncached 20 MB artifact: one upstream GET, the same correct bytes', async () => {
    upstream.tarballBytesPerSecond = 20 * MB; // a second of download, which every request lands in
    const expected = sha256(upstream.tarballBytes('big', '1.0.0'));
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => download(`${gateways[i % 2]!.url}${tarball('big')}`)));
    expect(upstream.count(/\/big-1\.0\.0\.tgz$/)).toBe(1);
    expect(new Set(results.map((r) => `${r.status} ${r.sha256} ${r.size}`))).toEqual(new Set([`200 ${expected} ${upstream.tarballBytes('big', '1.0.0').length}`]));
    await assertStorageConsistent();
  }, 120_000);

  it('kill -9 of the downloading fetcher halfway: the other completes it, no client gets a truncated 200, no partial blob is visible', async () => {
    upstream.tarballBytesPerSecond = 4 * MB; // five seconds of download
    const bytes = upstream.tarballBytes('killed', '1.0.0');
    const sentBefore = upstream.tarballBytesSent;
    const clients = Promise.all(Array.from({ length: 10 }, (_, i) => download(`${gateways[i % 2]!.url}${tarball('killed')}`)));

    // Storage is watched all along: nothing half-written may ever show.
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        await assertStorageConsistent();
        await sleep(250);
      }
    })();

    const jobId = fetchJobId('npm', 'killed/-/killed-1.0.0.tgz');
    const downloader = await eventually(async () => {
      const found = fetchers.find((f) => f.logs.some((l) => l.msg === 'job started' && l.queue === 'fetch' && l.jobId === jobId));
      if (!found) throw new Error('no fetcher has started the download');
      return found;
    }, 20_000);
    await eventually(async () => expect(upstream.tarballBytesSent - sentBefore).toBeGreaterThanOrEqual(bytes.length / 2), 20_000);
    downloader.child.kill('SIGKILL');
    expect(await downloader.exited).toBe('SIGKILL');

    const results = await clients;
    watching = false;
    await watcher;
    expect(results).toEqual(results.map(() => ({ status: 200, sha256: sha256(bytes), size: bytes.length })));
    // The killed download and the one that replaced it.
    expect(upstream.count(/\/killed-1\.0\.0\.tgz$/)).toBe(2);
    const survivor = fetchers.find((f) => f !== downloader)!;
    expect(survivor.logs.some((l) => l.msg === 'job started' && l.jobId === jobId)).toBe(true);
    await assertStorageConsistent();

    fetchers[fetchers.indexOf(downloader)] = await startPkgproxy('fetcher', { ...env, PROXY_LOG_LEVEL: 'debug' });
  }, 120_000);

  it('Redis restarted mid-run: hits keep being served, misses fail fast and succeed again once it is back', async () => {
    upstream.tarballBytesPerSecond = 0;
    const hit = upstream.tarballBytes('redis-hit', '1.0.0');
    expect(await download(`${gateways[0]!.url}${tarball('redis-hit')}`)).toMatchObject({ status: 200, sha256: sha256(hit) });

    // A restart without persistence: every connection drops and every key is gone.
    redisRelay.cut();
    await redis.flush();
    try {
      for (const gateway of gateways) {
        expect(await download(`${gateway.url}${tarball('redis-hit')}`)).toEqual({ status: 200, sha256: sha256(hit), size: hit.length });
        expect((await fetch(`${gateway.url}npm/redis-hit`)).status).toBe(200);
        const { status, body } = await ready(gateway);
        expect(status).toBe(503);
        expect(body.dependencies).toMatchObject({ queue: { ok: false }, database: { ok: true }, storage: { ok: true } });
      }
      const started = Date.now();
      expect((await download(`${gateways[1]!.url}${tarball('redis-miss')}`)).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      redisRelay.restore();
    }

    const miss = upstream.tarballBytes('redis-miss', '1.0.0');
    for (const gateway of gateways) {
      await eventually(async () => expect(await download(`${gateway.url}${tarball('redis-miss')}`)).toEqual({ status: 200, sha256: sha256(miss), size: miss.length }), 30_000);
    }
    for (const process of [...gateways, ...fetchers]) await eventually(async () => expect((await ready(process)).status).toBe(200), 15_000);
    expect(upstream.count(/\/redis-miss-1\.0\.0\.tgz$/)).toBe(1);
    await assertStorageConsistent();
  }, 120_000);

  it('Postgres unreachable for a while: /ready says so, hits still answer, nothing is lost or corrupted when it returns', async () => {
    const hit = upstream.tarballBytes('pg-hit', '1.0.0');
    let served = 0;
    const getHit = async (gateway: PkgproxyProcess) => {
      const result = await download(`${gateway.url}${tarball('pg-hit')}`);
      if (result.status === 200) served++;
      return result;
    };
    // Each gateway serves the artifact and its metadata once, and so can answer them without the database.
    for (const gateway of gateways) {
      expect(await getHit(gateway)).toMatchObject({ status: 200, sha256: sha256(hit) });
      expect((await fetch(`${gateway.url}npm/pg-hit`)).status).toBe(200);
    }

    postgresRelay.cut();
    try {
      for (const process of [...gateways, ...fetchers]) {
        const { status, body } = await ready(process);
        expect(status, process.role).toBe(503);
        expect(body.dependencies).toMatchObject({ database: { backend: 'postgres', ok: false }, storage: { ok: true }, queue: { ok: true } });
      }
      // For a while: several seconds of hits, across the gateways' flushes of hit counts.
      for (let round = 0; round < 4; round++) {
        for (const gateway of gateways) {
          expect(await getHit(gateway)).toEqual({ status: 200, sha256: sha256(hit), size: hit.length });
          expect((await fetch(`${gateway.url}npm/pg-hit`)).status).toBe(200);
        }
        await sleep(1500);
      }
      const miss = await download(`${gateways[0]!.url}${tarball('pg-miss')}`);
      expect(miss.status).toBeGreaterThanOrEqual(500);
    } finally {
      postgresRelay.restore();
    }

    for (const process of [...gateways, ...fetchers]) await eventually(async () => expect((await ready(process)).status).toBe(200), 20_000);
    const missBytes = upstream.tarballBytes('pg-miss', '1.0.0');
    await eventually(async () => expect(await download(`${gateways[0]!.url}${tarball('pg-miss')}`)).toEqual({ status: 200, sha256: sha256(missBytes), size: missBytes.length }), 30_000);
    // Hits served during the outage are counted once the database is back.
    await eventually(async () => {
      const row = await db.selectFrom('artifacts').select('hits').where('path', '=', 'pg-hit/-/pg-hit-1.0.0.tgz').executeTakeFirstOrThrow();
      expect(row.hits).toBe(served);
    }, 20_000);
    await assertStorageConsistent();
  }, 120_000);
});
