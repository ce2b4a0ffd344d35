import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';

/**
 * For `npm run test:seeds` (test/freshSeeds.ts), which sets GRADLAB_PROGRESS_FILE: every test
 * appends "start<TAB>file<TAB>name" when it starts and "end ..." when it ends, from the worker
 * that runs it, synchronously. When a seed's run is killed for hanging, this log names the test
 * that was running: a reporter would not, since a worker stuck in synchronous code sends vitest
 * no progress. Without the variable (npm test, CI) nothing is registered.
 */
const file = process.env.GRADLAB_PROGRESS_FILE;
if (file) {
  const note = (kind: 'start' | 'end'): void => {
    const { testPath, currentTestName } = expect.getState();
    const module = relative(process.cwd(), testPath ?? '?').split('\\').join('/');
    appendFileSync(file, `${kind}\t${module}\t${currentTestName ?? '?'}\n`);
  };
  beforeEach(() => note('start'));
  afterEach(() => note('end'));
}
