import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest's global setup: every temporary file the suite makes goes into one folder of its own,
 * removed when the run ends. The tests make several hundred folders (output folders for the
 * binary, killed and resumed runs, Slurm sandboxes, Chromium profiles), many in child processes
 * that a test kills on purpose, so cleaning up each one where it is made would be fragile; left
 * to themselves they filled /tmp by ~500 folders a run. Setting TMPDIR here, before vitest
 * starts its workers, reaches every worker, every binary they start and Python
 * (os.tmpdir() and tempfile both read it). GRADLAB_KEEP_TEST_TMP=1 keeps the folder to look at.
 */
export default function setup(): () => void {
  // Vitest calls this once for the root config and once per project: the first call decides.
  if (process.env.GRADLAB_TEST_TMP) return () => {};
  const folder = mkdtempSync(join(tmpdir(), 'gradlab-tests-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  process.env.GRADLAB_TEST_TMP = folder;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    delete process.env.GRADLAB_TEST_TMP;
    if (process.env.GRADLAB_KEEP_TEST_TMP === '1') console.log(`test files kept in ${folder}`);
    else rmSync(folder, { recursive: true, force: true });
  };
}
