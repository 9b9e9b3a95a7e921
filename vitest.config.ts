import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each worker process loads the app's modules once and runs its test files one after another
    // (each file still gets its own database, app and emulators): importing the app anew for
    // every file was half of the run's time. So a helper module's state (a counter, a cache)
    // carries over from file to file, and so do process-wide metrics: never assume a fresh one.
    isolate: false,
    // Test files mostly wait on PostgreSQL and HTTP: on a 2-core machine three workers finish
    // sooner than vitest's default of one (cores - 1). VITEST_MAX_WORKERS overrides it.
    maxWorkers: 3,
  },
});
