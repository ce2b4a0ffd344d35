import { defineConfig } from 'vitest/config';
import mutate from './vitest.mutate.config.ts';

/**
 * The suite StrykerJS runs against src/train/trainer.ts and src/experiment/runner.ts
 * (`stryker.runs.config.mjs`): the tests that call train() and the runner directly. Every other
 * test that trains an experiment (the shipped experiments at --quick size, the reports built
 * from runs) also reaches nearly every line of these two files, so with the whole mutation suite
 * each surviving mutant reran minutes of training (20 – 30 s a mutant); measured against these
 * files alone, the score is a lower bound of the whole suite's.
 */
export default defineConfig({
  test: {
    ...mutate.test,
    include: [
      'test/train/**/*.test.ts',
      'test/experiment/{resumeInProcess,runner,seedStreams,determinism,workers,baselines}.test.ts',
      'test/durable/state.test.ts',
    ],
  },
});
