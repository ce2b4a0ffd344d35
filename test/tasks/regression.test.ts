/**
 * The article's regression task against numpy / scikit-learn themselves. Needs the Debian
 * packages python3-numpy and python3-sklearn; without them these tests FAIL with the install
 * command (never skip).
 */
import { describe, expect, it } from 'vitest';
import { articleRegressionData, REGRESSION_TRAIN_SIZE, REGRESSION_VAL_SIZE, regressionTask } from '../../src/tasks/regression.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { runPython } from '../helpers/python.ts';
import { expectSameBatch } from './taskHelpers.ts';

const INSTALL_HINT = 'apt-get install python3-numpy python3-sklearn';

const PY_SCRIPT = String.raw`
import json, sys
try:
    import numpy as np
    from sklearn import datasets
    from sklearn.metrics import mean_squared_error, r2_score
except ImportError as exc:
    print(json.dumps({"importError": repr(exc)}))
    sys.exit(0)

hexf = lambda a: np.ascontiguousarray(a, dtype="<f8").tobytes().hex()

# The article, verbatim up to the split.
np.random.seed(0)
x, y = datasets.make_regression(n_samples=1000, n_features=1, noise=10)
val_split = int(len(x)*0.2)
x_train, y_train = x[:-val_split], y[:-val_split]
x_val, y_val = x[-val_split:], y[-val_split:]

A = np.c_[x_train[:, 0], np.ones(len(x_train))]
coef = np.linalg.lstsq(A, y_train, rcond=None)[0]
lstsq_pred = coef[0] * x_val[:, 0] + coef[1]
mean_pred = np.full(len(y_val), y_train.mean())
other_pred = 2.0 * x_val[:, 0] + 40.0  # an arbitrary line, to check metrics() itself
print(json.dumps({
    "valSplit": val_split, "x": hexf(x[:, 0]), "y": hexf(y),
    "lstsqMse": mean_squared_error(y_val, lstsq_pred), "lstsqR2": r2_score(y_val, lstsq_pred),
    "meanMse": mean_squared_error(y_val, mean_pred),
    "otherMse": mean_squared_error(y_val, other_pred), "otherR2": r2_score(y_val, other_pred),
    "xMean": x_train.mean(), "xStd": x_train.std(), "yMean": y_train.mean(), "yStd": y_train.std(),
}))
`;

interface PyRef {
  valSplit: number;
  x: string;
  y: string;
  lstsqMse: number;
  lstsqR2: number;
  meanMse: number;
  otherMse: number;
  otherR2: number;
  xMean: number;
  xStd: number;
  yMean: number;
  yStd: number;
}

let cached: { value: PyRef } | { error: Error } | undefined;

/** numpy/sklearn's numbers, computed once; a missing reference fails every test that needs it. */
function reference(): PyRef {
  if (cached === undefined) {
    try {
      const parsed = JSON.parse(runPython(['-c', PY_SCRIPT], '')) as PyRef | { importError: string };
      if ('importError' in parsed) throw new Error(`/usr/bin/python3 cannot import numpy/sklearn (${parsed.importError}); install them: ${INSTALL_HINT}`);
      cached = { value: parsed };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      cached = { error: e.message.includes(INSTALL_HINT) ? e : new Error(`${e.message} (the numpy reference needs: ${INSTALL_HINT})`) };
    }
  }
  if ('error' in cached) throw cached.error;
  return cached.value;
}

function fromHex(hex: string): Float64Array {
  const bytes = Buffer.from(hex, 'hex');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float64Array.from({ length: bytes.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

function expectRelative(actual: number, expected: number, tol: number, label: string): void {
  expect(Math.abs(actual - expected), `${label}: ${actual} vs numpy ${expected}`).toBeLessThanOrEqual(tol * Math.abs(expected));
}

const variants = [false, true].map((standardize) => ({ standardize, label: standardize ? 'standardized' : 'raw' }));

describe('regression task (the article example) against numpy/sklearn', { timeout: 120_000 }, () => {
  it("the data are numpy's, bit for bit, and the split is the article's", () => {
    const ref = reference();
    const { x, y } = articleRegressionData();
    const px = fromHex(ref.x);
    const py = fromHex(ref.y);
    expect(ref.valSplit).toBe(REGRESSION_VAL_SIZE);
    expect(REGRESSION_TRAIN_SIZE).toBe(800);
    // The first rows, then everything.
    for (let i = 0; i < 5; i++) {
      expect(Object.is(x[i], px[i]), `x[${i}] = ${x[i]}, numpy ${px[i]}`).toBe(true);
      expect(Object.is(y[i], py[i]), `y[${i}] = ${y[i]}, numpy ${py[i]}`).toBe(true);
    }
    expect(Buffer.from(x.buffer).equals(Buffer.from(px.buffer))).toBe(true);
    expect(Buffer.from(y.buffer).equals(Buffer.from(py.buffer))).toBe(true);
    // Unstandardized, the test set is exactly x[800:], y[800:] in order.
    const test = regressionTask({ standardize: false }).testSet();
    expect(test.xShape).toEqual([200, 1, 1]);
    expect(test.yShape).toEqual([200, 1]);
    expect(Array.from(test.x)).toEqual(Array.from(px.subarray(800)));
    expect(Array.from(test.y)).toEqual(Array.from(py.subarray(800)));
  });

  it.each(variants)('$label: lstsq metrics and baselines equal numpy.linalg.lstsq + sklearn to 1e-12', ({ standardize }) => {
    const ref = reference();
    const task = regressionTask({ standardize });
    const test = task.testSet();
    const m = task.metrics(new Float64Array(test.y.length), test);
    expectRelative(m.lstsqMse, ref.lstsqMse, 1e-12, 'lstsqMse');
    expectRelative(m.lstsqR2, ref.lstsqR2, 1e-12, 'lstsqR2');
    const mseBaselines = task.baselines.filter((b) => b.metric === 'mse').map((b) => b.value);
    expect(mseBaselines.length).toBe(2);
    expectRelative(mseBaselines[0], ref.meanMse, 1e-12, 'predict-the-train-mean MSE');
    expectRelative(mseBaselines[1], ref.lstsqMse, 1e-12, 'least-squares MSE');
    const lossScale = standardize ? ref.yStd ** 2 : 1;
    const lossBaselines = task.baselines.filter((b) => b.metric === 'loss').map((b) => b.value);
    expectRelative(lossBaselines[0], ref.meanMse / lossScale, 1e-12, 'mean baseline, model scale');
    expectRelative(lossBaselines[1], ref.lstsqMse / lossScale, 1e-12, 'lstsq baseline, model scale');
  });

  it.each(variants)('$label: mse and r2 are sklearn’s on the original scale', ({ standardize }) => {
    const ref = reference();
    const task = regressionTask({ standardize });
    const test = task.testSet();
    const xVal = fromHex(ref.x).subarray(800);
    // The prediction 2 x + 40 on the original scale, handed over on the model's scale.
    const pred = xVal.map((v) => 2 * v + 40).map((v) => (standardize ? (v - ref.yMean) / ref.yStd : v));
    const m = task.metrics(pred, test);
    expectRelative(m.mse, ref.otherMse, 1e-12, 'mse');
    expectRelative(m.r2, ref.otherR2, 1e-12, 'r2');
    if (standardize) {
      // The loss is on the model's scale: the same MSE divided by the training variance of y.
      expectRelative(m.loss, ref.otherMse / ref.yStd ** 2, 1e-12, 'loss');
      // And the inputs were standardized with the TRAINING statistics.
      test.x.forEach((v, i) => expect(Math.abs(v - (xVal[i] - ref.xMean) / ref.xStd)).toBeLessThan(1e-12));
    } else {
      expect(m.loss).toBe(m.mse);
    }
  });
});

/**
 * Maps a training batch's x value (on the task's scale) back to its row index in the article's
 * data: undo the standardization with statistics computed here, then find the nearest raw
 * training x (sorted, binary search). The 800 raw values are distinct and at least ~1e-6 apart,
 * far more than the 1e-9 slack a re-derived mean/std needs.
 */
function rowIdentifier(standardize: boolean): (v: number) => number {
  const { x } = articleRegressionData();
  const train = Array.from(x.subarray(0, REGRESSION_TRAIN_SIZE));
  const m = train.reduce((a, b) => a + b, 0) / train.length;
  const s = Math.sqrt(train.reduce((a, b) => a + (b - m) ** 2, 0) / train.length);
  const sorted = train.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  for (let k = 1; k < sorted.length; k++) expect(sorted[k].v - sorted[k - 1].v).toBeGreaterThan(1e-7);
  return (value: number): number => {
    const raw = standardize ? value * s + m : value;
    let lo = 0;
    let hi = sorted.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid].v <= raw) lo = mid;
      else hi = mid;
    }
    const best = Math.abs(sorted[lo].v - raw) <= Math.abs(sorted[hi].v - raw) ? sorted[lo] : sorted[hi];
    if (Math.abs(best.v - raw) > 1e-9) throw new Error(`x value ${value} is not a training sample`);
    if (!standardize && best.v !== raw) throw new Error(`x value ${value} is not bitwise a training sample`);
    return best.i;
  };
}

describe('regression training sampler (DataLoader(shuffle=True, batch_size=64))', () => {
  it.each(variants)('$label: 13 batches per epoch, every training sample exactly once, a new order each epoch', ({ standardize }) => {
    const task = regressionTask({ standardize });
    const rowOf = rowIdentifier(standardize);
    const sampler = task.trainSampler(Rng.seeded(42), 64);
    const epochs: number[][] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      const order: number[] = [];
      const sizes: number[] = [];
      for (let step = 0; step < 13; step++) {
        const batch = sampler();
        sizes.push(batch.xShape[0]);
        expect(batch.xShape).toEqual([batch.y.length, 1, 1]);
        expect(batch.yShape).toEqual([batch.y.length, 1]);
        batch.x.forEach((v) => order.push(rowOf(v)));
      }
      expect(sizes).toEqual([...new Array<number>(12).fill(64), 32]);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 800 }, (_, i) => i));
      epochs.push(order);
    }
    // Every epoch is shuffled, the first one included, and each afresh.
    expect(epochs[0]).not.toEqual(Array.from({ length: 800 }, (_, i) => i));
    expect(epochs[1]).not.toEqual(epochs[0]);
    expect(epochs[2]).not.toEqual(epochs[1]);
  });

  it('pairs stay together and the same Rng gives the same batches', () => {
    const task = regressionTask({ standardize: false });
    const { x, y } = articleRegressionData();
    const yOf = new Map<number, number>();
    x.forEach((v, i) => yOf.set(v, y[i]));
    const a = task.trainSampler(Rng.seeded(7), 64);
    const b = task.trainSampler(Rng.seeded(7), 64);
    const c = task.trainSampler(Rng.seeded(8), 64);
    let differs = false;
    for (let step = 0; step < 30; step++) {
      const ba = a();
      expectSameBatch(ba, b());
      ba.x.forEach((v, i) => expect(ba.y[i]).toBe(yOf.get(v)));
      const bc = c();
      if (bc.x.some((v, i) => v !== ba.x[i])) differs = true;
    }
    expect(differs).toBe(true);
  });

  it('100 epochs are 1300 steps, each sample seen 100 times', () => {
    const task = regressionTask({ standardize: true });
    const rowOf = rowIdentifier(true);
    const seen = new Array<number>(800).fill(0);
    const sampler = task.trainSampler(Rng.seeded(1), 64);
    for (let step = 0; step < 1300; step++) sampler().x.forEach((v) => seen[rowOf(v)]++);
    expect(seen.every((c) => c === 100)).toBe(true);
  });
});
