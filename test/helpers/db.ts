import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Db } from '../../src/db/index.ts';
import { TEMPLATE_DB, withDatabase } from '../global-setup.ts';

/** Databases open in this test file; test/setup.ts checks the ledger in each after every test. */
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
      await db.destroy();
      const c = new pg.Client(adminUrl);
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
