/**
 * The adding problem, in its two published forms.
 *
 * `variant: 'arjovsky'` — M. Arjovsky, A. Shah, Y. Bengio, "Unitary Evolution Recurrent Neural
 * Networks", ICML 2016 (PMLR 48:1120-1128; arXiv:1511.06464), section 4.2 "Adding problem"; the
 * same two-channel U[0,1] layout as Q. V. Le, N. Jaitly, G. E. Hinton, "A Simple Way to
 * Initialize Recurrent Networks of Rectified Linear Units", arXiv:1504.00941 (2015), section 4.1.
 *   Input [B, T, 2]: channel 0 holds values U[0,1]; channel 1 is 0 except for exactly two 1s, one
 *   at a uniform position in the first half (t < floor(T/2)) and one uniform in the second half
 *   (t >= floor(T/2)). Target [B, 1]: the sum X1 + X2 of the two marked values.
 *   Baseline (the paper's): predicting 1 whatever the input gives MSE Var(X1 + X2) = 2/12 = 1/6.
 *   Draw order per sequence: T values, then the first-half position, then the second-half one.
 *
 * `variant: 'hochreiter'` — S. Hochreiter, J. Schmidhuber, "Long Short-Term Memory", Neural
 * Computation 9(8):1735-1780 (1997), section 5.4 "Experiment 4: Adding Problem". The paper's
 * task, read literally:
 *   "The first component is a real value randomly chosen from the interval [-1, 1]. The second
 *   component is either 1.0, 0.0, or -1.0, and is used as a marker [...] we first randomly select
 *   and mark one of the first ten pairs (whose first component is called X1). Then we randomly
 *   select and mark one of the first T/2 - 1 still unmarked pairs (whose first component is
 *   called X2). The second components of the remaining pairs are zero except for the first and
 *   final pair, whose second components are -1 (X1 is set to zero in the rare case where the
 *   first pair of the sequence got marked). An error signal is generated only at the sequence
 *   end: the target is 0.5 + (X1 + X2)/4.0 [...] A sequence was processed correctly if the
 *   absolute error at the sequence end is below 0.04."
 *   Implemented as (t = 0-based time step, h = floor(T/2)):
 *   - values[t] ~ U[-1, 1] for all t; markers all 0, then markers[0] = markers[T-1] = -1;
 *   - p1 uniform in {0..9}; markers[p1] = 1; if p1 = 0 the value at t = 0 is set to 0 (X1 = 0);
 *   - p2 is uniform among "the first h - 1 still unmarked pairs": the k-th unmarked position for
 *     k uniform in {0..h-2}, i.e. p2 = k if k < p1 else k + 1, so p2 ranges over {0..h-1}\{p1};
 *     markers[p2] = 1. The paper zeroes only X1: when p2 = 0 (possible when p1 > 0) the value
 *     there stays random, and its -1 marker becomes 1 like any other marked pair;
 *   - target 0.5 + (values[p1] + values[p2]) / 4, in [0, 1];
 *   - metric `accuracy`: the share of sequences with |prediction - target| < 0.04.
 *   Deviation: the paper draws each sequence's length from [T, T + T/10]; a Task has one
 *   sequence length, so every sequence here has exactly T steps. T >= 20, so that the first ten
 *   pairs lie in the first half and the final pair can never be marked.
 *   Baselines, exact: X1 = 0 with probability 1/10, else U[-1,1], so Var(X1) = 0.9/3 = 0.3;
 *   Var(X2) = 1/3; the mean target is 0.5 and predicting it gives MSE
 *   Var(X1 + X2)/16 = (0.3 + 1/3)/16 = 19/480 ~ 0.0396. Its accuracy, P(|X1 + X2| < 0.16), is
 *   0.9 (a - a^2/4) + 0.1 a with a = 0.16 (triangular density of the sum of two U[-1,1];
 *   U[-1,1] alone when X1 = 0) = 0.15424.
 *   Draw order per sequence: T values, then p1, then k.
 *
 * Both: loss 'mse', targets 'last', inputSize 2, outputSize 1. Metrics: `loss` (= `mse`), `mse`,
 * and for 'hochreiter' `accuracy`.
 */
import type { Rng } from '../tensor/rng.ts';
import { allocBatch, once, requireBatchSize, requireInteger, requireOneOf, requirePredLength, resolveGenerated, testSetRng, type GeneratedTaskOptions } from './common.ts';
import { fractionWithin, mse } from './metrics.ts';
import type { Baseline, Batch, Task } from './task.ts';

export const ADDING_VARIANTS = ['arjovsky', 'hochreiter'] as const;
export type AddingVariant = (typeof ADDING_VARIANTS)[number];

/** Smallest T per variant (see the file comment). */
export const ADDING_MIN_T: Record<AddingVariant, number> = { arjovsky: 2, hochreiter: 20 };

/** Hochreiter & Schmidhuber's criterion: a sequence is correct if |error| < 0.04. */
export const HOCHREITER_TOLERANCE = 0.04;
/** Hochreiter & Schmidhuber mark the first pair among the first ten. */
export const HOCHREITER_FIRST_WINDOW = 10;

export interface AddingOptions extends GeneratedTaskOptions {
  T: number;
  variant: AddingVariant;
}

/** Writes one arjovsky sequence at x[offset..offset + 2T) and returns its target. */
function fillArjovsky(rng: Rng, x: Float64Array, offset: number, T: number): number {
  for (let t = 0; t < T; t++) x[offset + 2 * t] = rng.uniform();
  const half = Math.floor(T / 2);
  const p1 = rng.int(half);
  const p2 = half + rng.int(T - half);
  x[offset + 2 * p1 + 1] = 1;
  x[offset + 2 * p2 + 1] = 1;
  return x[offset + 2 * p1] + x[offset + 2 * p2];
}

/** Writes one hochreiter sequence at x[offset..offset + 2T) and returns its target. */
function fillHochreiter(rng: Rng, x: Float64Array, offset: number, T: number): number {
  for (let t = 0; t < T; t++) x[offset + 2 * t] = rng.uniformIn(-1, 1);
  x[offset + 1] = -1;
  x[offset + 2 * (T - 1) + 1] = -1;
  const p1 = rng.int(HOCHREITER_FIRST_WINDOW);
  x[offset + 2 * p1 + 1] = 1;
  if (p1 === 0) x[offset] = 0; // section 5.4: "we set X1 to zero"
  const k = rng.int(Math.floor(T / 2) - 1);
  const p2 = k < p1 ? k : k + 1;
  x[offset + 2 * p2 + 1] = 1;
  return 0.5 + (x[offset + 2 * p1] + x[offset + 2 * p2]) / 4;
}

export function addingTask(opts: AddingOptions): Task {
  const variant = requireOneOf('variant', opts.variant, ADDING_VARIANTS);
  const T = requireInteger('T', opts.T, ADDING_MIN_T[variant], undefined, ` for variant '${variant}'`);
  const { testSize, seed } = resolveGenerated(opts);
  const fill = variant === 'arjovsky' ? fillArjovsky : fillHochreiter;

  const generate = (rng: Rng, B: number): Batch => {
    const batch = allocBatch([B, T, 2], [B, 1]);
    for (let b = 0; b < B; b++) batch.y[b] = fill(rng, batch.x, b * T * 2, T);
    return batch;
  };

  const baselines: Baseline[] =
    variant === 'arjovsky'
      ? [{ metric: 'loss', value: 1 / 6, note: 'predict 1 (the mean): MSE = Var(X1+X2) = 2 * 1/12 = 1/6 (Arjovsky et al. 2016, 4.2)' }]
      : [
          { metric: 'loss', value: 19 / 480, note: 'predict the mean target 0.5: MSE = Var(X1+X2)/16 = (0.9/3 + 1/3)/16 = 19/480 (X1 = 0 when p1 = 0)' },
          { metric: 'accuracy', value: 0.9 * (0.16 - 0.16 ** 2 / 4) + 0.1 * 0.16, note: 'predict 0.5: P(|X1+X2| < 0.16) = 0.9(a - a^2/4) + 0.1a, a = 0.16' },
        ];

  return {
    name: 'adding',
    description:
      variant === 'arjovsky'
        ? `adding problem (Arjovsky et al. 2016), T = ${T}: sum the two values marked one in each half; values U[0,1]`
        : `adding problem (Hochreiter & Schmidhuber 1997, exp. 4), T = ${T}: target 0.5 + (X1+X2)/4, values U[-1,1], correct if |error| < 0.04`,
    source:
      variant === 'arjovsky'
        ? 'Arjovsky, Shah & Bengio 2016, Unitary Evolution RNNs, ICML, sec. 4.2 (also Le et al. 2015, IRNN, sec. 4.1)'
        : 'Hochreiter & Schmidhuber 1997, Long Short-Term Memory, Neural Computation 9(8), sec. 5.4 (experiment 4)',
    inputSize: 2,
    outputSize: 1,
    seqLen: T,
    loss: 'mse',
    targets: 'last',
    baselines,
    metricNames: variant === 'arjovsky' ? ['loss', 'mse'] : ['loss', 'mse', 'accuracy'],
    sequenceMeans: variant === 'arjovsky' ? ['loss', 'mse'] : ['loss', 'mse', 'accuracy'],
    trainSampler(rng: Rng, batchSize: number) {
      const B = requireBatchSize(batchSize);
      return () => generate(rng, B);
    },
    testSet: once(() => generate(testSetRng(seed), testSize)),
    metrics(pred: Float64Array, batch: Batch): Record<string, number> {
      requirePredLength(pred, batch.y.length, `[${batch.yShape.join(', ')}]`);
      const m = mse(pred, batch.y);
      return variant === 'arjovsky' ? { loss: m, mse: m } : { loss: m, mse: m, accuracy: fractionWithin(pred, batch.y, HOCHREITER_TOLERANCE) };
    },
  };
}
