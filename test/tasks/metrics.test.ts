import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accuracyFromLogits, crossEntropyFromLogits, fractionWithin, mean, mse, r2Score } from '../../src/tasks/metrics.ts';
import { fcParams } from '../helpers/fc.ts';

const finite = fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true });

describe('task metrics', () => {
  it('mse by hand', () => {
    expect(mse([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(mse([1, 2, 3], [2, 4, 6])).toBeCloseTo((1 + 4 + 9) / 3, 15);
    expect(() => mse([1], [1, 2])).toThrow('lengths differ');
    expect(() => mse([], [])).toThrow('empty');
  });

  it('r2Score follows sklearn: 1 for perfect, 0 for the mean, force_finite for constant targets', () => {
    expect(r2Score([1, 2, 3, 4], [1, 2, 3, 4])).toBe(1);
    expect(r2Score([1, 2, 3, 4], [2.5, 2.5, 2.5, 2.5])).toBe(0);
    // SS_res = 1 + 0 + 0 + 1 = 2, SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5.
    expect(r2Score([1, 2, 3, 4], [2, 2, 3, 3])).toBeCloseTo(1 - 2 / 5, 15);
    expect(r2Score([3, 3, 3], [3, 3, 3])).toBe(1);
    expect(r2Score([3, 3, 3], [3, 3, 4])).toBe(0);
    // Argument order matters (sklearn: y_true first).
    expect(r2Score([1, 2, 3], [1, 2, 4])).toBeCloseTo(0.5, 15);
    expect(r2Score([1, 2, 4], [1, 2, 3])).toBeCloseTo(1 - 9 / 42, 15);
  });

  it('r2 = 1 - mse / variance of the targets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(finite, finite), { minLength: 2, maxLength: 30 }), (pairs) => {
        const y = pairs.map((p) => p[0]);
        const p = pairs.map((q) => q[1]);
        const m = mean(y);
        const variance = y.reduce((a, v) => a + (v - m) ** 2, 0) / y.length;
        fc.pre(variance > 1e-6);
        const expected = 1 - mse(p, y) / variance;
        expect(Math.abs(r2Score(y, p) - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
      }),
      fcParams(100),
    );
  });

  it('cross-entropy: log K for uniform logits, shift invariant, a hand-computed case', () => {
    expect(crossEntropyFromLogits([0, 0, 0, 0], [2], 4)).toBeCloseTo(Math.log(4), 15);
    // softmax([1, 2, 3])[0] = e / (e + e^2 + e^3).
    const p0 = Math.E / (Math.E + Math.E ** 2 + Math.E ** 3);
    expect(crossEntropyFromLogits([1, 2, 3], [0], 3)).toBeCloseTo(-Math.log(p0), 14);
    expect(crossEntropyFromLogits([1001, 1002, 1003], [0], 3)).toBeCloseTo(-Math.log(p0), 10);
    // The mean over rows.
    expect(crossEntropyFromLogits([0, 0, 0, 1, 2, 3], [1, 0], 3)).toBeCloseTo((Math.log(3) - Math.log(p0)) / 2, 14);
    expect(() => crossEntropyFromLogits([0, 0], [2], 2)).toThrow('not in [0, 2)');
    expect(() => crossEntropyFromLogits([0, 0, 0], [1], 2)).toThrow('3 logits');
  });

  it('accuracy: argmax with the first maximum on ties, NaN rows wrong', () => {
    expect(accuracyFromLogits([0.1, 0.9, 0.5, 0.4], [1, 0], 2)).toBe(1);
    expect(accuracyFromLogits([0.1, 0.9, 0.5, 0.4], [0, 1], 2)).toBe(0);
    expect(accuracyFromLogits([1, 1, 1], [0], 3)).toBe(1);
    expect(accuracyFromLogits([1, 1, 1], [1], 3)).toBe(0);
    expect(accuracyFromLogits([Number.NaN, 0, 0], [0], 3)).toBe(0);
    expect(accuracyFromLogits([5, Number.NaN, 0], [0], 3)).toBe(0);
    expect(accuracyFromLogits([0, 3, 1, 2, 0, 0, 0, 0, 1], [1, 0, 0], 3)).toBeCloseTo(2 / 3, 15);
  });

  it('fractionWithin is strict and NaN is outside', () => {
    expect(fractionWithin([0, 0.5, 1, Number.NaN], [0, 0, 0, 0], 0.5)).toBe(0.25);
    expect(fractionWithin([0.49, -0.49], [0, 0], 0.5)).toBe(1);
  });
});

describe('task metrics: refusals name the function and the fix', () => {
  it('empty inputs, length mismatches, class counts and labels', () => {
    expect(() => mean([])).toThrow(/^mean: empty input$/);
    expect(() => mse([1], [1, 2])).toThrow(/^mse: lengths differ \(1 vs 2\)$/);
    expect(() => r2Score([1], [1, 2])).toThrow(/^r2Score: lengths differ \(1 vs 2\)$/);
    expect(() => fractionWithin([1], [1, 2], 0.1)).toThrow(/^fractionWithin: lengths differ \(1 vs 2\)$/);
    for (const [f, name] of [[crossEntropyFromLogits, 'crossEntropyFromLogits'], [accuracyFromLogits, 'accuracyFromLogits']] as const) {
      expect(() => f([0, 1], [0, 1], 0)).toThrow(new RegExp(`^${name}: numClasses must be an integer >= 1, got 0$`));
      expect(() => f([0, 1], [0], 1.5)).toThrow(new RegExp(`^${name}: numClasses must be an integer >= 1, got 1.5$`));
      expect(() => f([], [], 2)).toThrow(new RegExp(`^${name}: empty input$`));
      expect(() => f([0, 1], [-1], 2)).toThrow(new RegExp(`^${name}: label -1 at row 0 is not in \\[0, 2\\)$`));
      expect(() => f([0, 1], [0.5], 2)).toThrow(new RegExp(`^${name}: label 0.5 at row 0 is not in \\[0, 2\\)$`));
      expect(() => f([0, 1, 2, 3], [0, 2], 2)).toThrow(new RegExp(`^${name}: label 2 at row 1 is not in \\[0, 2\\)$`));
    }
    // One class is a valid (if trivial) problem.
    expect(accuracyFromLogits([3, -1], [0, 0], 1)).toBe(1);
  });

  it('argmax per row: the first maximum of that row, and a NaN row counts as wrong', () => {
    // Row 1 is [1, 5, 3]: its maximum is class 1, whatever row 0 holds.
    expect(accuracyFromLogits([0, 0, 2, 1, 5, 3], [2, 1], 3)).toBe(1);
    expect(accuracyFromLogits([NaN, 0], [1], 2)).toBe(0);
    expect(accuracyFromLogits([NaN, 0, 0, 1], [1, 1], 2)).toBe(0.5);
  });
});

