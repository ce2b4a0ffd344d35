/**
 * The copying memory problem: M. Arjovsky, A. Shah, Y. Bengio, "Unitary Evolution Recurrent
 * Neural Networks", ICML 2016 (PMLR 48:1120-1128; arXiv:1511.06464), section 4.1 "Copying memory
 * problem".
 *
 * Ten categories a_0..a_9, here the class indices 0..9: a_0 is the blank, a_1..a_8 the symbols,
 * a_9 the delimiter. A sequence has T + 20 steps:
 *   input : 10 symbols drawn uniformly, independently, with replacement from {1..8},
 *           then T - 1 blanks, the delimiter 9, and 10 blanks;
 *   target: T + 10 blanks, then the 10 input symbols in the same order.
 * Inputs are one-hot [B, T + 20, 10]; targets are class indices [B, T + 20] (loss
 * 'cross_entropy', targets 'every_step', the mean over all B * (T + 20) steps as in the paper's
 * "average cross entropy of category predictions at each time step").
 *
 * Baseline (the paper's memoryless strategy): predict the blank for the first T + 10 steps and a
 * uniform guess over the 8 symbols for the last 10, cross-entropy 10 log 8 / (T + 20); its
 * expected accuracy on the recalled symbols is 1/8.
 * Metrics: `loss` (that mean cross-entropy), `accuracy` (argmax on the last 10 steps, the
 * recalled symbols) and `sequenceAccuracy` (the share of sequences with all 10 recalled right).
 * Draw order per sequence: the 10 symbols, first to last.
 */
import type { Rng } from '../tensor/rng.ts';
import { allocBatch, once, requireBatchSize, requireInteger, requirePredLength, resolveGenerated, testSetRng, type GeneratedTaskOptions } from './common.ts';
import { argmaxRow, crossEntropyFromLogits } from './metrics.ts';
import type { Batch, Task } from './task.ts';

export const COPY_CLASSES = 10;
export const COPY_BLANK = 0;
export const COPY_DELIMITER = 9;
/** Symbols are 1..COPY_SYMBOLS. */
export const COPY_SYMBOLS = 8;
/** Length of the sequence to remember. */
export const COPY_LENGTH = 10;

export interface CopyOptions extends GeneratedTaskOptions {
  /** The delay: the delimiter comes T steps after the last symbol; sequences have T + 20 steps. */
  T: number;
}

export function copyTask(opts: CopyOptions): Task {
  const T = requireInteger('T', opts.T, 1);
  const { testSize, seed } = resolveGenerated(opts);
  const L = T + 2 * COPY_LENGTH;
  const K = COPY_CLASSES;

  const generate = (rng: Rng, B: number): Batch => {
    const batch = allocBatch([B, L, K], [B, L]);
    const { x, y } = batch;
    for (let b = 0; b < B; b++) {
      const inputs = new Array<number>(L).fill(COPY_BLANK);
      for (let i = 0; i < COPY_LENGTH; i++) {
        const s = 1 + rng.int(COPY_SYMBOLS);
        inputs[i] = s;
        y[b * L + T + COPY_LENGTH + i] = s;
      }
      inputs[COPY_LENGTH + T - 1] = COPY_DELIMITER;
      for (let t = 0; t < L; t++) x[(b * L + t) * K + inputs[t]] = 1;
    }
    return batch;
  };

  return {
    name: 'copy',
    description: `copy memory (Arjovsky et al. 2016), T = ${T}: recall 10 symbols of 8 after ${T} steps; sequences of ${L} steps`,
    source: 'Arjovsky, Shah & Bengio 2016, Unitary Evolution RNNs, ICML, sec. 4.1',
    inputSize: K,
    outputSize: K,
    seqLen: L,
    loss: 'cross_entropy',
    targets: 'every_step',
    baselines: [
      { metric: 'loss', value: (COPY_LENGTH * Math.log(COPY_SYMBOLS)) / L, note: `memoryless strategy: 10 log 8 / (T + 20) (Arjovsky et al. 2016, 4.1)` },
      { metric: 'accuracy', value: 1 / COPY_SYMBOLS, note: 'memoryless strategy: a uniform guess among the 8 symbols' },
    ],
    metricNames: ['loss', 'accuracy', 'sequenceAccuracy'],
    sequenceMeans: ['loss', 'accuracy', 'sequenceAccuracy'],
    trainSampler(rng: Rng, batchSize: number) {
      const B = requireBatchSize(batchSize);
      return () => generate(rng, B);
    },
    testSet: once(() => generate(testSetRng(seed), testSize)),
    metrics(pred: Float64Array, batch: Batch): Record<string, number> {
      const B = batch.yShape[0];
      requirePredLength(pred, B * L * K, `[${B}, ${L}, ${K}] logits`);
      let correct = 0;
      let perfect = 0;
      for (let b = 0; b < B; b++) {
        let allRight = true;
        for (let i = 0; i < COPY_LENGTH; i++) {
          const row = b * L + T + COPY_LENGTH + i;
          if (argmaxRow(pred, row, K) === batch.y[row]) correct++;
          else allRight = false;
        }
        if (allRight) perfect++;
      }
      return {
        loss: crossEntropyFromLogits(pred, batch.y, K),
        accuracy: correct / (B * COPY_LENGTH),
        sequenceAccuracy: perfect / B,
      };
    },
  };
}
