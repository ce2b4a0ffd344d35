/**
 * Small helpers shared by the task files: option validation with one-line messages, the test-set
 * generator, batch allocation and one-hot encoding.
 */
import { Rng } from '../tensor/rng.ts';
import type { Batch } from './task.ts';

/** A value as it should appear in a one-line error message. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** `value` if it is an integer in [min, max], else `Error("task.<field> must be an integer >= min, got v")`. */
export function requireInteger(field: string, value: unknown, min: number, max?: number, context = ''): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && (max === undefined || value <= max)) return value;
  const range = max === undefined ? `>= ${min}` : `in [${min}, ${max}]`;
  throw new Error(`task.${field} must be an integer ${range}${context}, got ${show(value)}`);
}

export function requireOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`task.${field} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${show(value)}`);
}

export function requireBoolean(field: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new Error(`task.${field} must be true or false, got ${show(value)}`);
}

/** Seeds go through `seed | 0` in Rng.seeded, so only 32-bit values are distinct. */
export const MAX_SEED = 0xffffffff;
export const DEFAULT_TEST_SIZE = 1000;
export const DEFAULT_TASK_SEED = 0;

/**
 * The stream the fixed test set is drawn from: `Rng.seeded(seed).fork(TEST_SET_STREAM)`. A fork
 * (a jump of 2^64 steps per stream) rather than the seed itself, so that a run whose data
 * generator is `Rng.seeded(s)` or one of its first forks never replays the test sequences.
 */
export const TEST_SET_STREAM = 99;

export function testSetRng(seed: number): Rng {
  return Rng.seeded(seed).fork(TEST_SET_STREAM);
}

/** Common options of the generated (infinite-data) tasks. */
export interface GeneratedTaskOptions {
  /** Number of test sequences; default 1000. */
  testSize?: number;
  /** Seed of the fixed test set; default 0. */
  seed?: number;
}

export function resolveGenerated(opts: GeneratedTaskOptions): { testSize: number; seed: number } {
  return {
    testSize: requireInteger('testSize', opts.testSize ?? DEFAULT_TEST_SIZE, 1),
    seed: requireInteger('seed', opts.seed ?? DEFAULT_TASK_SEED, 0, MAX_SEED),
  };
}

export function requireBatchSize(batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be an integer >= 1, got ${show(batchSize)}`);
  return batchSize;
}

/** A zero-filled batch of the given shapes. */
export function allocBatch(xShape: [number, number, number], yShape: number[]): Batch {
  return {
    x: new Float64Array(xShape[0] * xShape[1] * xShape[2]),
    xShape,
    y: new Float64Array(yShape.reduce((a, b) => a * b, 1)),
    yShape,
  };
}

/**
 * Memoises the test set: built on first use, then the same object on every call (evaluation
 * must not mutate it).
 */
export function once<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    if (value === undefined) value = { v: make() };
    return value.v;
  };
}

/** Checks that a prediction array has the expected number of values. */
export function requirePredLength(pred: ArrayLike<number>, expected: number, shape: string): void {
  if (pred.length !== expected) {
    throw new Error(`metrics: pred has ${pred.length} values, expected ${expected} (${shape})`);
  }
}
