import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_HOME, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.ts';

// The embedded PostgreSQL that `npm start` uses on a machine without one. PostgreSQL refuses
// to run as root, so as root it runs as the postgres user; when that user cannot reach the
// configured directory (a checkout under /root, which is 0700), the data lives under ROOT_HOME.

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function start(dir: string): Promise<EmbeddedDatabase> {
  const db = await startEmbeddedPostgres(path.join(dir, 'postgres'), 0, { durable: false });
  cleanup.push(() => db.stop());
  return db;
}

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

function tempDir(mode: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skypanel-embedded-'));
  chmodSync(dir, mode);
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('the embedded PostgreSQL', () => {
  it('keeps its data in the configured directory when the server can reach it, and keeps it across restarts', async () => {
    const dir = tempDir(0o755);
    const first = await start(dir);
    expect(first.dataDir).toBe(path.join(dir, 'postgres'));
    await query(first.url, 'create table kept (n int); insert into kept values (42)');
    await first.stop();

    const second = await start(dir);
    expect(await query(second.url, 'select n from kept')).toEqual([{ n: 42 }]);
  });

  it('runs from a directory only its owner can enter: as root, with the data moved where the postgres user can reach it', async () => {
    const dir = tempDir(0o700);
    const db = await start(dir);
    cleanup.push(() => rmSync(db.dataDir, { recursive: true, force: true }));
    if (process.getuid?.() === 0) {
      expect(db.dataDir.startsWith(path.join(ROOT_HOME, 'data'))).toBe(true);
      // The password stays beside the configured directory, readable by root only.
      expect(path.dirname(db.dataDir)).not.toBe(dir);
    } else {
      expect(db.dataDir).toBe(path.join(dir, 'postgres'));
    }
    expect(await query(db.url, 'select current_user as who')).toEqual([{ who: 'skypanel' }]);
  });

  it('as root, starts anew when the checkout was cloned again at the same place, keeping the old cluster aside', async () => {
    if (process.getuid?.() !== 0) return expect(process.getuid?.()).not.toBe(0);
    const dir = tempDir(0o700);
    const first = await start(dir);
    cleanup.push(() => rmSync(first.dataDir, { recursive: true, force: true }));
    await query(first.url, 'create table old_checkout (n int)');
    await first.stop();
    // The checkout (and the password beside it) deleted and cloned again: the cluster for this path stays.
    rmSync(path.join(dir, 'postgres.credentials.json'));
    const notices: string[] = [];
    const second = await startEmbeddedPostgres(path.join(dir, 'postgres'), 0, {
      durable: false,
      notice: (m) => notices.push(m),
    });
    cleanup.push(() => second.stop());
    expect(second.dataDir).toBe(first.dataDir);
    expect(await query(second.url, "select to_regclass('old_checkout') as t")).toEqual([{ t: null }]);
    const aside = notices.join('\n').match(/moved it to (\S+)/)?.[1];
    expect(aside).toBeDefined();
    cleanup.push(() => rmSync(aside!, { recursive: true, force: true }));
    expect(readFileSync(path.join(aside!, 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
  });

  it('tells the caller when the server dies under it', async () => {
    const db = await start(tempDir(0o755));
    const died = new Promise<string>((resolve) => db.onUnexpectedExit(resolve));
    const postmaster = Number(readFileSync(path.join(db.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');
    expect(await died).toMatch(/exited unexpectedly \(SIGKILL\)/);
  });
});
