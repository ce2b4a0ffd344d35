import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyTask } from '../../src/tasks/copy.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';
import { decodeOneHot, expectWithin5SE, proportionSE } from './taskHelpers.ts';

/** Logits [B, L, 10] that put `big` on one class per step (and 0 on the others). */
function logitsFor(classes: (b: number, t: number) => number, B: number, L: number, big = 50): Float64Array {
  const out = new Float64Array(B * L * 10);
  for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) out[(b * L + t) * 10 + classes(b, t)] = big;
  return out;
}

describe('copy memory task (Arjovsky et al. 2016, 4.1)', () => {
  it('has the documented shapes', () => {
    const task = copyTask({ T: 50 });
    expect([task.inputSize, task.outputSize, task.seqLen, task.loss, task.targets]).toEqual([10, 10, 70, 'cross_entropy', 'every_step']);
    const batch = task.trainSampler(Rng.seeded(0), 3)();
    expect(batch.xShape).toEqual([3, 70, 10]);
    expect(batch.yShape).toEqual([3, 70]);
    expect(batch.y.length).toBe(3 * 70);
  });

  it('input: 10 symbols of 1..8, T-1 blanks, delimiter 9, 10 blanks; target: T+10 blanks then the symbols', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (T, seed) => {
        const B = 4;
        const batch = copyTask({ T }).trainSampler(Rng.seeded(seed), B)();
        const L = T + 20;
        const inputs = decodeOneHot(batch);
        for (let b = 0; b < B; b++) {
          const symbols = inputs[b].slice(0, 10);
          expect(symbols.every((s) => s >= 1 && s <= 8)).toBe(true);
          expect(inputs[b]).toEqual([...symbols, ...new Array<number>(T - 1).fill(0), 9, ...new Array<number>(10).fill(0)]);
          const target = Array.from(batch.y.subarray(b * L, (b + 1) * L));
          expect(target).toEqual([...new Array<number>(T + 10).fill(0), ...symbols]);
        }
      }),
      fcParams(60),
    );
  });

  it('symbols are uniform over 1..8', () => {
    const n = 2000;
    const inputs = decodeOneHot(copyTask({ T: 1 }).trainSampler(Rng.seeded(4), n)());
    const counts = new Array<number>(10).fill(0);
    for (const row of inputs) for (const s of row.slice(0, 10)) counts[s]++;
    expect(counts[0]).toBe(0);
    expect(counts[9]).toBe(0);
    for (let s = 1; s <= 8; s++) expectWithin5SE(counts[s] / (10 * n), 1 / 8, proportionSE(1 / 8, 10 * n), `share of symbol ${s}`);
  });

  it('the memoryless strategy scores exactly the baseline 10 log 8 / (T + 20)', () => {
    for (const T of [1, 10, 100]) {
      const task = copyTask({ T, testSize: 50 });
      const L = T + 20;
      const test = task.testSet();
      // Blank with certainty for T + 10 steps, then a uniform guess among the symbols 1..8.
      const logits = new Float64Array(50 * L * 10);
      for (let b = 0; b < 50; b++) {
        for (let t = 0; t < L; t++) {
          for (let k = 0; k < 10; k++) {
            const blankStep = t < T + 10;
            logits[(b * L + t) * 10 + k] = blankStep ? (k === 0 ? 0 : -1e4) : k >= 1 && k <= 8 ? 0 : -1e4;
          }
        }
      }
      const expected = (10 * Math.log(8)) / L;
      expect(task.baselines.find((b) => b.metric === 'loss')?.value).toBe(expected);
      expect(Math.abs(task.metrics(logits, test).loss - expected)).toBeLessThan(1e-12);
    }
  });

  it('accuracy is measured on the 10 recalled symbols only', () => {
    const T = 15;
    const L = T + 20;
    const n = 400;
    const task = copyTask({ T, testSize: n });
    const test = task.testSet();
    // Right on the recalled symbols, wrong (class 5) everywhere else.
    const perfectRecall = logitsFor((b, t) => (t >= T + 10 ? test.y[b * L + t] : 5), n, L);
    const m = task.metrics(perfectRecall, test);
    expect(m.accuracy).toBe(1);
    expect(m.sequenceAccuracy).toBe(1);
    expect(m.loss).toBeGreaterThan(1); // (T + 10) of 35 steps cost ~50 nats each
    // Always answering symbol 1: 1/8 of the recalled symbols in expectation, none of the
    // sequences entirely (P = 8^-10).
    const always1 = task.metrics(logitsFor(() => 1, n, L), test);
    expectWithin5SE(always1.accuracy, 1 / 8, proportionSE(1 / 8, 10 * n), 'accuracy of always predicting 1');
    expect(always1.sequenceAccuracy).toBe(0);
    // One wrong symbol in every sequence: accuracy 9/10, no sequence fully right.
    const oneWrong = logitsFor((b, t) => (t === T + 10 ? (test.y[b * L + t] % 8) + 1 : test.y[b * L + t]), n, L);
    const w = task.metrics(oneWrong, test);
    expect(w.accuracy).toBeCloseTo(0.9, 12);
    expect(w.sequenceAccuracy).toBe(0);
  });
});
