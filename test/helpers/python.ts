import { spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

/**
 * Run a Python script with Debian's interpreter and return its stdout. A missing interpreter or
 * module fails the calling test with the install command: a reference we cannot run must never
 * turn into a silently skipped test.
 */
export function runPython(args: string[], input: string, timeoutMs = 120_000): string {
  const r = spawnSync(PYTHON, args, { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs });
  if (r.error) throw new Error(`cannot run ${PYTHON} (${r.error.message}); install it: apt-get install -y --no-install-recommends python3-torch python3-numpy python3-sklearn`);
  if (r.status !== 0) {
    const hint = /No module named/.test(r.stderr) ? ' — install: apt-get install -y --no-install-recommends python3-torch python3-numpy python3-sklearn' : '';
    throw new Error(`${PYTHON} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}${hint}`);
  }
  return r.stdout;
}
