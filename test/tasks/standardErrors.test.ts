import { describe, expect, it } from 'vitest';
import { sliceBatch } from '../../src/tasks/batch.ts';
import { createTask } from '../../src/tasks/index.ts';
import { sequenceStandardErrors } from '../../src/tasks/standardErrors.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { ALL } from './taskHelpers.ts';

describe('sequenceStandardErrors', () => {
  it('hand-computed: squared errors 0.25, 0, 0.25 have mean 1/6, sample sd 0.14434 and SE 1/12', () => {
    // Three adding sequences (arjovsky): only y and the predictions matter to the MSE.
    const task = createTask({ name: 'adding', T: 4, variant: 'arjovsky' });
    const batch = { x: new Float64Array(3 * 4 * 2), xShape: [3, 4, 2] as [number, number, number], y: Float64Array.from([1, 2, 0.5]), yShape: [3, 1] };
    const se = sequenceStandardErrors(task, Float64Array.from([1.5, 2, 0]), batch);
    // var = ((1/4 - 1/6)^2 * 2 + (1/6)^2) / 2 = 1/48; SE = sqrt(1/48 / 3) = 1/12.
    expect(se.loss).toBeCloseTo(1 / 12, 14);
    expect(se.mse).toBeCloseTo(1 / 12, 14);
    expect(Object.keys(se).sort()).toEqual(['loss', 'mse']);
  });

  it('two sequences are enough; predictions that do not split into the sequences are refused', () => {
    const task = createTask({ name: 'adding', T: 4, variant: 'arjovsky' });
    const batch = { x: new Float64Array(2 * 4 * 2), xShape: [2, 4, 2] as [number, number, number], y: Float64Array.from([1, 2]), yShape: [2, 1] };
    // Squared errors 0.25 and 0: sd = sqrt(1/32), SE = sd / sqrt(2) = 1/8.
    expect(sequenceStandardErrors(task, Float64Array.from([1.5, 2]), batch).mse).toBeCloseTo(1 / 8, 14);
    expect(() => sequenceStandardErrors(task, Float64Array.from([1, 2, 3]), batch)).toThrow(/^sequenceStandardErrors: 3 predictions do not split into 2 sequences$/);
  });

  it('one sequence has no spread to measure', () => {
    const task = createTask({ name: 'adding', T: 4, variant: 'arjovsky' });
    const test = sliceBatch(task.testSet(), 0, 1);
    expect(sequenceStandardErrors(task, new Float64Array(1), test)).toEqual({});
  });

  // The SE is only meaningful if each declared metric is the mean of its per-sequence values: checked
  // for every task on random predictions, and against the spread of those values directly.
  describe.each(ALL.map((c) => ({ c, label: JSON.stringify(c) })))('$label', ({ c }) => {
    it('each sequenceMeans metric is the mean of its per-sequence values; SE = sd / sqrt(n)', () => {
      const task = createTask(c);
      const full = task.testSet();
      const n = Math.min(full.xShape[0], 40);
      const batch = sliceBatch(full, 0, n);
      const per = task.loss === 'mse' ? batch.y.length / n : (batch.y.length / n) * task.outputSize;
      const rng = Rng.seeded(7);
      const pred = Float64Array.from({ length: per * n }, () => rng.normal());
      const whole = task.metrics(pred, batch);
      const se = sequenceStandardErrors(task, pred, batch);
      expect(Object.keys(se).sort()).toEqual([...task.sequenceMeans].sort());
      for (const name of task.sequenceMeans) {
        const values = Array.from({ length: n }, (_, b) => task.metrics(pred.subarray(b * per, (b + 1) * per), sliceBatch(batch, b, b + 1))[name]);
        const mean = values.reduce((s, v) => s + v, 0) / n;
        // Float64 sums of n <= 40 terms in two orders: agree to ~n ulp.
        expect(mean, name).toBeCloseTo(whole[name], 10);
        const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
        expect(se[name], name).toBeCloseTo(sd / Math.sqrt(n), 12);
      }
    });
  });
});
