import { CompiledQuery, type Compilable } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';

/**
 * Queries built and compiled by Kysely once per process, then run with each call's values.
 * Building and compiling the server pages' queries (some forty columns, a few joins) took
 * 75–125 µs of CPU on every call, a tenth of what a whole page costs; the SQL text never
 * changes, only the values do. (Could serve other hot queries from src/db/ if wanted.)
 *
 *   const byId = compiledOnce((db) => serverRows(db).where('s.id', '=', slot<string>('id')));
 *   const rows = await byId(db, { id });
 *
 * `build` must give the same SQL for any values: no branching on them (a query with optional
 * parts is one compiledOnce per combination of parts). Values go where `slot(name)` stood;
 * every other value in the query is kept as it was compiled.
 */

const SLOT = '\u0000slot:';

/** A stand-in for the value named `name`, given at each call of a `compiledOnce` query. */
export function slot<T>(name: string): T {
  return `${SLOT}${name}` as T;
}

export function compiledOnce<R>(
  build: (db: DbOrTx) => Compilable<R>,
): (db: DbOrTx, values: Record<string, unknown>) => Promise<R[]> {
  let compiled: { sql: string; parameters: readonly unknown[]; slots: Array<string | null> } | null = null;
  return async (db, values) => {
    if (!compiled) {
      const c = build(db).compile();
      const slots = c.parameters.map((p) =>
        typeof p === 'string' && p.startsWith(SLOT) ? p.slice(SLOT.length) : null,
      );
      compiled = { sql: c.sql, parameters: c.parameters, slots };
    }
    const { sql, parameters, slots } = compiled;
    const given = slots.map((name, i) => {
      if (name === null) return parameters[i];
      if (values[name] === undefined) throw new TypeError(`compiledOnce: no value for slot ${name}`);
      return values[name];
    });
    return (await db.executeQuery<R>(CompiledQuery.raw(sql, given))).rows;
  };
}
