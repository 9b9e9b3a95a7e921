import { defineConfig } from 'vitest/config';
import suite from '../../vitest.config.ts';

/**
 * `npm run test:cluster`: several real SkyPanel processes on one PostgreSQL (test/cluster/harness.ts),
 * with the suite's own setup (the test PostgreSQL, the template database, the ledger check after
 * every test). Each file starts its own cluster of OS processes, so at most two files run at
 * once on a small machine; starting processes is slow, hence the generous timeouts.
 */
export default defineConfig({
  test: {
    ...suite.test,
    include: ['test/cluster/**/*.cluster.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
