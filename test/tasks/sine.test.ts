import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mse } from '../../src/tasks/metrics.ts';
import { persistenceForecast, SINE_NOISE, SINE_OMEGA_MAX, SINE_OMEGA_MIN, SINE_PERSISTENCE_EXPECTED_MSE, sineTask } from '../../src/tasks/sine.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';
import { expectWithin5SE, meanAndSE } from './taskHelpers.ts';

/** The documented draw order, replayed: omega, phi, then T + 1 normals. */
function replay(rng: Rng, T: number): { omega: number; phi: number; values: number[] } {
  const omega = rng.uniformIn(0.1, 0.6);
  const phi = rng.uniformIn(0, 2 * Math.PI);
  const values = Array.from({ length: T + 1 }, (_, i) => Math.sin(omega * (i + 1) + phi) + 0.05 * rng.normal());
  return { omega, phi, values };
}

describe('sine forecasting', () => {
  it('has the documented shapes and constants', () => {
    const task = sineTask({ T: 40 });
    expect([task.inputSize, task.outputSize, task.seqLen, task.loss, task.targets]).toEqual([1, 1, 40, 'mse', 'last']);
    const batch = task.trainSampler(Rng.seeded(0), 3)();
    expect(batch.xShape).toEqual([3, 40, 1]);
    expect(batch.yShape).toEqual([3, 1]);
    expect([SINE_OMEGA_MIN, SINE_OMEGA_MAX, SINE_NOISE]).toEqual([0.1, 0.6, 0.05]);
  });

  it('inputs are v_1..v_T and the target v_{T+1} of sin(omega t + phi) + noise', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 60 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (T, seed) => {
        const B = 4;
        const batch = sineTask({ T }).trainSampler(Rng.seeded(seed), B)();
        const rng = Rng.seeded(seed);
        for (let b = 0; b < B; b++) {
          const r = replay(rng, T);
          expect(r.omega >= 0.1 && r.omega < 0.6).toBe(true);
          expect(Array.from(batch.x.subarray(b * T, (b + 1) * T))).toEqual(r.values.slice(0, T));
          expect(batch.y[b]).toBe(r.values[T]);
        }
      }),
      fcParams(40),
    );
  });

  it('the persistence baseline is the MSE of the last input on the test set, near its expectation', () => {
    // Expected persistence MSE: E_omega[1 - cos omega] + 2 sigma^2; the standard error comes from
    // the sample variance of the n squared errors.
    const n = 20000;
    const task = sineTask({ T: 30, testSize: n, seed: 3 });
    const test = task.testSet();
    const last = new Float64Array(n);
    const squared = new Float64Array(n);
    for (let b = 0; b < n; b++) {
      last[b] = test.x[b * 30 + 29];
      squared[b] = (last[b] - test.y[b]) ** 2;
    }
    expect(Array.from(persistenceForecast(test))).toEqual(Array.from(last));
    const baseline = task.baselines.find((b) => b.metric === 'loss');
    expect(baseline?.value).toBe(mse(last, test.y));
    expect(task.metrics(last, test).loss).toBe(baseline?.value);
    const expected = 1 - (Math.sin(0.6) - Math.sin(0.1)) / 0.5 + 2 * 0.05 ** 2;
    expect(SINE_PERSISTENCE_EXPECTED_MSE).toBeCloseTo(expected, 15);
    const { mean, se } = meanAndSE(squared);
    expectWithin5SE(mean, expected, se, 'persistence MSE');
  });

  it('the noise floor: knowing omega and phi leaves MSE sigma^2', () => {
    // (sigma eps)^2 has mean sigma^2 and variance 2 sigma^4: SE = sigma^2 sqrt(2 / n).
    const n = 20000;
    const T = 12;
    const batch = sineTask({ T }).trainSampler(Rng.seeded(21), n)();
    const rng = Rng.seeded(21);
    const clean = Float64Array.from({ length: n }, () => {
      const r = replay(rng, T);
      return Math.sin(r.omega * (T + 1) + r.phi);
    });
    expectWithin5SE(mse(clean, batch.y), 0.0025, 0.0025 * Math.sqrt(2 / n), 'MSE of the noiseless forecast');
  });
});
