import { describe, expect, it } from 'vitest';
import { temporalOrderTask } from '../../src/tasks/temporalOrder.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { expectSequentialStream } from './taskHelpers.ts';

describe('temporal order: validation, stream, labels', () => {
  it('T must be an integer >= 20 (keeps t1 after E and the two ranges apart)', () => {
    expect(() => temporalOrderTask({ T: 19 })).toThrow('task.T must be an integer >= 20, got 19');
    expect(() => temporalOrderTask({ T: 20.5 })).toThrow('task.T must be an integer >= 20, got 20.5');
    expect(() => temporalOrderTask({ T: 20 })).not.toThrow();
  });

  it('a sampler draws sequence after sequence: two batches of B are one batch of 2B', () => {
    // Draw order per sequence: t1, t2, the two X/Y coins, then T - 4 distractors.
    for (const [T, B, seed] of [
      [20, 1, 0],
      [33, 3, 8],
      [100, 4, 2024],
    ]) {
      expectSequentialStream(temporalOrderTask({ T }), B, seed);
    }
  });

  it('metric names: loss and accuracy, both means over sequences', () => {
    const task = temporalOrderTask({ T: 20, testSize: 3 });
    expect([...task.metricNames]).toEqual(['loss', 'accuracy']);
    expect([...task.sequenceMeans]).toEqual(['loss', 'accuracy']);
    expect(Object.keys(task.metrics(new Float64Array(3 * 4), task.testSet())).sort()).toEqual(['accuracy', 'loss']);
  });

  it('logits of the wrong length are rejected with the logits shape [B, 4]', () => {
    const task = temporalOrderTask({ T: 20 });
    const batch = task.trainSampler(Rng.seeded(4), 3)();
    expect(() => task.metrics(new Float64Array(11), batch)).toThrow('metrics: pred has 11 values, expected 12 ([3, 4] logits)');
    expect(() => task.metrics(new Float64Array(12), batch)).not.toThrow();
  });
});
