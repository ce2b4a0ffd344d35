import { summarize } from '../train/trainer.ts';
import type { Manifest } from './outputFolder.ts';
import { RESULTS_SCHEMA, type Results, type ResultsEnv, type RunResult } from './results.ts';
import { readRun, sameRun, type RunIdentity } from './runFiles.ts';

/**
 * One run's result from its files: the end line and the log lines of a finished run; for an
 * unfinished one, status "interrupted" with what it logged, how far it got and how long it took
 * up to its checkpoint.
 */
export function runFromFiles(dir: string, id: RunIdentity, cell: string): RunResult {
  const rec = readRun(dir, id.index);
  const same = sameRun(rec, id);
  if (same && rec.end) return { ...rec.end, log: rec.log };
  const log = same ? rec.log : [];
  const checkpoint = same ? rec.checkpoint : null;
  const lastLogged = log.length > 0 ? log[log.length - 1].step + 1 : 0;
  return {
    variant: id.variant, seed: id.seed, status: 'interrupted',
    stepsRun: Math.max(checkpoint?.step ?? 0, lastLogged),
    durationMs: checkpoint?.elapsedMs ?? 0,
    log, metrics: {}, summary: summarize(log, cell),
  };
}

/** results.json from an output folder's manifest and run files (complete or partial). */
export function assembleResults(dir: string, m: Manifest, env: ResultsEnv): Results {
  const cellOf = new Map(m.config.variants.map((v) => [v.name, v.cell]));
  return {
    schema: RESULTS_SCHEMA,
    experiment: m.experiment,
    description: m.config.description,
    config: m.config,
    baselines: m.baselines,
    env,
    ...(m.shard ? { shard: m.shard } : {}),
    runs: m.runs.map((id) => runFromFiles(dir, id, cellOf.get(id.variant) ?? '')),
  };
}
