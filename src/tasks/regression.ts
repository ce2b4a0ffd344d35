/**
 * The original article's example (`000_679c7ae67a4d2780.txt` in shared/, the LSTMNet regression):
 *
 *   np.random.seed(0)
 *   x, y = datasets.make_regression(n_samples=1000, n_features=1, noise=10)
 *   val_split = int(len(x)*0.2)
 *   x_train, y_train = x[:-val_split], y[:-val_split]
 *   x_val, y_val = x[-val_split:], y[-val_split:]
 *   DataLoader(TensorDataset(x_train, y_train), shuffle=True, batch_size=64)
 *   ... nn.MSELoss(); sklearn mean_squared_error and r2_score on the validation split
 *
 * The data are regenerated bit for bit by NumpyRandomState(0) + makeRegression (numpy 1.24 /
 * scikit-learn 1.2 draw order), kept in float64 (the article then casts to float32). Each sample
 * is a sequence of length 1: x [N, 1, 1], y [N, 1]. The split is the article's: no shuffle
 * before it, the first 800 samples train, the last 200 (int(1000 * 0.2)) validate; the
 * validation split is the test set. (The article's own code feeds nn.LSTM a 2-D x and compares
 * a [B] output with [B, 1] labels, which MSELoss broadcasts to [B, B]; we use the intended
 * [B, 1, 1] input and elementwise MSE.)
 *
 * Training sampler: like torch's DataLoader(shuffle=True, batch_size, drop_last=False) — every
 * epoch a fresh permutation of the 800 training indices (Fisher-Yates from the run's Rng, so not
 * torch's randperm stream), cut into consecutive batches, the last partial batch kept: with
 * batch size 64, 12 batches of 64 and one of 32, 13 steps per epoch. Batches therefore differ
 * in size.
 *
 * `standardize: true`: x and y are mapped to (v - mean) / std with the TRAINING split's mean and
 * population std (ddof = 0, as sklearn's StandardScaler); the model trains and the loss is
 * computed on that scale, while `mse`, `r2` and the baselines are reported on the original
 * scale (predictions and targets mapped back by v * std + mean), so both variants compare.
 *
 * Metrics (on a batch, normally the validation split):
 *   loss     — MSE on the model's scale (the training loss);
 *   mse, r2  — on the original scale; r2 is sklearn's r2_score;
 *   lstsqMse, lstsqR2 — the closed-form least-squares line y = a x + b fitted on the training
 *            split (what numpy.linalg.lstsq on [x, 1] gives), scored on the validation split:
 *            the bar a model should reach. Constants of the task, whatever the batch.
 * Baselines: predict the training mean, and the least-squares line, each as `mse` (original
 * scale) and as `loss` (the model's scale; the same numbers without standardization).
 */
import type { Rng } from '../tensor/rng.ts';
import { requireBatchSize, requireBoolean, requirePredLength } from './common.ts';
import { makeRegression } from './makeRegression.ts';
import { mean, mse, r2Score } from './metrics.ts';
import { NumpyRandomState } from './numpyRandomState.ts';
import type { Baseline, Batch, Task } from './task.ts';

export const REGRESSION_SAMPLES = 1000;
/** int(len(x) * 0.2), as the article computes it. */
export const REGRESSION_VAL_SIZE = Math.trunc(REGRESSION_SAMPLES * 0.2);
export const REGRESSION_TRAIN_SIZE = REGRESSION_SAMPLES - REGRESSION_VAL_SIZE;
export const REGRESSION_NOISE = 10;
export const REGRESSION_SEED = 0;

export interface RegressionOptions {
  standardize: boolean;
}

/** The article's data set, exactly as numpy/sklearn produce it: x [1000], y [1000]. */
export function articleRegressionData(): { x: Float64Array; y: Float64Array } {
  const d = makeRegression({ nSamples: REGRESSION_SAMPLES, nFeatures: 1, noise: REGRESSION_NOISE }, new NumpyRandomState(REGRESSION_SEED));
  return { x: d.X, y: d.y };
}

/** Population standard deviation (ddof = 0) about `m`. */
function std(values: Float64Array, m: number): number {
  let s = 0;
  for (const v of values) s += (v - m) * (v - m);
  return Math.sqrt(s / values.length);
}

/** Least squares y = slope x + intercept, closed form with centred sums. */
export function leastSquaresLine(x: Float64Array, y: Float64Array): { slope: number; intercept: number } {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

export function regressionTask(opts: RegressionOptions): Task {
  const standardize = requireBoolean('standardize', opts.standardize);
  const { x, y } = articleRegressionData();
  const N = REGRESSION_TRAIN_SIZE;
  const xTrain = x.slice(0, N);
  const yTrain = y.slice(0, N);
  const xVal = x.slice(N);
  const yVal = y.slice(N);

  const xMean = mean(xTrain);
  const yMean = mean(yTrain);
  const scale = standardize ? { xMean, xStd: std(xTrain, xMean), yMean, yStd: std(yTrain, yMean) } : null;
  const toModelX = (v: number): number => (scale ? (v - scale.xMean) / scale.xStd : v);
  const toModelY = (v: number): number => (scale ? (v - scale.yMean) / scale.yStd : v);
  const fromModelY = (v: number): number => (scale ? v * scale.yStd + scale.yMean : v);
  const modelX = x.map(toModelX);
  const modelY = y.map(toModelY);

  const line = leastSquaresLine(xTrain, yTrain);
  const lstsqPred = xVal.map((v) => line.slope * v + line.intercept);
  const lstsqMse = mse(lstsqPred, yVal);
  const lstsqR2 = r2Score(yVal, lstsqPred);
  const meanMse = mse(new Float64Array(yVal.length).fill(yMean), yVal);
  const lossScale = scale ? scale.yStd * scale.yStd : 1;

  const gather = (indices: ArrayLike<number>): Batch => {
    const B = indices.length;
    const batch: Batch = { x: new Float64Array(B), xShape: [B, 1, 1], y: new Float64Array(B), yShape: [B, 1] };
    for (let i = 0; i < B; i++) {
      batch.x[i] = modelX[indices[i]];
      batch.y[i] = modelY[indices[i]];
    }
    return batch;
  };
  const test = gather(Array.from({ length: REGRESSION_VAL_SIZE }, (_, i) => N + i));

  const baselines: Baseline[] = [
    { metric: 'mse', value: meanMse, note: 'predict the training mean (validation MSE, original scale)' },
    { metric: 'mse', value: lstsqMse, note: 'least-squares line fitted on the training split (validation MSE, original scale)' },
    { metric: 'loss', value: meanMse / lossScale, note: `predict the training mean (validation MSE${scale ? ', standardized scale' : ''})` },
    { metric: 'loss', value: lstsqMse / lossScale, note: `least-squares line (validation MSE${scale ? ', standardized scale' : ''})` },
  ];

  return {
    name: 'regression',
    description: `the article's LSTMNet example: make_regression(1000, 1 feature, noise 10) with np.random.seed(0), first 800 train / last 200 validation${standardize ? ', standardized with training statistics' : ''}`,
    source: "the article's LSTM regression example (shared/000_679c7ae67a4d2780.txt); sklearn.datasets.make_regression 1.2 via NumpyRandomState",
    inputSize: 1,
    outputSize: 1,
    seqLen: 1,
    loss: 'mse',
    targets: 'last',
    baselines,
    metricNames: ['loss', 'mse', 'r2', 'lstsqMse', 'lstsqR2'],
    sequenceMeans: ['loss', 'mse'],
    trainSampler(rng: Rng, batchSize: number) {
      const size = requireBatchSize(batchSize);
      const order = Array.from({ length: N }, (_, i) => i);
      let cursor = N; // an epoch starts with a fresh permutation
      return () => {
        if (cursor >= N) {
          rng.shuffle(order);
          cursor = 0;
        }
        const batch = gather(order.slice(cursor, cursor + size));
        cursor += size;
        return batch;
      };
    },
    testSet: () => test,
    metrics(pred: Float64Array, batch: Batch): Record<string, number> {
      requirePredLength(pred, batch.y.length, `[${batch.yShape.join(', ')}]`);
      const predOriginal = pred.map(fromModelY);
      // The validation split's own targets, not a round trip through the scaler, when we can.
      const yOriginal = batch === test ? yVal : batch.y.map(fromModelY);
      return {
        loss: mse(pred, batch.y),
        mse: mse(predOriginal, yOriginal),
        r2: r2Score(yOriginal, predOriginal),
        lstsqMse,
        lstsqR2,
      };
    },
  };
}
