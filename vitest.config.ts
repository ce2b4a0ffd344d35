import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/fcGlobal.ts'],
    // Property tests run many cases; the whole suite is budgeted at under 2 minutes on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
