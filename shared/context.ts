import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Config } from './config/schema.js';
import { migrateToLatest } from './db/migrate.js';
import { createEcosystems } from './ecosystems/index.js';
import type { EcosystemName } from './ecosystems/names.js';
import type { Ecosystem } from './ecosystems/types.js';
import type { Database } from './db/schema.js';
import { openSqlite } from './db/sqlite.js';
import { Policy } from './policy/policy.js';
import { MemoryLockService } from './queue/memory-lock.js';
import { MemoryJobQueue } from './queue/memory-queue.js';
import type { JobQueue } from './queue/job-queue.js';
import type { LockService } from './queue/lock.js';
import type { BlobStore } from './storage/blob-store.js';
import { FsBlobStore } from './storage/fs-blob-store.js';
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
  queue: JobQueue;
  locks: LockService;
  upstream: UpstreamClient;
  policy: Policy;
  close(): Promise<void>;
}

/** The embedded backends: SQLite and blob files under data_dir, queue and locks in memory. */
export async function createContext(config: Config, logger: Logger): Promise<Context> {
  const metrics = createMetrics();
  const db = openSqlite(join(config.data_dir, 'pkgproxy.db'));
  const applied = await migrateToLatest(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  const blobs = new FsBlobStore(config.data_dir);
  const queue = new MemoryJobQueue((queueName, outcome) => metrics.jobs.inc({ queue: queueName, outcome }));
  const locks = new MemoryLockService();
  const upstream = new UpstreamClient({ timeoutMs: config.upstream_timeout, metrics });
  return {
    config,
    ecosystems: createEcosystems(config),
    logger,
    metrics,
    db,
    blobs,
    queue,
    locks,
    upstream,
    policy: new Policy(config.cooldown),
    async close() {
      await queue.close();
      await upstream.close();
      await locks.close();
      await blobs.close();
      await db.destroy();
    },
  };
}
