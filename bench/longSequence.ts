/**
 * Long-sequence scaling of `gradlab grad --case`: wall seconds of the real binary (a fresh process,
 * as a user runs it: startup, JSON parse, forward, backward, the dL/dh_t probe, JSON output) on
 * one generated case per T. The seconds per 1000 steps should stay roughly flat as T grows; a
 * figure that grows with T means something on the path is quadratic in T.
 *
 * Case: lstm, inputSize 1, hiddenSize 8, 1 layer, outputSize 1, B=1, mse, float64, the default
 * (sequence) path; weights, inputs and target drawn from a fixed seed.
 *
 * Usage: npx tsx bench/longSequence.ts [--T 1000,10000,100000] [--cell lstm] [--hidden 8]
 * Exits non-zero when a run fails or prints something that is not a well-formed answer.
 * A benchmark, not a test: nothing here asserts on time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CELL_KINDS, isCellKind } from '../src/cells/table.ts';
import { parameterShapes, type RecurrentNetConfig } from '../src/nn/recurrentNet.ts';
import { Rng } from '../src/tensor/rng.ts';

const BIN = fileURLToPath(new URL('../bin/gradlab.js', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));

const args = process.argv.slice(2);
function arg(name: string, def: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
}

function positiveInts(name: string, text: string): number[] {
  const values = text.split(',').map(Number);
  if (values.some((v) => !Number.isSafeInteger(v) || v < 1)) throw new Error(`--${name} must be positive integers, got "${text}"`);
  return values;
}

/** A nested JSON array of the given shape, filled in row-major order from `next`. */
function nested(shape: readonly number[], next: () => number): unknown {
  if (shape.length === 0) return next();
  return Array.from({ length: shape[0] }, () => nested(shape.slice(1), next));
}

/** One case for `gradlab grad --case`, drawn from a fixed seed so every run times the same work. */
function makeCase(model: RecurrentNetConfig, T: number, seed: number): string {
  const rng = Rng.seeded(seed);
  const scale = 1 / Math.sqrt(model.hiddenSize); // torch's default init range
  const params: Record<string, unknown> = {};
  for (const [name, shape] of parameterShapes(model)) params[name] = nested(shape, () => rng.uniformIn(-scale, scale));
  const x = nested([1, T, model.inputSize], () => rng.uniformIn(-1, 1));
  const y = nested([1, model.outputSize], () => rng.uniformIn(-1, 1));
  return JSON.stringify({ model, params, x, y, loss: 'mse' });
}

interface Timing {
  T: number;
  seconds: number;
}

/** Run the binary once on `file`, check its answer has the right form, and time it. */
function timeOne(file: string, T: number, model: RecurrentNetConfig): Timing {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'grad', '--case', file], { cwd: REPO, encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error) throw new Error(`T=${T}: could not run gradlab: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`T=${T}: gradlab exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  const out = JSON.parse(r.stdout) as { loss: unknown; dLdh: unknown };
  const dLdh = out.dLdh as unknown[][];
  if (typeof out.loss !== 'number' || !Number.isFinite(out.loss)) throw new Error(`T=${T}: loss is not a finite number`);
  if (!Array.isArray(dLdh) || dLdh.length !== model.numLayers || dLdh[0].length !== T) {
    throw new Error(`T=${T}: dLdh should be ${model.numLayers} layer(s) of ${T} entries`);
  }
  return { T, seconds };
}

function main(): void {
  const Ts = positiveInts('T', arg('T', '1000,10000,100000'));
  const cell = arg('cell', 'lstm');
  if (!isCellKind(cell)) throw new Error(`--cell must be one of ${CELL_KINDS.join(', ')}, got "${cell}"`);
  const [hiddenSize] = positiveInts('hidden', arg('hidden', '8'));
  const model: RecurrentNetConfig = { cell, inputSize: 1, hiddenSize, numLayers: 1, outputSize: 1 };
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-long-'));
  try {
    const timings: Timing[] = [];
    console.log(`gradlab grad --case: ${cell}, I=1, H=${hiddenSize}, 1 layer, B=1, float64, sequence path`);
    for (const T of Ts) {
      const file = join(dir, `case-T${T}.json`);
      writeFileSync(file, makeCase(model, T, 20240601));
      const t = timeOne(file, T, model);
      timings.push(t);
      const per1k = (t.seconds / T) * 1000;
      const prev = timings.length > 1 ? timings[timings.length - 2] : null;
      // Time ratio over step ratio: ~1 when linear (once startup no longer dominates), ~T-ratio when quadratic.
      const growth = prev ? `  time x${(t.seconds / prev.seconds).toFixed(2)} for T x${(T / prev.T).toFixed(1)}` : '';
      console.log(`T=${String(T).padStart(7)}  ${t.seconds.toFixed(2).padStart(7)} s  ${per1k.toFixed(3)} s per 1000 steps${growth}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`longSequence: ${(e as Error).message}`);
  process.exit(1);
}
