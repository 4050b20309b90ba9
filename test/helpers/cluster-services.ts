import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { openPostgres } from '../../shared/db/postgres.js';

/**
 * The real services the cluster tests run against, each run in its own namespace (a database,
 * a Redis key prefix, a bucket) so that runs never collide. Postgres and Redis come from
 * PROXY_TEST_DATABASE_URL and PROXY_TEST_REDIS_URL, else localhost's default ports; S3 from
 * PROXY_TEST_S3_ENDPOINT, else an s3rver started here. A service that cannot be reached fails
 * the test with a message saying how to provide it.
 */

const root = join(import.meta.dirname, '../..');
export const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;

export interface TestDatabase {
  /** A fresh, empty database. */
  url: string;
  drop(): Promise<void>;
}

/** Creates a database of its own on the test Postgres server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.PROXY_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = openPostgres(adminUrl, () => {});
  const name = `pkgproxy_test_${runId}_${randomBytes(3).toString('hex')}`;
  try {
    await sql`create database ${sql.id(name)}`.execute(admin);
  } catch (err) {
    await admin.destroy();
    throw new Error(
      `the cluster tests need PostgreSQL, and ${redact(adminUrl)} did not let them create a database (${(err as Error).message}). ` +
        'Run .ci/run (it installs and starts Debian\'s postgresql), start a server on 127.0.0.1:5432 that trusts user "postgres", ' +
        'or set PROXY_TEST_DATABASE_URL=postgres://user:password@host:5432/postgres for a role that may CREATE DATABASE.',
    );
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
      await admin.destroy();
    },
  };
}

export interface TestRedis {
  url: string;
  /** A key prefix of this run's own. */
  prefix: string;
  /** Deletes every key under the prefix (what a Redis restart without persistence does). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function connectTestRedis(): Promise<TestRedis> {
  const url = process.env.PROXY_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let cause: Error | undefined;
  redis.on('error', (err: Error) => (cause ??= err));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(
      `the cluster tests need Redis, and ${redact(url)} does not answer (${(cause ?? (err as Error)).message}). ` +
        'Run .ci/run (it installs and starts Debian\'s redis-server), start one on 127.0.0.1:6379, or set PROXY_TEST_REDIS_URL=redis://host:6379.',
    );
  }
  const prefix = `pkgproxy-test-${runId}-${randomBytes(3).toString('hex')}`;
  const flush = async () => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  };
  return {
    url,
    prefix,
    flush,
    async close() {
      await flush();
      redis.disconnect();
    },
  };
}

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** PROXY_STORAGE_URL for this bucket. */
  storageUrl: string;
  /** AWS_* variables a process needs to reach it. */
  env: Record<string, string>;
  client: S3Client;
  /** Empties and deletes the bucket, and stops the server if this run started one. */
  close(): Promise<void>;
}

/** A bucket of its own on PROXY_TEST_S3_ENDPOINT, or on an s3rver started for this run. */
export async function createTestS3(): Promise<TestS3> {
  const given = process.env.PROXY_TEST_S3_ENDPOINT;
  const server = given ? undefined : await startS3rver();
  const endpoint = given ?? server!.endpoint;
  const region = process.env.PROXY_TEST_S3_REGION || 'us-east-1';
  const env = {
    AWS_ACCESS_KEY_ID: (given ? process.env.PROXY_TEST_S3_ACCESS_KEY_ID : 'S3RVER') ?? '',
    AWS_SECRET_ACCESS_KEY: (given ? process.env.PROXY_TEST_S3_SECRET_ACCESS_KEY : 'S3RVER') ?? '',
    AWS_REGION: region,
    // The SDK warns on every start that Node 20 support ends in 2027.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } });
  const bucket = `pkgproxy-test-${runId.replace(/_/g, '-')}-${randomBytes(3).toString('hex')}`;
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    server?.stop();
    throw new Error(
      `the cluster tests need an S3-compatible store, and ${endpoint} did not let them create a bucket (${(err as Error).message}). ` +
        'Unset PROXY_TEST_S3_ENDPOINT to use an s3rver the tests start, or give one with PROXY_TEST_S3_ENDPOINT, PROXY_TEST_S3_ACCESS_KEY_ID, ' +
        'PROXY_TEST_S3_SECRET_ACCESS_KEY and PROXY_TEST_S3_REGION whose credentials may create buckets.',
    );
  }
  return {
    endpoint,
    bucket,
    storageUrl: `s3://${bucket}?endpoint=${encodeURIComponent(endpoint)}&region=${region}&force_path_style=true`,
    env,
    client,
    async close() {
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length === 0) break;
        await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      }
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
      server?.stop();
    },
  };
}

/** s3rver in a child process of its own, so that its work does not slow the test's event loop. */
async function startS3rver(): Promise<{ endpoint: string; stop(): void }> {
  const directory = mkdtempSync(join(tmpdir(), 'pkgproxy-s3rver-'));
  const script = `
    import S3rver from 's3rver';
    const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: process.argv[1] });
    const { port } = await server.run();
    process.stdout.write(JSON.stringify({ port }) + '\\n');`;
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', script, directory], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () => {
    child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  };
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before listening: ${stderr.slice(0, 2000)}`)));
  }).catch((err: Error) => {
    stop();
    throw new Error(`could not start s3rver for the cluster tests (${err.message}); \`npm ci\` installs it, or set PROXY_TEST_S3_ENDPOINT to another S3-compatible store`);
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
