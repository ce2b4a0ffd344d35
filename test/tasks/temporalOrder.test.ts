import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEMPORAL_ORDER_SYMBOLS, temporalOrderPositions, temporalOrderTask } from '../../src/tasks/temporalOrder.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';
import { decodeOneHot, expectWithin5SE, proportionSE } from './taskHelpers.ts';

const sym = (s: (typeof TEMPORAL_ORDER_SYMBOLS)[number]): number => TEMPORAL_ORDER_SYMBOLS.indexOf(s);

describe('temporal order, Hochreiter & Schmidhuber 1997 task 6a', () => {
  it('has the documented shapes', () => {
    const task = temporalOrderTask({ T: 100 });
    expect([task.inputSize, task.outputSize, task.seqLen, task.loss, task.targets]).toEqual([8, 4, 100, 'cross_entropy', 'last']);
    const batch = task.trainSampler(Rng.seeded(0), 5)();
    expect(batch.xShape).toEqual([5, 100, 8]);
    expect(batch.yShape).toEqual([5]);
  });

  it("uses the paper's positions for T = 100 and scales them for other T", () => {
    expect(temporalOrderPositions(100)).toEqual({ t1: [10, 20], t2: [50, 60] });
    expect(temporalOrderPositions(200)).toEqual({ t1: [20, 40], t2: [100, 120] });
    expect(temporalOrderPositions(20)).toEqual({ t1: [2, 4], t2: [10, 12] });
    expect(temporalOrderPositions(25)).toEqual({ t1: [3, 5], t2: [13, 15] });
  });

  it('E first, B last, X/Y exactly at t1 and t2 in range, distractors elsewhere, label from the order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 150 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (T, seed) => {
        const B = 6;
        const batch = temporalOrderTask({ T }).trainSampler(Rng.seeded(seed), B)();
        const { t1, t2 } = temporalOrderPositions(T);
        decodeOneHot(batch).forEach((symbols, b) => {
          expect(symbols[0]).toBe(sym('E'));
          expect(symbols[T - 1]).toBe(sym('B'));
          const relevant: number[] = []; // 1-based steps holding X or Y
          for (let step = 2; step <= T - 1; step++) {
            const s = symbols[step - 1];
            if (s === sym('X') || s === sym('Y')) relevant.push(step);
            else expect(s >= sym('a') && s <= sym('d')).toBe(true);
          }
          expect(relevant.length).toBe(2);
          expect(relevant[0] >= t1[0] && relevant[0] <= t1[1]).toBe(true);
          expect(relevant[1] >= t2[0] && relevant[1] <= t2[1]).toBe(true);
          const order = relevant.map((step) => (symbols[step - 1] === sym('X') ? 'X' : 'Y')).join('');
          expect(['XX', 'XY', 'YX', 'YY'][batch.y[b]]).toBe(order);
        });
      }),
      fcParams(40),
    );
  });

  it('classes are balanced and every position of both ranges occurs (T = 100)', () => {
    const n = 4000;
    const batch = temporalOrderTask({ T: 100 }).trainSampler(Rng.seeded(8), n)();
    const classes = [0, 0, 0, 0];
    batch.y.forEach((c) => classes[c]++);
    classes.forEach((c, k) => expectWithin5SE(c / n, 0.25, proportionSE(0.25, n), `share of class ${k}`));
    const seen = new Set<number>();
    decodeOneHot(batch).forEach((symbols) => symbols.forEach((s, i) => (s === sym('X') || s === sym('Y') ? seen.add(i + 1) : 0)));
    const expected = [...Array.from({ length: 11 }, (_, i) => 10 + i), ...Array.from({ length: 11 }, (_, i) => 50 + i)];
    expect([...seen].sort((a, b) => a - b)).toEqual(expected);
  });

  it('chance baselines: uniform logits give log 4, a constant class about 25%', () => {
    const n = 4000;
    const task = temporalOrderTask({ T: 30, testSize: n });
    const test = task.testSet();
    expect(task.baselines.map((b) => [b.metric, b.value])).toEqual([
      ['loss', Math.log(4)],
      ['accuracy', 0.25],
    ]);
    expect(task.metrics(new Float64Array(4 * n).fill(0.3), test).loss).toBeCloseTo(Math.log(4), 12);
    const constant = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) constant[i * 4 + 2] = 1;
    expectWithin5SE(task.metrics(constant, test).accuracy, 0.25, proportionSE(0.25, n), 'accuracy of always YX');
    const perfect = new Float64Array(4 * n);
    test.y.forEach((c, i) => (perfect[i * 4 + c] = 1));
    expect(task.metrics(perfect, test).accuracy).toBe(1);
  });
});
