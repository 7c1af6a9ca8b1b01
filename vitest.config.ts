import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'slides',
          include: ['test/slides/**/*.test.ts'],
          testTimeout: 5 * 60_000,
          hookTimeout: 10 * 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Real builds on a 2-core machine: one file at a time, generous limits.
          fileParallelism: false,
          // Two tests at a time within a file (describe.concurrent): two cores, and fixtures
          // that share a build cache find it warm after the first ones.
          maxConcurrency: 2,
          testTimeout: 10 * 60_000,
          hookTimeout: 10 * 60_000,
        },
      },
      {
        test: {
          name: 'engines',
          // Grades on several engines at once: only where they are named (npm run test:engines).
          include: process.env.STAGECRAFT_ENGINES ? ['test/engines/**/*.test.ts'] : [],
          fileParallelism: false,
          testTimeout: 30 * 60_000,
        },
      },
    ],
  },
});
