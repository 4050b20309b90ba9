import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Stands for one argument while a query is compiled. */
class Slot {
  constructor(readonly index: number) {}
}

interface Template<Row> {
  query: CompiledQuery<Row>;
  /** For each parameter, the argument it takes, or -1 for a constant of the query. */
  sources: number[];
}

/**
 * A query built and compiled once per database handle, then run with each call's arguments.
 * Kysely builds and compiles a query on every call, which costs more than SQLite takes to run
 * our small ones: about a tenth of the CPU of a cold fetch. The query's shape must not depend
 * on the arguments (no optional clauses, no variable-length value lists).
 */
export function prepared<Args extends unknown[], Row>(
  build: (db: Kysely<Database>, ...args: Args) => Compilable<Row>,
): (db: Kysely<Database>, ...args: Args) => Promise<Row[]> {
  // A transaction is a handle of its own, so its first use of a query compiles it again.
  const templates = new WeakMap<Kysely<Database>, Template<Row>>();
  return async (db, ...args) => {
    let template = templates.get(db);
    if (!template) {
      const query = build(db, ...(args.map((_, i) => new Slot(i)) as Args)).compile();
      template = { query, sources: query.parameters.map((p) => (p instanceof Slot ? p.index : -1)) };
      templates.set(db, template);
    }
    const { query, sources } = template;
    const parameters = query.parameters.map((constant, i) => (sources[i]! >= 0 ? args[sources[i]!] : constant));
    return (await db.executeQuery<Row>({ ...query, parameters })).rows;
  };
}
