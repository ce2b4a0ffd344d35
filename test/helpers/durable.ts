import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small experiment for the durability tests: 2 variants x 2 seeds, 40 steps, logged every 4,
 * with what makes resuming hard — Adam's state, norm clipping's per-step record, dropout's
 * random stream and a stacked GRU — in well under a second of training per process.
 */
export const TINY = {
  name: 'durable-tiny',
  description: 'kill and resume',
  task: { name: 'adding', T: 8, testSize: 16 },
  steps: 40,
  seeds: [0, 1],
  batchSize: 4,
  logEvery: 4,
  valSize: 8,
  defaults: { cell: 'lstm', hiddenSize: 4, optimizer: { name: 'adam', lr: 0.01 }, clip: { kind: 'norm', maxNorm: 1 } },
  variants: [{ name: 'lstm' }, { name: 'gru', cell: 'gru', numLayers: 2, dropout: 0.2 }],
};

/** Steps per run and runs of TINY, for drawing kill points. */
export const TINY_STEPS = TINY.steps;
export const TINY_RUNS = TINY.variants.length * TINY.seeds.length;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeDefinition(def: unknown, dir = tempDir('gradlab-def-')): string {
  const file = join(dir, 'experiment.json');
  writeFileSync(file, JSON.stringify(def));
  return file;
}

/** results.json without what legitimately differs between two runs of the same experiment:
 * the env (start time, duration, command) and each run's duration. */
export function comparable(dir: string): string {
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { env?: unknown; runs: { durationMs?: number }[] };
  delete r.env;
  for (const run of r.runs) delete run.durationMs;
  return JSON.stringify(r);
}

/** Runs' numbers as results.json keeps them (JSON: a resumed run's log comes back from its
 * journal), without the one field that differs between two runs of the same thing: durations. */
export function runNumbers(runs: readonly { durationMs?: number }[]): unknown {
  return JSON.parse(JSON.stringify(runs.map(({ durationMs: _d, ...rest }) => rest)));
}
