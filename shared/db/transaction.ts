import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * Runs fn in a transaction: the caller's, when db already is one (several writes that must
 * land together), else a new one.
 */
export function inTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Database>) : db.transaction().execute(fn);
}
