import { rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { buildAssets } from '../scripts/build-assets.ts';
import { createDb } from '../src/db/index.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createBoss, createQueues } from '../src/queue/index.ts';

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
    const dir = path.resolve(`.tmp/test-postgres-${process.pid}`);
    const embedded = await startEmbeddedPostgres(dir, 0);
    adminUrl = embedded.url;
    stop = async () => {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.credentials.json`, { force: true });
    };
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

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
