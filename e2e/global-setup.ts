import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildAssets } from '../scripts/build-assets.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import setup from '../test/global-setup.ts';

/**
 * The unit tests' global setup (template database, built assets), on a PostgreSQL of the
 * browser suite's own: `test/global-setup.ts` wipes `.tmp/test-postgres` when it starts, so
 * sharing that directory would break a unit-test run going on at the same time.
 * With TEST_DATABASE_URL set, that server is used as is. Assets are always rebuilt first.
 */
export default async function e2eSetup(project: TestProject) {
  let stopPostgres: (() => Promise<void>) | null = null;
  if (!process.env.TEST_DATABASE_URL) {
    const dir = path.resolve('.tmp/e2e-postgres');
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.credentials.json`, { force: true });
    const embedded = await startEmbeddedPostgres(dir, 55442);
    process.env.TEST_DATABASE_URL = embedded.url;
    stopPostgres = embedded.stop;
  }
  // Always rebuild: the unit setup reuses any earlier build, and a browser must get the
  // scripts and styles as they are now.
  await buildAssets();
  const teardown = await setup(project);
  return async () => {
    await teardown();
    await stopPostgres?.();
  };
}
