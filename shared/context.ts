import type { Kysely } from 'kysely';
import type { Config } from './config/schema.js';
import { connectDatabase, pingDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { createEcosystems } from './ecosystems/index.js';
import type { EcosystemName } from './ecosystems/names.js';
import type { Ecosystem } from './ecosystems/types.js';
import type { Database } from './db/schema.js';
import { Policy } from './policy/policy.js';
import { MemoryLockService } from './queue/memory-lock.js';
import { MemoryJobQueue } from './queue/memory-queue.js';
import type { JobQueue } from './queue/job-queue.js';
import type { LockService } from './queue/lock.js';
import type { BlobStore } from './storage/blob-store.js';
import { FsBlobStore } from './storage/fs-blob-store.js';
import { Spools } from './storage/spool.js';
import { parseStorageUrl } from './storage/storage-url.js';
import type { Logger } from './telemetry/logger.js';
import { createMetrics, type Metrics } from './telemetry/metrics.js';
import { UpstreamClient } from './upstream/client.js';

/** Everything a role needs, built once per process from the configuration. */
export interface Context {
  config: Config;
  ecosystems: Record<EcosystemName, Ecosystem>;
  logger: Logger;
  metrics: Metrics;
  db: Kysely<Database>;
  blobs: BlobStore;
  /** Downloads running in this process, readable by its gateway before they are committed. */
  spools: Spools;
  queue: JobQueue;
  locks: LockService;
  upstream: UpstreamClient;
  policy: Policy;
  /** The services this process depends on, for /ready. */
  dependencies: Dependency[];
  close(): Promise<void>;
}

export interface Dependency {
  name: 'database' | 'storage' | 'queue';
  backend: string;
  /** Rejects when the service cannot be reached. */
  check(): Promise<void>;
}

/**
 * Builds the backends the configuration names: PostgreSQL, S3 and Redis for the URLs that are
 * set, and otherwise the embedded ones (SQLite and blob files under data_dir, queue and locks in
 * memory). The cluster backends are loaded only when used, so the embedded proxy never loads
 * the AWS SDK or BullMQ. The schema is migrated on start; on PostgreSQL under an advisory lock,
 * so processes starting together migrate once.
 */
export async function createContext(config: Config, logger: Logger): Promise<Context> {
  const metrics = createMetrics();
  const database = connectDatabase(config, logger);
  const { db } = database;
  const applied = await migrateToLatest(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  const blobs = await openBlobStore(config);
  const onFinish = (queueName: string, outcome: 'completed' | 'failed' | 'retried') => metrics.jobs.inc({ queue: queueName, outcome });
  const { queue, locks } = await openQueue(config, logger, onFinish);
  const upstream = new UpstreamClient({ timeoutMs: config.upstream_timeout, metrics });
  return {
    config,
    ecosystems: createEcosystems(config),
    logger,
    metrics,
    db,
    blobs,
    spools: new Spools(),
    queue,
    locks,
    upstream,
    policy: new Policy(config.cooldown),
    dependencies: [
      { name: 'database', backend: database.backend, check: () => pingDatabase(db) },
      { name: 'storage', backend: config.storage_url !== undefined ? 's3' : 'filesystem', check: () => blobs.ping() },
      { name: 'queue', backend: config.redis_url !== undefined ? 'redis' : 'in-process', check: () => queue.ping() },
    ],
    async close() {
      await queue.close();
      await upstream.close();
      await locks.close();
      await blobs.close();
      await db.destroy();
    },
  };
}

async function openBlobStore(config: Config): Promise<BlobStore> {
  if (config.storage_url === undefined) return new FsBlobStore(config.data_dir);
  const { S3BlobStore } = await import('./storage/s3-blob-store.js');
  return new S3BlobStore(parseStorageUrl(config.storage_url));
}

async function openQueue(
  config: Config,
  logger: Logger,
  onFinish: (queue: string, outcome: 'completed' | 'failed' | 'retried') => void,
): Promise<{ queue: JobQueue; locks: LockService }> {
  if (config.redis_url === undefined) return { queue: new MemoryJobQueue(onFinish), locks: new MemoryLockService() };
  const [{ BullMqJobQueue }, { RedisLockService }] = await Promise.all([import('./queue/bullmq-queue.js'), import('./queue/redis-lock.js')]);
  return {
    queue: new BullMqJobQueue({ url: config.redis_url, prefix: config.redis_prefix, stallTimeoutMs: config.stall_timeout, logger, onFinish }),
    // A dead holder's download lock is taken over on the same clock as its job.
    locks: new RedisLockService(config.redis_url, logger, { prefix: config.redis_prefix, ownerTimeoutMs: Math.round((config.stall_timeout * 2) / 3) }),
  };
}
