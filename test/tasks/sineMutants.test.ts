import { describe, expect, it } from 'vitest';
import { sineTask } from '../../src/tasks/sine.ts';
import { Rng } from '../../src/tensor/rng.ts';

describe('sine forecasting: labels', () => {
  it('the baseline note states the expected persistence MSE 1 - (sin 0.6 - sin 0.1)/0.5 + 2 sigma^2 ~ 0.0754', () => {
    // By hand: sin 0.6 = 0.564642, sin 0.1 = 0.099833, difference / (0.6 - 0.1) = 0.929617;
    // 1 - 0.929617 + 2 * 0.05^2 = 0.075383.
    const [baseline] = sineTask({ T: 10 }).baselines;
    expect(baseline.metric).toBe('loss');
    expect(baseline.note).toBe('persistence (predict v_T) on the test set; expected 1 - (sin 0.6 - sin 0.1)/0.5 + 2 sigma^2 = 0.0754');
  });

  it('metric names: loss and mse, both means over sequences of a squared error', () => {
    const task = sineTask({ T: 5, testSize: 4 });
    expect([...task.metricNames]).toEqual(['loss', 'mse']);
    expect([...task.sequenceMeans]).toEqual(['loss', 'mse']);
    expect(Object.keys(task.metrics(new Float64Array(4), task.testSet())).sort()).toEqual(['loss', 'mse']);
  });

  it('a prediction of the wrong length is rejected with the target shape [B, 1]', () => {
    const task = sineTask({ T: 5 });
    const batch = task.trainSampler(Rng.seeded(1), 3)();
    expect(() => task.metrics(new Float64Array(4), batch)).toThrow('metrics: pred has 4 values, expected 3 ([3, 1])');
    expect(() => task.metrics(new Float64Array(3), batch)).not.toThrow();
  });
});
