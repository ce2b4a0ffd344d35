import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpu } from '../../src/backends/cpu/index.ts';
import type { Results } from '../../src/experiment/results.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { runExperiment } from '../../src/experiment/runner.ts';
import { toJson } from '../../src/io/atomicWrite.ts';
import { TINY } from '../helpers/durable.ts';

/**
 * Results to export: a real (tiny) experiment, and the same file edited by hand into what a
 * real one can also hold — nulls where training hit NaN/Infinity, a diverged, an interrupted and
 * a failed run, fields a run lacks.
 */
export const TINY_EXPORT = {
  ...TINY,
  name: 'export-tiny',
  description: 'export round trip',
  task: { ...TINY.task, T: 6 },
  steps: 6,
  logEvery: 2,
  // No clipping by default: one variant clips, the other has no clip.maxNorm (a null column).
  defaults: { cell: 'lstm', hiddenSize: 4, optimizer: { name: 'adam', lr: 0.01 } },
  variants: [
    { name: 'lstm clipped', clip: { kind: 'norm', maxNorm: 1 } },
    // A comma and quotes: CSV must quote the field.
    { name: 'gru, 2 layers "deep"', cell: 'gru', numLayers: 2 },
  ],
};

const ENV: Results['env'] = {
  gradlab: 'test', node: process.version, backend: 'cpu', platform: 'test', gitCommit: null,
  startedAt: '2024-01-01T00:00:00.000Z', durationMs: 1, command: 'gradlab experiment export-tiny',
};

export async function realResults(): Promise<Results> {
  const exp = resolveExperiment(TINY_EXPORT);
  return { ...(await runExperiment(exp, { backend: cpu })), env: ENV };
}

/** The real results with every kind of gap a results.json may have. */
export function editedResults(real: Results): Results {
  const r = JSON.parse(JSON.stringify(real)) as Results;
  const [a, b, c, d] = r.runs;
  const e0 = a.log[0];
  e0.loss = null;
  e0.gradNorm = null;
  e0.updateRatio = null;
  e0.sigmaMaxWhh = [null];
  e0.dLdh[0][2] = null;
  e0.paramGradNorms[Object.keys(e0.paramGradNorms)[0]] = null;
  delete a.log[1].valLoss;
  delete a.log[1].sigmaMaxWhh;
  a.metrics.onlyHere = 0.5;
  b.status = 'diverged';
  b.divergedAtStep = 3;
  b.metrics[Object.keys(b.metrics)[0]] = null;
  Object.assign(c, { status: 'interrupted', log: c.log.slice(0, 1), stepsRun: 2, metrics: {}, summary: null });
  delete c.earlyStopped;
  Object.assign(d, { status: 'failed', error: 'boom, "quoted"\nsecond line ü 漢', log: [], stepsRun: 0, metrics: {}, summary: null });
  return r;
}

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Remove every folder tempDir made (afterAll). */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** An output folder holding `results` as results.json. */
export function folderWith(results: unknown, prefix = 'gradlab-export-'): string {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, 'results.json'), `${typeof results === 'string' ? results : toJson(results)}\n`);
  return dir;
}
