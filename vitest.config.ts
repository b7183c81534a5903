import { defineConfig } from 'vitest/config';

// CI sets VITEST_JSON to a path: the JSON report gives .ci/run its "N passed, N failed" line.
const json = process.env.VITEST_JSON;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'threads',
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
  },
});
