import { Readable } from 'node:stream';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../shared/db/migrate.js';
import { openPostgres } from '../../shared/db/postgres.js';
import { BullMqJobQueue } from '../../shared/queue/bullmq-queue.js';
import { RedisLockService } from '../../shared/queue/redis-lock.js';
import { S3BlobStore } from '../../shared/storage/s3-blob-store.js';
import { parseStorageUrl } from '../../shared/storage/storage-url.js';
import { blobStoreCompliance } from '../compliance/blob-store.js';
import { databaseCompliance } from '../compliance/database.js';
import { jobQueueCompliance, lockCompliance } from '../compliance/job-queue.js';
import { connectTestRedis, createTestDatabase, createTestS3, type TestDatabase, type TestS3 } from '../helpers/cluster-services.js';

/** The cluster backends (PostgreSQL, S3, BullMQ and locks on Redis) against the shared compliance suites. */

const databases: TestDatabase[] = [];
const freshDatabase = async () => {
  const database = await createTestDatabase();
  databases.push(database);
  return database;
};
let s3: Promise<TestS3> | undefined;
/** One bucket for the file, on the test S3 store; the store's client takes its credentials from the AWS chain. */
const testS3 = () =>
  (s3 ??= createTestS3().then((created) => {
    Object.assign(process.env, created.env);
    return created;
  }));
const openS3Store = async () => new S3BlobStore(parseStorageUrl((await testS3()).storageUrl));

const logger = pino({ level: process.env.PROXY_TEST_LOG ?? 'silent' });

afterAll(async () => {
  for (const database of databases) await database.drop();
  await (await s3)?.close();
});

databaseCompliance('postgres', async () => ({ db: openPostgres((await freshDatabase()).url, () => {}) }));

describe('postgres migrations', () => {
  it('run once when ten processes start together', async () => {
    const { url } = await freshDatabase();
    const pods = Array.from({ length: 10 }, () => openPostgres(url, () => {}));
    try {
      const applied = await Promise.all(pods.map((db) => migrateToLatest(db)));
      expect(applied.flat()).toEqual(['001_initial', '002_metadata_body']);
    } finally {
      await Promise.all(pods.map((db) => db.destroy()));
    }
  });
});

blobStoreCompliance('s3', openS3Store);

jobQueueCompliance('bullmq', async () => {
  // A prefix per test: like processes of one deployment, the handles share it.
  const redis = await connectTestRedis();
  return {
    queues: async () => new BullMqJobQueue({ url: redis.url, prefix: redis.prefix, stallTimeoutMs: 3000, logger }),
    cleanup: () => redis.close(),
  };
});

lockCompliance('redis', async () => {
  const redis = await connectTestRedis();
  const locks = new RedisLockService(redis.url, logger, { prefix: redis.prefix, ownerTimeoutMs: 3000 });
  const close = locks.close.bind(locks);
  return Object.assign(locks, { close: () => close().then(() => redis.close()) });
});

/** Large enough that a failing source has started a multipart upload. */
const PART_BYTES = 4 * 1024 ** 2;

describe('S3 blob store', () => {
  it('hands out presigned URLs that serve the blob without credentials', async () => {
    const store = await openS3Store();
    const staged = await store.stage(Readable.from([Buffer.from('presigned bytes')]));
    await staged.commit();
    const response = await fetch(await store.presignedUrl(staged.sha256, 60));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('presigned bytes');
    await store.close();
  });

  it('keeps staging out of the blob namespace and cleans it up on commit and abort', async () => {
    const { client, bucket } = await testS3();
    const store = await openS3Store();
    const kept = await store.stage(Readable.from([Buffer.from(`kept ${Math.random()}`)]));
    const dropped = await store.stage(Readable.from([Buffer.from(`dropped ${Math.random()}`)]));
    const staging = async () => (await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'staging/' }))).KeyCount ?? 0;
    expect(await staging()).toBe(2);
    await kept.commit();
    await dropped.abort();
    expect(await staging()).toBe(0);
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(PART_BYTES, 1));
        if (++parts === 3) this.destroy(new Error('connection reset'));
      },
    });
    let parts = 0;
    await expect(store.stage(failing)).rejects.toThrow('connection reset');
    expect(await staging()).toBe(0);
    await store.close();
  });
});

describe('queue and locks on Redis', () => {
  it('answer 503 within seconds while Redis cannot be reached', async () => {
    const queue = new BullMqJobQueue({ url: 'redis://127.0.0.1:1', prefix: 'unreachable', stallTimeoutMs: 3000, logger });
    const started = Date.now();
    const job = { ecosystem: 'npm' as const, route: { kind: 'metadata' as const, package: 'a', docKey: 'a', upstreamPath: 'a', upstreamAccept: '*/*', variant: 'full' } };
    await expect(queue.run('refresh', job, { jobId: 'a', timeoutMs: 60_000 })).rejects.toMatchObject({ status: 503, message: expect.stringContaining('Redis at 127.0.0.1:1') });
    await expect(queue.add('refresh', job, { jobId: 'a' })).rejects.toMatchObject({ status: 503 });
    await expect(queue.ping()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(4000);
    await queue.close();
  });

  it('take over the lock of a process that stopped without releasing it', async () => {
    const redis = await connectTestRedis();
    const options = { prefix: redis.prefix, ownerTimeoutMs: 3000 };
    const stopped = new RedisLockService(redis.url, logger, options);
    const other = new RedisLockService(redis.url, logger, options);
    expect(await stopped.tryAcquire('artifact/x', 60_000)).toBeDefined();
    expect(await other.tryAcquire('artifact/x', 60_000)).toBeUndefined();
    await stopped.close();
    expect(await other.tryAcquire('artifact/x', 60_000)).toBeDefined();
    await other.close();
    await redis.close();
  });
});
