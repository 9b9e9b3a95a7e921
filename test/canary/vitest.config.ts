import { defineConfig } from 'vitest/config';
import suite from '../../vitest.config.ts';

/**
 * The canary: a run that must fail. `.ci/run` runs it first (`npm run test:canary`) and stops
 * if it exits 0, because then no failing test could fail the build. It uses the suite's own
 * setup (the test PostgreSQL, the template database), which is where exit codes were lost before.
 */
export default defineConfig({ test: { ...suite.test, include: ['test/canary/**/*.canary.ts'] } });
