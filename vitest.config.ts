import { defineConfig } from 'vitest/config';

export const VITEST_TEST_TIMEOUT_MS = 60_000; // integration tests talk to real brokers, ptys and browsers

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: VITEST_TEST_TIMEOUT_MS,
    hookTimeout: VITEST_TEST_TIMEOUT_MS,
    pool: 'forks',
    reporters: ['default'],
  },
});
