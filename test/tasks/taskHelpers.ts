import type { TaskConfig } from '../../src/tasks/index.ts';
import { expect } from 'vitest';
import { sliceBatch } from '../../src/tasks/batch.ts';
import type { Batch, Task } from '../../src/tasks/task.ts';
import { Rng } from '../../src/tensor/rng.ts';

/**
 * Asserts |observed - expected| <= 5 standard errors. `se` is the standard error of the
 * observed mean: sqrt(Var(one term) / n). Five of them: a correct generator fails about once in
 * 1.7 million runs (two-sided normal tail), while a wrong constant is caught easily.
 */
export function expectWithin5SE(observed: number, expected: number, se: number, label: string): void {
  expect(se, `${label}: standard error`).toBeGreaterThan(0);
  expect(Math.abs(observed - expected), `${label}: observed ${observed}, expected ${expected} +- 5 * ${se}`).toBeLessThanOrEqual(5 * se);
}

/** Standard error of a proportion p estimated from n independent trials. */
export function proportionSE(p: number, n: number): number {
  return Math.sqrt((p * (1 - p)) / n);
}

/** Sample mean and the standard error of that mean, from the data themselves. */
export function meanAndSE(values: ArrayLike<number>): { mean: number; se: number } {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const m = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - m) ** 2;
  return { mean: m, se: Math.sqrt(v / (n - 1) / n) };
}

/** Bitwise equality of two batches (shapes and every float64). */
export function expectSameBatch(a: Batch, b: Batch): void {
  expect(a.xShape).toEqual(b.xShape);
  expect(a.yShape).toEqual(b.yShape);
  expect(Buffer.from(a.x.buffer, a.x.byteOffset, a.x.byteLength).equals(Buffer.from(b.x.buffer, b.x.byteOffset, b.x.byteLength))).toBe(true);
  expect(Buffer.from(a.y.buffer, a.y.byteOffset, a.y.byteLength).equals(Buffer.from(b.y.buffer, b.y.byteOffset, b.y.byteLength))).toBe(true);
}

export function sameBatch(a: Batch, b: Batch): boolean {
  return (
    a.x.length === b.x.length &&
    a.y.length === b.y.length &&
    a.x.every((v, i) => Object.is(v, b.x[i])) &&
    a.y.every((v, i) => Object.is(v, b.y[i]))
  );
}

/** The index of the 1 in each one-hot row of x [B, T, K]; fails if a row is not one-hot. */
export function decodeOneHot(batch: Batch): number[][] {
  const [B, T, K] = batch.xShape;
  const out: number[][] = [];
  for (let b = 0; b < B; b++) {
    const row: number[] = [];
    for (let t = 0; t < T; t++) {
      let hot = -1;
      for (let k = 0; k < K; k++) {
        const v = batch.x[(b * T + t) * K + k];
        if (v === 1) {
          if (hot !== -1) throw new Error(`x[${b}, ${t}] has two ones`);
          hot = k;
        } else if (v !== 0) {
          throw new Error(`x[${b}, ${t}, ${k}] = ${v}, not 0/1`);
        }
      }
      if (hot === -1) throw new Error(`x[${b}, ${t}] is all zeros`);
      row.push(hot);
    }
    out.push(row);
  }
  return out;
}

/** One small config per generated task (regression is deterministic data, tested on its own). */
export const GENERATED: TaskConfig[] = [
  { name: 'adding', T: 12, variant: 'arjovsky', testSize: 20 },
  { name: 'adding', T: 24, variant: 'hochreiter', testSize: 20 },
  { name: 'copy', T: 5, testSize: 20 },
  { name: 'temporal-order', T: 30, testSize: 20 },
  { name: 'sine', T: 10, testSize: 20 },
];
export const ALL: TaskConfig[] = [...GENERATED, { name: 'regression', standardize: false }, { name: 'regression', standardize: true }];

/**
 * Every task documents a draw order *per sequence*, so a batch of B takes exactly B sequences'
 * draws from the generator and the next batch continues where it stopped: two consecutive
 * batches of B are bitwise the two halves of one batch of 2B from the same seed. (A generator
 * that drew one sequence too many per batch would shift every later batch.)
 */
export function expectSequentialStream(task: Task, B: number, seed: number): void {
  const sampler = task.trainSampler(Rng.seeded(seed), B);
  const first = sampler();
  const second = sampler();
  const both = task.trainSampler(Rng.seeded(seed), 2 * B)();
  expect(both.xShape[0]).toBe(2 * B);
  expectSameBatch(first, sliceBatch(both, 0, B));
  expectSameBatch(second, sliceBatch(both, B, 2 * B));
}
