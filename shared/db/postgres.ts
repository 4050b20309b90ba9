import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './schema.js';

const INT8_OID = 20;

/**
 * bigint columns (timestamps in ms, sizes, counts) come back as numbers, as they do from
 * SQLite: every value stays far below 2^53, and the code compares them as numbers.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * The cluster database: a pool of connections to PostgreSQL. A connection that breaks while
 * idle (a restart, a network cut) is reported to onIdleError and replaced on next use; a
 * query while the server is unreachable fails within the connect timeout instead of waiting.
 */
export function openPostgres(url: string, onIdleError: (err: Error) => void): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000, keepAlive: true, types });
  pool.on('error', onIdleError);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
