import { defineConfig } from 'vitest/config';
import { baseTest } from './vitest.config.ts';

/**
 * The suite as StrykerJS runs it against each mutant (`npm run mutate`): the unit and property
 * tests of the modules it mutates. Left out are the tests that drive the binary end to end (kill
 * and resume, Slurm, the fuzz, browsers, WebGPU on SwiftShader): they exercise the same code
 * through process start-ups that would cost seconds per mutant, and they stay in `npm test`.
 * test/durable/state.test.ts stays in: it is where checkpoints and optimizer state are checked;
 * so does test/backends/coreOnly.test.ts (no WebGPU): the ops' fallback for a backend without
 * fused kernels is tested there.
 */
export default defineConfig({
  test: {
    ...baseTest,
    // Instrumented code runs several times slower than plain code (every mutant is a branch):
    // spectralRadius.test.ts's numpy comparison went past 60 s in the initial run.
    testTimeout: 240_000,
    include: ['test/**/*.test.ts'],
    exclude: [
      'test/durable/exitCodes.test.ts', 'test/durable/folders.test.ts', 'test/durable/killResume.*.test.ts', 'test/slurm/**',
      'test/experiment/fuzzInput.test.ts', 'test/experiment/validation.test.ts', 'test/experiment/limits.test.ts', 'test/cli/**',
      'test/report/browser.test.ts', 'test/backends/!(coreOnly).test.ts', 'test/bench/**',
      'test/export/**', 'node_modules/**',
    ],
  },
});
