/**
 * Next-value forecasting of noisy sine waves: a synthetic sanity task of gradlab's own (no paper
 * defines it). Its baseline is the naive ("persistence") forecast, which predicts the last
 * observed value: R. J. Hyndman, G. Athanasopoulos, "Forecasting: Principles and Practice",
 * 3rd ed. (2021), section 5.2 "Some simple forecasting methods", naive method.
 *
 * Each sequence draws, in this order:
 *   omega ~ U[0.1, 0.6) radians per step (periods from 2 pi / 0.6 ~ 10.5 to 2 pi / 0.1 ~ 63 steps),
 *   phi   ~ U[0, 2 pi),
 *   eps_t ~ N(0, 1) for t = 1..T+1,
 * and observes v_t = sin(omega t + phi) + 0.05 eps_t (amplitude 1, noise sigma = 0.05).
 * Input [B, T, 1]: v_1..v_T. Target [B, 1]: v_{T+1}, the next observation, noise included, so no
 * forecaster beats an expected MSE of sigma^2 = 0.0025 (the noise floor).
 * Loss 'mse', targets 'last'. Metrics: `loss` (= `mse`), `mse`.
 * Baseline: the persistence forecast v_T, its MSE computed on the test set. In expectation it is
 *   E[(v_{T+1} - v_T)^2] = E_omega[1 - cos omega] + 2 sigma^2
 *                        = 1 - (sin 0.6 - sin 0.1) / 0.5 + 2 sigma^2 ~ 0.0754
 * (the phase average of (sin(a + omega) - sin a)^2 is 2 sin^2(omega/2) = 1 - cos omega).
 */
import type { Rng } from '../tensor/rng.ts';
import { allocBatch, once, requireBatchSize, requireInteger, requirePredLength, resolveGenerated, testSetRng, type GeneratedTaskOptions } from './common.ts';
import { mse } from './metrics.ts';
import type { Batch, Task } from './task.ts';

export const SINE_OMEGA_MIN = 0.1;
export const SINE_OMEGA_MAX = 0.6;
export const SINE_NOISE = 0.05;
export const SINE_MIN_T = 2;

/** E[(v_{T+1} - v_T)^2] over omega, phase and noise: the persistence forecast's expected MSE. */
export const SINE_PERSISTENCE_EXPECTED_MSE =
  1 - (Math.sin(SINE_OMEGA_MAX) - Math.sin(SINE_OMEGA_MIN)) / (SINE_OMEGA_MAX - SINE_OMEGA_MIN) + 2 * SINE_NOISE * SINE_NOISE;

export interface SineOptions extends GeneratedTaskOptions {
  T: number;
}

/** The persistence forecast of every sequence in a batch: its last input value. */
export function persistenceForecast(batch: Batch): Float64Array {
  const [B, T] = batch.xShape;
  return Float64Array.from({ length: B }, (_, b) => batch.x[b * T + T - 1]);
}

export function sineTask(opts: SineOptions): Task {
  const T = requireInteger('T', opts.T, SINE_MIN_T);
  const { testSize, seed } = resolveGenerated(opts);

  const generate = (rng: Rng, B: number): Batch => {
    const batch = allocBatch([B, T, 1], [B, 1]);
    for (let b = 0; b < B; b++) {
      const omega = rng.uniformIn(SINE_OMEGA_MIN, SINE_OMEGA_MAX);
      const phi = rng.uniformIn(0, 2 * Math.PI);
      for (let t = 1; t <= T + 1; t++) {
        const v = Math.sin(omega * t + phi) + SINE_NOISE * rng.normal();
        if (t <= T) batch.x[b * T + t - 1] = v;
        else batch.y[b] = v;
      }
    }
    return batch;
  };

  const testSet = once(() => generate(testSetRng(seed), testSize));
  // The baseline is measured on the test set, which is drawn on first use, not here: validation
  // and --dry-run build every task, and a large T x testSize (legal, within the memory limit)
  // would otherwise spend seconds drawing sequences nothing reads.
  const persistenceMse = once(() => {
    const test = testSet();
    return mse(persistenceForecast(test), test.y);
  });

  return {
    name: 'sine',
    description: `sine forecasting, T = ${T}: predict v_{T+1} of sin(omega t + phi) + N(0, ${SINE_NOISE}^2), omega ~ U[${SINE_OMEGA_MIN}, ${SINE_OMEGA_MAX}) rad/step; noise floor MSE ${SINE_NOISE ** 2}`,
    source: 'gradlab synthetic task; persistence baseline = naive forecast (Hyndman & Athanasopoulos, FPP3, sec. 5.2)',
    inputSize: 1,
    outputSize: 1,
    seqLen: T,
    loss: 'mse',
    targets: 'last',
    baselines: [
      {
        metric: 'loss',
        get value() {
          return persistenceMse();
        },
        note: `persistence (predict v_T) on the test set; expected 1 - (sin ${SINE_OMEGA_MAX} - sin ${SINE_OMEGA_MIN})/${SINE_OMEGA_MAX - SINE_OMEGA_MIN} + 2 sigma^2 = ${SINE_PERSISTENCE_EXPECTED_MSE.toFixed(4)}`,
      },
    ],
    metricNames: ['loss', 'mse'],
    sequenceMeans: ['loss', 'mse'],
    trainSampler(rng: Rng, batchSize: number) {
      const B = requireBatchSize(batchSize);
      return () => generate(rng, B);
    },
    testSet,
    metrics(pred: Float64Array, batch: Batch): Record<string, number> {
      requirePredLength(pred, batch.y.length, `[${batch.yShape.join(', ')}]`);
      const m = mse(pred, batch.y);
      return { loss: m, mse: m };
    },
  };
}
