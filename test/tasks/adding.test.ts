import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addingTask, HOCHREITER_TOLERANCE } from '../../src/tasks/adding.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';
import { expectWithin5SE, proportionSE } from './taskHelpers.ts';

/** Positions of marker value `v` in sequence b of an adding batch. */
function markerPositions(x: Float64Array, b: number, T: number, v: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < T; t++) if (x[(b * T + t) * 2 + 1] === v) out.push(t);
  return out;
}

describe('adding problem, Arjovsky et al. 2016 variant', () => {
  it('has the documented shapes and properties', () => {
    const task = addingTask({ T: 30, variant: 'arjovsky' });
    expect([task.inputSize, task.outputSize, task.seqLen, task.loss, task.targets]).toEqual([2, 1, 30, 'mse', 'last']);
    const batch = task.trainSampler(Rng.seeded(1), 7)();
    expect(batch.xShape).toEqual([7, 30, 2]);
    expect(batch.yShape).toEqual([7, 1]);
    expect(batch.x.length).toBe(7 * 30 * 2);
    expect(batch.y.length).toBe(7);
    expect(task.testSet().xShape).toEqual([1000, 30, 2]);
  });

  it('exactly one marker in each half, values in [0, 1), target = sum of the marked values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 120 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (T, seed) => {
        const batch = addingTask({ T, variant: 'arjovsky' }).trainSampler(Rng.seeded(seed), 5)();
        const half = Math.floor(T / 2);
        for (let b = 0; b < 5; b++) {
          const ones = markerPositions(batch.x, b, T, 1);
          const values = Array.from({ length: T }, (_, t) => batch.x[(b * T + t) * 2]);
          expect(ones.length).toBe(2);
          expect(markerPositions(batch.x, b, T, 0).length).toBe(T - 2);
          expect(ones[0]).toBeLessThan(half);
          expect(ones[1]).toBeGreaterThanOrEqual(half);
          expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
          expect(batch.y[b]).toBe(values[ones[0]] + values[ones[1]]);
        }
      }),
      fcParams(60),
    );
  });

  it('every position of each half can be marked, uniformly', () => {
    // T = 11: first half {0..4}, second half {5..10}. Each count is Binomial(n, 1/size).
    const T = 11;
    const n = 6000;
    const batch = addingTask({ T, variant: 'arjovsky' }).trainSampler(Rng.seeded(3), n)();
    const counts = new Array<number>(T).fill(0);
    for (let b = 0; b < n; b++) for (const t of markerPositions(batch.x, b, T, 1)) counts[t]++;
    counts.forEach((c, t) => {
      const p = t < 5 ? 1 / 5 : 1 / 6;
      expectWithin5SE(c / n, p, proportionSE(p, n), `share of sequences marked at t = ${t}`);
    });
  });

  it('predicting 1 gives MSE 1/6 (the paper baseline) on 20k sequences', () => {
    // D = X1 + X2 - 1 has the triangular density 1 - |d| on [-1, 1]: E[D^2] = 1/6,
    // E[D^4] = 2 * (1/5 - 1/6) = 1/15, so Var(D^2) = 1/15 - 1/36 = 7/180 and the standard error
    // of the mean of n squared errors is sqrt(7/180 / n) ~ 0.00139 for n = 20000.
    const n = 20000;
    const task = addingTask({ T: 16, variant: 'arjovsky', testSize: n, seed: 5 });
    const m = task.metrics(new Float64Array(n).fill(1), task.testSet());
    expect(task.baselines).toEqual([expect.objectContaining({ metric: 'loss', value: 1 / 6 })]);
    expectWithin5SE(m.loss, 1 / 6, Math.sqrt(7 / 180 / n), 'MSE of predicting 1');
    expect(m.mse).toBe(m.loss);
  });
});

/**
 * The paper's procedure, written again from section 5.4 and the draw order in adding.ts: list
 * the still unmarked pairs after the first marking and take the k-th of the first T/2 - 1.
 */
function replayHochreiter(rng: Rng, T: number): { values: number[]; markers: number[]; target: number } {
  const values = Array.from({ length: T }, () => rng.uniformIn(-1, 1));
  const markers = new Array<number>(T).fill(0);
  const p1 = rng.int(10);
  const unmarked = Array.from({ length: T }, (_, t) => t).filter((t) => t !== p1);
  const candidates = unmarked.slice(0, Math.floor(T / 2) - 1);
  const p2 = candidates[rng.int(candidates.length)];
  markers[0] = -1;
  markers[T - 1] = -1;
  markers[p1] = 1;
  markers[p2] = 1;
  if (p1 === 0) values[0] = 0;
  return { values, markers, target: 0.5 + (values[p1] + values[p2]) / 4 };
}

describe('adding problem, Hochreiter & Schmidhuber 1997 variant', () => {
  it('rejects T below 20', () => {
    expect(() => addingTask({ T: 19, variant: 'hochreiter' })).toThrow("task.T must be an integer >= 20 for variant 'hochreiter', got 19");
    expect(() => addingTask({ T: 20, variant: 'hochreiter' })).not.toThrow();
  });

  it('each sequence is the paper procedure, replayed from the same generator', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 90 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (T, seed) => {
        const B = 6;
        const batch = addingTask({ T, variant: 'hochreiter' }).trainSampler(Rng.seeded(seed), B)();
        const replay = Rng.seeded(seed);
        for (let b = 0; b < B; b++) {
          const r = replayHochreiter(replay, T);
          expect(Array.from({ length: T }, (_, t) => batch.x[(b * T + t) * 2])).toEqual(r.values);
          expect(Array.from({ length: T }, (_, t) => batch.x[(b * T + t) * 2 + 1])).toEqual(r.markers);
          expect(batch.y[b]).toBe(r.target);
        }
      }),
      fcParams(40),
    );
  });

  it('satisfies the paper constraints on every sequence', () => {
    const T = 40;
    const n = 20000;
    const half = T / 2;
    const batch = addingTask({ T, variant: 'hochreiter' }).trainSampler(Rng.seeded(11), n)();
    let zeroedFirst = 0;
    let lastCandidate = 0;
    let secondAtZero = 0;
    // Plain checks in the loop (expect() per element would take seconds); the first violation
    // is reported with its sequence.
    const violations: string[] = [];
    for (let b = 0; b < n && violations.length === 0; b++) {
      const ones = markerPositions(batch.x, b, T, 1);
      const minusOnes = markerPositions(batch.x, b, T, -1);
      const zeros = markerPositions(batch.x, b, T, 0);
      const bad = (why: string): number => violations.push(`sequence ${b}: ${why}`);
      if (ones.length !== 2) bad(`${ones.length} marks`);
      if (zeros.length + ones.length + minusOnes.length !== T) bad('a marker outside {-1, 0, 1}');
      // Both marks within the first T/2 pairs, at least one among the first ten.
      if (!(ones[1] < half)) bad(`second mark at ${ones[1]}`);
      if (!(ones[0] < 10)) bad(`no mark among the first ten (${ones})`);
      // The first and final pairs carry -1 unless marked; nothing else is -1.
      const expectedMinus = ones[0] === 0 ? [T - 1] : [0, T - 1];
      if (minusOnes.join() !== expectedMinus.join()) bad(`-1 markers at ${minusOnes}`);
      let sum = 0;
      for (let t = 0; t < T; t++) {
        const v = batch.x[(b * T + t) * 2];
        if (!(v >= -1 && v < 1)) bad(`value ${v} at ${t}`);
        if (batch.x[(b * T + t) * 2 + 1] === 1) sum += v;
      }
      if (batch.y[b] !== 0.5 + sum / 4) bad(`target ${batch.y[b]}, recomputed ${0.5 + sum / 4}`);
      if (!(batch.y[b] >= 0 && batch.y[b] <= 1)) bad(`target ${batch.y[b]} outside [0, 1]`);
      if (ones[0] === 0 && batch.x[b * T * 2] === 0) zeroedFirst++;
      if (ones[0] === 0 && batch.x[b * T * 2] !== 0) secondAtZero++;
      if (ones[1] === half - 1) lastCandidate++;
    }
    expect(violations).toEqual([]);
    // X1 = 0 exactly when the first mark falls on pair 0: P = 1/10. (A random U[-1,1] value is
    // exactly 0 with probability ~2^-53, so the count is the first-mark-at-0 count.)
    expectWithin5SE(zeroedFirst / n, 0.1, proportionSE(0.1, n), 'share with X1 zeroed at t = 0');
    // The second mark lands on pair 0 when p1 > 0 and k = 0: P = 0.9 / (T/2 - 1); its value stays.
    const pSecondAtZero = 0.9 / (half - 1);
    expectWithin5SE(secondAtZero / n, pSecondAtZero, proportionSE(pSecondAtZero, n), 'share with the second mark at t = 0');
    // "The first T/2 - 1 still unmarked pairs" reach pair T/2 - 1 whenever p1 < T/2 - 1 (always,
    // here) and k = T/2 - 2: P = 1 / (T/2 - 1).
    const pLast = 1 / (half - 1);
    expectWithin5SE(lastCandidate / n, pLast, proportionSE(pLast, n), 'share with the second mark at T/2 - 1');
  });

  it('predicting the mean target 0.5: MSE 19/480 and accuracy 0.15424, as the baselines say', () => {
    // S = X1 + X2; squared error of predicting 0.5 is (S/4)^2. With prob 0.9 S = U1 + U2 (U on
    // [-1, 1]): E[S^2] = 2/3, E[S^4] = 1/5 + 6/9 + 1/5 = 16/15; with prob 0.1 S = U2: E[S^2] = 1/3,
    // E[S^4] = 1/5. So E[S^2] = 19/30, E[S^4] = 0.98, Var((S/4)^2) = (0.98 - (19/30)^2) / 256 and
    // SE = sqrt(that / n) ~ 3.4e-4 for n = 20000. Accuracy is a proportion: SE = sqrt(p(1-p)/n).
    const n = 20000;
    const task = addingTask({ T: 24, variant: 'hochreiter', testSize: n, seed: 9 });
    const m = task.metrics(new Float64Array(n).fill(0.5), task.testSet());
    const loss = task.baselines.find((b) => b.metric === 'loss');
    const acc = task.baselines.find((b) => b.metric === 'accuracy');
    expect(loss?.value).toBe(19 / 480);
    expect(acc?.value).toBeCloseTo(0.15424, 12);
    expectWithin5SE(m.loss, 19 / 480, Math.sqrt((0.98 - (19 / 30) ** 2) / 256 / n), 'MSE of predicting 0.5');
    expectWithin5SE(m.accuracy, 0.15424, proportionSE(0.15424, n), 'accuracy of predicting 0.5');
  });

  it('accuracy counts |error| < 0.04 strictly', () => {
    const task = addingTask({ T: 20, variant: 'hochreiter', testSize: 4 });
    const test = task.testSet();
    const offsets = [0, 0.039, -0.0399, 0.05];
    const pred = test.y.map((y, i) => y + offsets[i]);
    expect(task.metrics(pred, test).accuracy).toBe(0.75);
    expect(HOCHREITER_TOLERANCE).toBe(0.04);
  });
});
