/**
 * sklearn.datasets.make_regression (effective_rank=None), reproduced draw for draw on a
 * NumpyRandomState so that `np.random.seed(s); make_regression(...)` can be regenerated in
 * TypeScript bit for bit. Written against scikit-learn 1.2.1 / numpy 1.24.2; the draw order
 * there is:
 *   1. X      = standard_normal((nSamples, nFeatures))        row-major, legacy gauss
 *   2. coef   = 100 * uniform(size=(nInformative, nTargets))  rows >= nInformative stay 0
 *   3. y      = X @ coef + bias
 *   4. noise  = normal(scale=noise, size=y.shape)             only when noise > 0
 *   5. rows   : shuffle(arange(nSamples))                      sklearn.utils.shuffle
 *   6. columns: shuffle(arange(nFeatures))                     applied to X and to coef
 * The legacy gauss keeps its cached second value across steps 2 and 5, so when
 * nSamples * nFeatures is odd the first noise value is the leftover from step 1.
 */
import type { NumpyRandomState } from './numpyRandomState.ts';

export interface MakeRegressionOptions {
  nSamples: number;
  nFeatures: number;
  /** Default 10, clipped to nFeatures as sklearn does. */
  nInformative?: number;
  /** Default 1. */
  nTargets?: number;
  /** Default 0. */
  bias?: number;
  /** Standard deviation of the Gaussian noise added to y; default 0 (no draws at all). */
  noise?: number;
  /** Shuffle samples and features; default true. */
  shuffle?: boolean;
}

export interface RegressionData {
  /** Row-major [nSamples, nFeatures]. */
  X: Float64Array;
  /** Row-major [nSamples, nTargets]; simply [nSamples] when nTargets = 1. */
  y: Float64Array;
  /** The ground-truth coefficients, row-major [nFeatures, nTargets], in X's column order. */
  coef: Float64Array;
}

interface ResolvedOptions {
  nSamples: number;
  nFeatures: number;
  nInformative: number;
  nTargets: number;
  bias: number;
  noise: number;
  shuffle: boolean;
}

function requireCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`makeRegression: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

function resolveOptions(opts: MakeRegressionOptions): ResolvedOptions {
  const nFeatures = requireCount('nFeatures', opts.nFeatures, 1);
  return {
    nSamples: requireCount('nSamples', opts.nSamples, 0),
    nFeatures,
    nInformative: Math.min(nFeatures, requireCount('nInformative', opts.nInformative ?? 10, 0)),
    nTargets: requireCount('nTargets', opts.nTargets ?? 1, 1),
    bias: opts.bias ?? 0,
    noise: opts.noise ?? 0,
    shuffle: opts.shuffle ?? true,
  };
}

function standardNormalMatrix(rng: NumpyRandomState, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.standardNormal();
  return out;
}

/** ground_truth[:nInformative, :] = 100 * uniform(size=(nInformative, nTargets)). */
function groundTruth(rng: NumpyRandomState, o: ResolvedOptions): Float64Array {
  const coef = new Float64Array(o.nFeatures * o.nTargets);
  for (let i = 0; i < o.nInformative * o.nTargets; i++) coef[i] = 100 * rng.uniform(0, 1);
  return coef;
}

/**
 * y = X @ coef + bias, each dot product summed left to right without fused multiply-add, which
 * is what reference BLAS does. numpy hands this product to its BLAS, so with three or more
 * informative features the last bit of y depends on that library's summation order (OpenBLAS
 * 0.3.21's SSE3 gemv, for one, sums even and odd terms separately, and its AVX-512 kernels use
 * fused multiply-add even for two terms). With one informative feature every BLAS gives exactly
 * this result: each y is a single product, rounded once.
 */
function linearResponse(X: Float64Array, coef: Float64Array, o: ResolvedOptions): Float64Array {
  const y = new Float64Array(o.nSamples * o.nTargets);
  for (let i = 0; i < o.nSamples; i++) {
    for (let t = 0; t < o.nTargets; t++) {
      let sum = 0;
      for (let k = 0; k < o.nFeatures; k++) sum += X[i * o.nFeatures + k] * coef[k * o.nTargets + t];
      y[i * o.nTargets + t] = sum + o.bias;
    }
  }
  return y;
}

/** y += normal(scale=noise, size=y.shape), in y's row-major order. */
function addNoise(rng: NumpyRandomState, y: Float64Array, noise: number): void {
  for (let i = 0; i < y.length; i++) y[i] += rng.normal(0, noise);
}

/** out[r, :] = matrix[order[r], :] for a row-major matrix with `width` columns. */
function permuteRows(matrix: Float64Array, width: number, order: readonly number[]): Float64Array {
  const out = new Float64Array(matrix.length);
  order.forEach((from, to) => out.set(matrix.subarray(from * width, (from + 1) * width), to * width));
  return out;
}

/** out[:, c] = matrix[:, order[c]] for a row-major matrix with order.length columns. */
function permuteColumns(matrix: Float64Array, order: readonly number[]): Float64Array {
  const width = order.length;
  const out = new Float64Array(matrix.length);
  for (let row = 0; row < matrix.length; row += width) {
    for (let c = 0; c < width; c++) out[row + c] = matrix[row + order[c]];
  }
  return out;
}

export function makeRegression(opts: MakeRegressionOptions, rng: NumpyRandomState): RegressionData {
  const o = resolveOptions(opts);
  let X = standardNormalMatrix(rng, o.nSamples * o.nFeatures);
  let coef = groundTruth(rng, o);
  let y = linearResponse(X, coef, o);
  if (o.noise > 0) addNoise(rng, y, o.noise);

  if (o.shuffle) {
    // sklearn.utils.shuffle(X, y) draws the row permutation first, then make_regression
    // shuffles arange(nFeatures) with the same generator (no draws when nFeatures = 1).
    const rowOrder = rng.permutation(o.nSamples);
    X = permuteRows(X, o.nFeatures, rowOrder);
    y = permuteRows(y, o.nTargets, rowOrder);
    const featureOrder = rng.permutation(o.nFeatures);
    X = permuteColumns(X, featureOrder);
    coef = permuteRows(coef, o.nTargets, featureOrder);
  }
  return { X, y, coef };
}
