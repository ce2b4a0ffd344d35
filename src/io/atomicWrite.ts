import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

let written = 0;

/** Write a file so that readers see the old content or the new, never half of it: write a
 * temporary file beside it, then rename (atomic within one file system). */
export function writeFileAtomic(path: string, content: string | Uint8Array, hooks: { beforeRename?: () => void } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  // Unique per process, thread and call: worker threads write their runs' files side by side.
  const tmp = join(dirname(path), `.${process.pid}.${threadId}-${++written}.tmp`);
  try {
    writeFileSync(tmp, content);
    hooks.beforeRename?.();
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** JSON with NaN/Infinity as null (JSON has neither). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
