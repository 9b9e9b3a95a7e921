import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { sql } from 'kysely';
import { createDb, type Db, type DbOrTx } from '../../src/db/index.ts';
import type { Database } from '../../src/db/types.ts';
import { checkLedgerInvariants } from '../../src/domain/ledger/invariants.ts';
import { TEMPLATE_DB, withDatabase } from '../global-setup.ts';

/**
 * Databases open in this test file; test/setup.ts checks the ledger in each after every test,
 * and `drop()` checks it once more before the database goes, so one made and closed inside a
 * single test is checked too.
 */
export const liveDatabases = new Set<Db>();

/** A fresh database for one test file, cloned from the migrated template. */
export async function createTestDatabase(): Promise<{ url: string; db: Db; drop(): Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  // PostgreSQL refuses two clones of one template at the same moment: take turns.
  await admin.query('select pg_advisory_lock(4242)');
  try {
    await admin.query(`create database ${name} template ${TEMPLATE_DB}`);
  } finally {
    await admin.query('select pg_advisory_unlock(4242)');
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const db = createDb(url, 10);
  liveDatabases.add(db);
  return {
    url,
    db,
    async drop() {
      liveDatabases.delete(db);
      let problems: string[];
      try {
        problems = await checkLedgerInvariants(db);
      } finally {
        await db.destroy();
        const c = new pg.Client(adminUrl);
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      }
      if (problems.length)
        throw new Error(
          `The ledger's promises were broken in database ${name} when it was closed:\n${problems.join('\n')}`,
        );
    },
  };
}

/** The PostgreSQL backend a connection (or transaction) runs on, for `waitUntilBlocked`. */
export async function backendPid(db: DbOrTx): Promise<number> {
  return (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;
}

/**
 * A race barrier: resolves once backend `pid` is waiting for a lock another connection holds,
 * so a test lets the holder go knowing the other really raced it (no sleep that might let it
 * run first, or after). Fails after `timeoutMs` if it never blocks.
 */
export async function waitUntilBlocked(db: DbOrTx, pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    (await sql<{ n: number }>`select cardinality(pg_blocking_pids(${pid}::int)) as n`.execute(db)).rows[0]!.n === 0
  ) {
    if (Date.now() > deadline) throw new Error(`backend ${pid} never waited for a lock`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** How many rows `table` holds. */
export async function countRows(db: DbOrTx, table: keyof Database): Promise<number> {
  const row = await db
    .selectFrom(table as 'stored_files')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
