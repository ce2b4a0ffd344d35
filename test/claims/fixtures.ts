import type { Rule } from '../../src/claims/schema.ts';
import type { LogEntry, Results, RunResult, RunStatus } from '../../src/records/results.ts';

/** Results files with only what the claims code reads, shared by the claims tests. */

/** A run with only what the judge reads. */
export function run(variant: string, seed: number, metrics: Record<string, number | null>, errors: Record<string, number | null> = {}, status: RunStatus = 'ok', log: Partial<LogEntry>[] = []): RunResult {
  return { variant, seed, status, stepsRun: 100, durationMs: 1, log: log as LogEntry[], metrics, metricErrors: errors, summary: null };
}

export function results(runs: RunResult[], claims: unknown[] = [], baselines: { metric: string; value: number; note: string; variants?: string[] }[] = [{ metric: 'loss', value: 1 / 6, note: 'predict 1' }]): Results {
  return {
    schema: 'gradlab.results/1',
    experiment: 'x', description: '',
    config: { quick: false, claims, variants: [{ name: 'lstm', batchSize: 8 }, { name: 'rnn', batchSize: 8 }] },
    baselines,
    env: { gradlab: '0', node: '20', backend: 'cpu', platform: 'linux', gitCommit: null, startedAt: '', durationMs: 0, command: '' },
    runs,
  } as unknown as Results;
}

export const beatsBaseline: Rule = { kind: 'final', variant: 'lstm', metric: 'loss', direction: 'below', than: 'baseline', expect: 'success' };
