import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Client tests spawn npm, cargo and friends: two files at a time suits two cores.
    maxWorkers: 2,
  },
});
