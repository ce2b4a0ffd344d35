/**
 * The temporal order problem with two relevant, widely separated symbols: S. Hochreiter,
 * J. Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8):1735-1780 (1997), section 5.6
 * "Experiment 6: Temporal Order", task 6a:
 *   "The sequence starts with an E, ends with a B (the 'trigger symbol') and otherwise consists of
 *   randomly chosen symbols from the set {a, b, c, d} except for two elements at positions t1
 *   and t2 that are either X or Y. The sequence length is randomly chosen between 100 and 110,
 *   t1 is randomly chosen between 10 and 20, and t2 is randomly chosen between 50 and 60. There
 *   are 4 sequence classes Q, R, S, U which depend on the temporal order of X and Y. The rules
 *   are: X, X -> Q; X, Y -> R; Y, X -> S; Y, Y -> U."
 *
 * Implemented with a fixed length T (default 100; the paper's lengths vary in [100, 110], a Task
 * has one length). Positions are the paper's time steps counted from 1 (E at step 1, B at step T;
 * array index = step - 1). For T = 100, t1 is uniform in [10, 20] and t2 in [50, 60], inclusive;
 * for other T the ranges scale proportionally: t1 in [round(T/10), round(T/5)], t2 in
 * [round(T/2), round(3T/5)] (Math.round, halves up). T >= 20 keeps t1 >= 2 (after E) and the
 * two ranges apart.
 * Inputs: one-hot over the 8 symbols in the order a, b, c, d, X, Y, E, B (inputSize 8). The
 * X/Y at t1 and t2 are independent fair coins, so the 4 classes are equally likely.
 * Target: the class index [B], 0 = XX (Q), 1 = XY (R), 2 = YX (S), 3 = YY (U); loss
 * 'cross_entropy' on the last step's logits (targets 'last').
 * The paper scores a sequence as correct when every output unit's error is below 0.3 (sigmoid
 * outputs); with softmax logits we report argmax accuracy. Baselines: chance, cross-entropy
 * log 4 and accuracy 1/4.
 * Draw order per sequence: t1, t2, the symbol at t1, the symbol at t2, then one distractor for
 * every other step from 2 to T - 1 in order.
 */
import type { Rng } from '../tensor/rng.ts';
import { allocBatch, once, requireBatchSize, requireInteger, requirePredLength, resolveGenerated, testSetRng, type GeneratedTaskOptions } from './common.ts';
import { accuracyFromLogits, crossEntropyFromLogits } from './metrics.ts';
import type { Batch, Task } from './task.ts';

export const TEMPORAL_ORDER_SYMBOLS = ['a', 'b', 'c', 'd', 'X', 'Y', 'E', 'B'] as const;
export const TEMPORAL_ORDER_CLASSES = ['XX', 'XY', 'YX', 'YY'] as const;
export const TEMPORAL_ORDER_MIN_T = 20;
const SYM_X = 4;
const SYM_E = 6;
const SYM_B = 7;
const NUM_SYMBOLS = TEMPORAL_ORDER_SYMBOLS.length;
const NUM_CLASSES = TEMPORAL_ORDER_CLASSES.length;

export interface TemporalOrderOptions extends GeneratedTaskOptions {
  T: number;
}

/** Inclusive ranges of the relevant positions, as 1-based time steps. */
export function temporalOrderPositions(T: number): { t1: [number, number]; t2: [number, number] } {
  return {
    t1: [Math.round(T / 10), Math.round(T / 5)],
    t2: [Math.round(T / 2), Math.round((3 * T) / 5)],
  };
}

export function temporalOrderTask(opts: TemporalOrderOptions): Task {
  const T = requireInteger('T', opts.T, TEMPORAL_ORDER_MIN_T);
  const { testSize, seed } = resolveGenerated(opts);
  const { t1: r1, t2: r2 } = temporalOrderPositions(T);

  const generate = (rng: Rng, B: number): Batch => {
    const batch = allocBatch([B, T, NUM_SYMBOLS], [B]);
    const symbols = new Array<number>(T);
    for (let b = 0; b < B; b++) {
      const t1 = r1[0] + rng.int(r1[1] - r1[0] + 1);
      const t2 = r2[0] + rng.int(r2[1] - r2[0] + 1);
      const first = rng.int(2); // 0 = X, 1 = Y
      const second = rng.int(2);
      symbols[0] = SYM_E;
      symbols[T - 1] = SYM_B;
      for (let step = 2; step <= T - 1; step++) {
        if (step === t1) symbols[step - 1] = SYM_X + first;
        else if (step === t2) symbols[step - 1] = SYM_X + second;
        else symbols[step - 1] = rng.int(4);
      }
      for (let t = 0; t < T; t++) batch.x[(b * T + t) * NUM_SYMBOLS + symbols[t]] = 1;
      batch.y[b] = 2 * first + second;
    }
    return batch;
  };

  return {
    name: 'temporal-order',
    description: `temporal order (Hochreiter & Schmidhuber 1997, task 6a), T = ${T}: classify the order of X/Y at steps ${r1[0]}-${r1[1]} and ${r2[0]}-${r2[1]} among distractors a-d`,
    source: 'Hochreiter & Schmidhuber 1997, Long Short-Term Memory, Neural Computation 9(8), sec. 5.6 (experiment 6a)',
    inputSize: NUM_SYMBOLS,
    outputSize: NUM_CLASSES,
    seqLen: T,
    loss: 'cross_entropy',
    targets: 'last',
    baselines: [
      { metric: 'loss', value: Math.log(NUM_CLASSES), note: 'chance: uniform over the 4 classes, cross-entropy log 4' },
      { metric: 'accuracy', value: 1 / NUM_CLASSES, note: 'chance: 4 equally likely classes' },
    ],
    metricNames: ['loss', 'accuracy'],
    sequenceMeans: ['loss', 'accuracy'],
    trainSampler(rng: Rng, batchSize: number) {
      const B = requireBatchSize(batchSize);
      return () => generate(rng, B);
    },
    testSet: once(() => generate(testSetRng(seed), testSize)),
    metrics(pred: Float64Array, batch: Batch): Record<string, number> {
      requirePredLength(pred, batch.y.length * NUM_CLASSES, `[${batch.y.length}, ${NUM_CLASSES}] logits`);
      return {
        loss: crossEntropyFromLogits(pred, batch.y, NUM_CLASSES),
        accuracy: accuracyFromLogits(pred, batch.y, NUM_CLASSES),
      };
    },
  };
}
