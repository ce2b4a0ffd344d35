/**
 * The regression task's exact numbers and declarations, without starting Python: literals were
 * printed once by /usr/bin/python3 (numpy 1.24.2, scikit-learn 1.2.1) with repr(), which
 * round-trips float64, from
 *   np.random.seed(0); x, y = make_regression(n_samples=1000, n_features=1, noise=10)
 * with the training mean and population std of x[:800], y[:800] computed by plain Python loops
 * summing left to right (the order src/tasks/metrics.ts documents), the std two-pass:
 * sqrt(sum((v - m) * (v - m)) / n). numpy's own pairwise sums differ in the last bits, which is
 * why regression.test.ts compares with a tolerance; these are bitwise.
 */
import { describe, expect, it } from 'vitest';
import { leastSquaresLine, regressionTask } from '../../src/tasks/regression.ts';
import { sequenceStandardErrors } from '../../src/tasks/standardErrors.ts';

// Training statistics (plain Python, left to right): x mean -0.04588055274743917, std
// 0.9821615570501552; y mean Y_MEAN, std Y_STD = 81.47636487178703. A one-pass std,
// sqrt(sum((v + m) * (v - m)) / n), is equal on paper but 12 ulps off here.
const Y_MEAN = -3.516106407644815;
// x[800:803], y[800:803] (the first validation samples).
const X_VAL = [-1.4219198716404369, 1.8958891760305832, -1.1268258087567435];
const Y_VAL = [-120.64035242056816, 146.81549451877208, -92.75869665401027];
// (v - mean) / std of the same in Python float arithmetic.
const X_VAL_STANDARDIZED = [-1.4010315400918596, 1.977036990339934, -1.100577851220158];
const Y_VAL_STANDARDIZED = [-1.4375241973206905, 1.8450946009064344, -1.0953187514784137];
// sum((Y_MEAN - y) ** 2 for y in y[800:]) / 200, left to right: predicting the training mean.
const MEAN_PREDICTION_MSE = 6797.401223478968;

describe('regression task: standardization is exact', () => {
  it('the validation inputs and targets are (v - mean) / std with the training statistics, bitwise', () => {
    const test = regressionTask({ standardize: true }).testSet();
    expect(Array.from(test.x.subarray(0, 3))).toEqual(X_VAL_STANDARDIZED);
    expect(Array.from(test.y.subarray(0, 3))).toEqual(Y_VAL_STANDARDIZED);
    const raw = regressionTask({ standardize: false }).testSet();
    expect(Array.from(raw.x.subarray(0, 3))).toEqual(X_VAL);
    expect(Array.from(raw.y.subarray(0, 3))).toEqual(Y_VAL);
  });

  it.each([false, true])('standardize %s: predicting the training mean scores the mean baseline exactly', (standardize) => {
    // The baseline is defined as this prediction's validation MSE: 0 on the standardized scale
    // maps back to the training mean exactly (0 * std + mean), so the two agree bit for bit.
    const task = regressionTask({ standardize });
    const test = task.testSet();
    const pred = new Float64Array(test.y.length).fill(standardize ? 0 : Y_MEAN);
    const m = task.metrics(pred, test);
    expect(m.mse).toBe(MEAN_PREDICTION_MSE);
    expect(task.baselines[0].value).toBe(MEAN_PREDICTION_MSE);
  });

  it('mse is measured against the validation data themselves, not their round trip through the scaler', () => {
    // The model's perfect prediction on its own scale is the standardized target p = (y - mean) / std;
    // mapped back, p * std + mean misses y by one ulp for 29 of the 200 samples (no float64 p
    // maps exactly onto those y). Python, same float64 operations, summed left to right:
    //   sum((((y - Y_MEAN) / Y_STD) * Y_STD + Y_MEAN - y) ** 2 for y in y[800:]) / 200
    // A round trip of the targets too would hide that error and report exactly 0.
    const task = regressionTask({ standardize: true });
    const test = task.testSet();
    const m = task.metrics(test.y.slice(), test);
    expect(m.loss).toBe(0);
    expect(m.mse).toBe(2.748909083759056e-29);
    expect(m.r2).toBe(1);
    // Without standardization nothing is mapped: exactly 0.
    const raw = regressionTask({ standardize: false });
    expect(raw.metrics(raw.testSet().y.slice(), raw.testSet()).mse).toBe(0);
  });
});

describe('leastSquaresLine centres before multiplying', () => {
  // x = 1e15 + [0, 1, 2, 3]: every step of the centred formula is exact (x - mean is ±0.5,
  // ±1.5; the sums are small), while uncentred products like (x + mean)(x - mean) round at
  // 3e15 and the slope comes out tens of percent off.
  const x = Float64Array.from([1e15, 1e15 + 1, 1e15 + 2, 1e15 + 3]);
  it('y = x far from the origin: slope 1, intercept 0 exactly', () => {
    expect(leastSquaresLine(x, x)).toEqual({ slope: 1, intercept: 0 });
  });
  it('y = 2x + 1 far from the origin: slope 2, intercept 1 exactly', () => {
    expect(leastSquaresLine(x, x.map((v) => 2 * v + 1))).toEqual({ slope: 2, intercept: 1 });
  });
});

describe('regression task declarations', () => {
  it('rejects a non-boolean standardize naming the field', () => {
    // regressionTask called directly: createTask would have checked first.
    expect(() => regressionTask({ standardize: 'yes' as unknown as boolean })).toThrow(new Error('task.standardize must be true or false, got "yes"'));
  });

  it('metricNames and sequenceMeans are the documented ones', () => {
    const task = regressionTask({ standardize: false });
    expect(task.metricNames).toEqual(['loss', 'mse', 'r2', 'lstsqMse', 'lstsqR2']);
    // R² and the least-squares constants are not means over sequences.
    expect(task.sequenceMeans).toEqual(['loss', 'mse']);
    const test = task.testSet();
    expect(Object.keys(sequenceStandardErrors(task, new Float64Array(test.y.length), test)).sort()).toEqual(['loss', 'mse']);
  });

  it('the notes and description say which scale, and only when standardized', () => {
    const raw = regressionTask({ standardize: false });
    const std = regressionTask({ standardize: true });
    expect(raw.baselines.map((b) => b.note)).toEqual([
      'predict the training mean (validation MSE, original scale)',
      'least-squares line fitted on the training split (validation MSE, original scale)',
      'predict the training mean (validation MSE)',
      'least-squares line (validation MSE)',
    ]);
    expect(std.baselines.map((b) => b.note).slice(2)).toEqual([
      'predict the training mean (validation MSE, standardized scale)',
      'least-squares line (validation MSE, standardized scale)',
    ]);
    expect(raw.description.endsWith('first 800 train / last 200 validation')).toBe(true);
    expect(std.description.endsWith('first 800 train / last 200 validation, standardized with training statistics')).toBe(true);
  });

  it('a prediction of the wrong length names the batch shape', () => {
    const task = regressionTask({ standardize: false });
    const test = task.testSet();
    expect(() => task.metrics(new Float64Array(201), test)).toThrow(new Error('metrics: pred has 201 values, expected 200 ([200, 1])'));
  });
});
