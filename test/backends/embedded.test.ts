import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLockService } from '../../shared/queue/memory-lock.js';
import { MemoryJobQueue } from '../../shared/queue/memory-queue.js';
import { FsBlobStore } from '../../shared/storage/fs-blob-store.js';
import { blobStoreCompliance } from '../compliance/blob-store.js';
import { databaseCompliance } from '../compliance/database.js';
import { jobQueueCompliance, lockCompliance } from '../compliance/job-queue.js';
import { openSqlite } from '../../shared/db/sqlite.js';

/** The embedded backends against the shared compliance suites. */
blobStoreCompliance('filesystem', async () => new FsBlobStore(mkdtempSync(join(tmpdir(), 'pkgproxy-blobs-'))));
jobQueueCompliance('in-process', async () => {
  const queue = new MemoryJobQueue();
  // Every handle of an in-process backend is the same queue.
  return { queues: async () => queue };
});
lockCompliance('in-process', async () => new MemoryLockService());
databaseCompliance('sqlite', async () => ({ db: openSqlite(join(mkdtempSync(join(tmpdir(), 'pkgproxy-db-')), 'test.db')) }));
