/**
 * The shared option checks of src/tasks/common.ts, called directly: the task files and
 * createTask validate before them, so their own messages and bounds are only reached here.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SEED, requireBatchSize, requireInteger, resolveGenerated, show } from '../../src/tasks/common.ts';
import { sineTask } from '../../src/tasks/sine.ts';
import { Rng } from '../../src/tensor/rng.ts';

describe('show', () => {
  it('quotes strings and prints everything else as String() does', () => {
    expect(show('abc')).toBe('"abc"');
    expect(show(5)).toBe('5');
    // JSON.stringify would print NaN and Infinity as null, an array as [1,2] and an object as {}:
    // the message must show the value the user wrote.
    expect(show(Number.NaN)).toBe('NaN');
    expect(show(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(show([1, 2])).toBe('1,2');
    expect(show(undefined)).toBe('undefined');
  });
});

describe('requireInteger', () => {
  it('accepts max itself and rejects max + 1', () => {
    expect(requireInteger('x', 3, 1, 3)).toBe(3);
    expect(() => requireInteger('x', 4, 1, 3)).toThrow(new Error('task.x must be an integer in [1, 3], got 4'));
    expect(requireInteger('seed', MAX_SEED, 0, MAX_SEED)).toBe(4294967295);
    expect(() => requireInteger('seed', 4294967296, 0, MAX_SEED)).toThrow(new Error('task.seed must be an integer in [0, 4294967295], got 4294967296'));
  });

  it('shows NaN as NaN in the message', () => {
    expect(() => requireInteger('T', Number.NaN, 1)).toThrow(new Error('task.T must be an integer >= 1, got NaN'));
  });
});

describe('resolveGenerated', () => {
  it('defaults to 1000 test sequences and seed 0, and accepts the bounds', () => {
    expect(resolveGenerated({})).toEqual({ testSize: 1000, seed: 0 });
    expect(resolveGenerated({ testSize: 1, seed: MAX_SEED })).toEqual({ testSize: 1, seed: 4294967295 });
  });

  it('names the field it rejects', () => {
    expect(() => resolveGenerated({ testSize: 0 })).toThrow(new Error('task.testSize must be an integer >= 1, got 0'));
    expect(() => resolveGenerated({ seed: -1 })).toThrow(new Error('task.seed must be an integer in [0, 4294967295], got -1'));
    expect(() => resolveGenerated({ seed: 2 ** 32 })).toThrow(new Error('task.seed must be an integer in [0, 4294967295], got 4294967296'));
    // Through a task built without createTask, which would have checked first.
    expect(() => sineTask({ T: 10, testSize: 2.5 })).toThrow(new Error('task.testSize must be an integer >= 1, got 2.5'));
  });
});

describe('requireBatchSize', () => {
  it('accepts 1 and rejects 0, negatives and fractions', () => {
    expect(requireBatchSize(1)).toBe(1);
    expect(requireBatchSize(64)).toBe(64);
    expect(() => requireBatchSize(0)).toThrow(new Error('batchSize must be an integer >= 1, got 0'));
    expect(() => requireBatchSize(-3)).toThrow(new Error('batchSize must be an integer >= 1, got -3'));
    // A fraction above 1: only the integer check can catch it.
    expect(() => requireBatchSize(2.5)).toThrow(new Error('batchSize must be an integer >= 1, got 2.5'));
    expect(() => requireBatchSize(Number.NaN)).toThrow(new Error('batchSize must be an integer >= 1, got NaN'));
  });

  it('guards every task sampler', () => {
    expect(() => sineTask({ T: 10, testSize: 2 }).trainSampler(Rng.seeded(0), 0)).toThrow(new Error('batchSize must be an integer >= 1, got 0'));
  });
});
