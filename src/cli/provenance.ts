import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Manifest } from '../experiment/outputFolder.ts';
import type { ResultsEnv } from '../experiment/results.ts';

/** The commit the sources come from, when they are a git checkout. */
export function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

/** gradlab's version, from its package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** results.json's env for a folder's manifest, on this host: the manifest's version, backend,
 * first start, total time and command; `over` replaces what the caller knows better. */
export function manifestEnv(m: Manifest, over: Partial<ResultsEnv> = {}): ResultsEnv {
  return {
    gradlab: m.gradlab, node: process.version, backend: m.numerics.backend, platform: `${process.platform}-${process.arch}`,
    gitCommit: gitCommit(), startedAt: m.startedAt, durationMs: m.priorDurationMs, command: m.command, ...over,
  };
}
