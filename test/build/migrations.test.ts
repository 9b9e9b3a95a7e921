import { readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '../../src/db/index.ts';
import { migrateToLatest, migrationsCurrent, pendingMigrations } from '../../src/db/migrate.ts';
import { MIGRATIONS_DIR } from '../../src/paths.ts';
import { withDatabase } from '../global-setup.ts';

// A start with nothing to migrate asks PostgreSQL once (src/main.ts skips the migrator and its
// lock); /ready asks the same question.

const files = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d.*\.ts$/.test(f))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

let admin: pg.Client;
let db: Db;
const name = `pending_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  admin = new pg.Client(inject('pgAdminUrl'));
  await admin.connect();
  await admin.query(`create database ${name}`);
  db = createDb(withDatabase(inject('pgAdminUrl'), name), 2);
});

afterAll(async () => {
  await db?.destroy();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describe('pending migrations', () => {
  it('on an empty database (no migration table yet) every migration is pending', async () => {
    expect(await pendingMigrations(db)).toEqual(files);
    expect(await migrationsCurrent(db)).toBe(false);
  });

  it('after migrating none is; a migration whose record is gone is pending again', async () => {
    await migrateToLatest(db);
    expect(await pendingMigrations(db)).toEqual([]);
    expect(await migrationsCurrent(db)).toBe(true);
    const last = files.at(-1)!;
    await db
      .deleteFrom('kysely_migration' as never)
      .where('name' as never, '=', last as never)
      .execute();
    expect(await pendingMigrations(db)).toEqual([last]);
    expect(await migrationsCurrent(db)).toBe(false);
  });
});
