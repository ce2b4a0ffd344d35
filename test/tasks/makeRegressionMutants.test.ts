/**
 * makeRegression's option checks (each field named, on both sides of its bound) and the one
 * draw-order rule no reference case covered: noise = 0 with shuffling on. Literals were printed
 * by scikit-learn 1.2.1 / numpy 1.24.2 (/usr/bin/python3) with repr(), which round-trips float64
 * exactly, so the comparisons are bitwise.
 */
import { describe, expect, it } from 'vitest';
import { makeRegression, type MakeRegressionOptions } from '../../src/tasks/makeRegression.ts';
import { NumpyRandomState } from '../../src/tasks/numpyRandomState.ts';

const draw = (opts: MakeRegressionOptions, seed = 0) => makeRegression(opts, new NumpyRandomState(seed));

describe('makeRegression option checks', () => {
  const bad: [MakeRegressionOptions, string][] = [
    [{ nSamples: 10, nFeatures: 0 }, 'makeRegression: nFeatures must be an integer >= 1, got 0'],
    [{ nSamples: 10, nFeatures: 1.5 }, 'makeRegression: nFeatures must be an integer >= 1, got 1.5'],
    [{ nSamples: -1, nFeatures: 1 }, 'makeRegression: nSamples must be an integer >= 0, got -1'],
    // Above the minimum but not an integer: only the integer test can reject it.
    [{ nSamples: 2.5, nFeatures: 1 }, 'makeRegression: nSamples must be an integer >= 0, got 2.5'],
    [{ nSamples: 10, nFeatures: 2, nInformative: -1 }, 'makeRegression: nInformative must be an integer >= 0, got -1'],
    [{ nSamples: 10, nFeatures: 2, nTargets: 0 }, 'makeRegression: nTargets must be an integer >= 1, got 0'],
  ];
  it.each(bad.map(([opts, message]) => ({ opts, message, name: JSON.stringify(opts) })))('rejects $name', ({ opts, message }) => {
    expect(() => draw(opts)).toThrow(new RangeError(message));
  });

  it('accepts each minimum: no samples, no informative feature, one feature and one target', () => {
    // np.random.seed(3); make_regression(n_samples=0, n_features=2, coef=True)[2]: the empty
    // row shuffle draws nothing, the feature shuffle still does.
    const empty = draw({ nSamples: 0, nFeatures: 2 }, 3);
    expect(empty.X.length).toBe(0);
    expect(empty.y.length).toBe(0);
    expect(Array.from(empty.coef)).toEqual([70.81478226181048, 55.07979025745755]);
    const flat = draw({ nSamples: 3, nFeatures: 1, nInformative: 0, nTargets: 1 });
    expect(Array.from(flat.coef)).toEqual([0]);
    expect(Array.from(flat.y)).toEqual([0, 0, 0]);
  });
});

describe('makeRegression with noise = 0 and shuffle on', () => {
  it('draws no noise, so the shuffles use the very next numbers (numpy bit for bit)', () => {
    // np.random.seed(2); make_regression(n_samples=5, n_features=3, n_informative=1,
    //   noise=0.0, shuffle=True, coef=True). One informative feature: y is a single product,
    // exact on every BLAS.
    const d = draw({ nSamples: 5, nFeatures: 3, nInformative: 1, noise: 0 }, 2);
    expect(Array.from(d.X)).toEqual([
      -1.1179254451135168, 0.5390583205807888, 0.04153939299840346, 0.5514540445464243, 2.2922080128149576, -0.9090076149268493,
      -1.7934355851948631, -0.841747365656204, 1.6402708084049886, -0.056266827226329474, -2.136196095668454, -0.4167578474054706,
      -1.2452880866072316, -1.057952218862339, 0.5028814171580428,
    ]);
    expect(Array.from(d.y)).toEqual([3.5473615291878327, -77.62700439686799, 140.0750743615661, -35.59009046978902, 42.94483053805005]);
    expect(Array.from(d.coef)).toEqual([0, 0, 85.39752926394888]);
  });
});
