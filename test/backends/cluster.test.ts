import { afterAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../shared/db/migrate.js';
import { openPostgres } from '../../shared/db/postgres.js';
import { databaseCompliance } from '../compliance/database.js';
import { createTestDatabase, type TestDatabase } from '../helpers/cluster-services.js';

/** The cluster backends (PostgreSQL, S3, BullMQ and locks on Redis) against the shared compliance suites. */

const databases: TestDatabase[] = [];
const freshDatabase = async () => {
  const database = await createTestDatabase();
  databases.push(database);
  return database;
};
afterAll(async () => {
  for (const database of databases) await database.drop();
});

databaseCompliance('postgres', async () => ({ db: openPostgres((await freshDatabase()).url, () => {}) }));

describe('postgres migrations', () => {
  it('run once when ten processes start together', async () => {
    const { url } = await freshDatabase();
    const pods = Array.from({ length: 10 }, () => openPostgres(url, () => {}));
    try {
      const applied = await Promise.all(pods.map((db) => migrateToLatest(db)));
      expect(applied.flat()).toEqual(['001_initial']);
    } finally {
      await Promise.all(pods.map((db) => db.destroy()));
    }
  });
});
