import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/gradlab.js', import.meta.url));

export interface CliResult {
  status: number | null;
  /** The signal that ended the process, if one did (e.g. SIGKILL). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the real `gradlab` binary, as a user would. */
export function gradlab(args: string[], opts: { input?: string; cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input: opts.input,
    cwd: opts.cwd ?? REPO,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    env: { ...process.env, FORCE_COLOR: '0', ...opts.env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
