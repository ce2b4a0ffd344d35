import { spawn, spawnSync } from 'node:child_process';
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

export interface CliOptions {
  input?: string;
  cwd?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** Run the real `gradlab` binary, as a user would. */
export function gradlab(args: string[], opts: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input: opts.input,
    cwd: opts.cwd ?? REPO,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    env: { ...process.env, FORCE_COLOR: '0', ...opts.env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `gradlab` without blocking this process, for tests that run side by side (`it.concurrent`):
 * a binary's start-up is ~1 s of mostly one core, so on our 2 cores several at a time finish
 * sooner than one after another (exitCodes.test.ts went from 24 s to 17 s).
 */
export function gradlabAsync(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? REPO,
      timeout: opts.timeoutMs ?? 60_000,
      env: { ...process.env, FORCE_COLOR: '0', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    child.stdin.end(opts.input);
  });
}
