import { defineConfig } from 'vitest/config';

/**
 * Browser journeys: the real app over real HTTP, driven by Chromium (playwright-core).
 * One file at a time — each starts a server and a browser, and they share one PostgreSQL.
 * Run with `npm run test:e2e`.
 */
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One process runs the files one after another and loads the app's modules once (as in
    // vitest.config.ts); each file still starts its own server, database and browser.
    isolate: false,
  },
});
