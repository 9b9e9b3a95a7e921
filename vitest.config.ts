import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Test files mostly wait on PostgreSQL and HTTP: on a 2-core machine three workers finish
    // sooner than vitest's default of one (cores - 1). VITEST_MAX_WORKERS overrides it.
    maxWorkers: 3,
  },
});
