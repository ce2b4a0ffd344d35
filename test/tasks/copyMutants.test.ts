import { describe, expect, it } from 'vitest';
import { copyTask } from '../../src/tasks/copy.ts';
import { Rng } from '../../src/tensor/rng.ts';

describe('copy memory: labels', () => {
  it('metric names: loss, accuracy, sequenceAccuracy, all means over sequences', () => {
    // Every sequence has the same T + 20 steps and 10 recalled symbols, so the step-mean loss and
    // the symbol-mean accuracy weigh each sequence equally; sequenceAccuracy is a 0/1 per sequence.
    const names = ['loss', 'accuracy', 'sequenceAccuracy'];
    const task = copyTask({ T: 3, testSize: 2 });
    expect([...task.metricNames]).toEqual(names);
    expect([...task.sequenceMeans]).toEqual(names);
    expect(Object.keys(task.metrics(new Float64Array(2 * 23 * 10), task.testSet())).sort()).toEqual([...names].sort());
  });

  it('logits of the wrong length are rejected with the logits shape [B, T + 20, 10]', () => {
    // T = 1: sequences of 21 steps; B = 2: 2 * 21 * 10 = 420 logits.
    const task = copyTask({ T: 1 });
    const batch = task.trainSampler(Rng.seeded(3), 2)();
    expect(() => task.metrics(new Float64Array(419), batch)).toThrow('metrics: pred has 419 values, expected 420 ([2, 21, 10] logits)');
    expect(() => task.metrics(new Float64Array(420), batch)).not.toThrow();
  });
});
