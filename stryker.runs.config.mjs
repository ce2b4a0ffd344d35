import { readFileSync } from 'node:fs';

// `npx stryker run stryker.runs.config.mjs`: the training loop and the runner, against the tests
// that drive them directly (vitest.mutate.runs.config.ts says why); everything else as in
// stryker.config.json.
const base = JSON.parse(readFileSync(new URL('./stryker.config.json', import.meta.url), 'utf8'));
delete base.$schema;
delete base._comment;

export default {
  ...base,
  vitest: { configFile: 'vitest.mutate.runs.config.ts' },
  mutate: ['src/train/trainer.ts', 'src/train/evalChunk.ts', 'src/experiment/runner.ts'],
  incrementalFile: 'reports/mutation/runs.json',
  htmlReporter: { fileName: 'reports/mutation/runs.html' },
  ignoreStatic: true,
};
