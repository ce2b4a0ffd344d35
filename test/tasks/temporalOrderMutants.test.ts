import { describe, expect, it } from 'vitest';
import { temporalOrderTask } from '../../src/tasks/temporalOrder.ts';
import { Rng } from '../../src/tensor/rng.ts';

describe('temporal order: labels', () => {
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
