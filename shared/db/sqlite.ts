import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase as KyselySqlite, type SqliteStatement } from 'kysely';
import type { Database } from './schema.js';

/** Distinct statements kept prepared; pkgproxy issues a few dozen shapes of query. */
const PREPARED_STATEMENTS = 500;

/** The embedded database: one SQLite file in WAL mode, safe for one process with many readers. */
export function openSqlite(file: string): Kysely<Database> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}

/**
 * Kysely prepares every query it runs; preparing costs more than running most of ours. Each
 * statement runs to completion before the next (better-sqlite3 is synchronous and Kysely holds
 * one connection), so reusing prepared statements is safe.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): KyselySqlite {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql) as unknown as SqliteStatement;
        // Batch inserts vary in length; the oldest shape goes when the cache is full.
        if (statements.size >= PREPARED_STATEMENTS) statements.delete(statements.keys().next().value!);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
