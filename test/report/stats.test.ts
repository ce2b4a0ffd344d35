import { describe, expect, it } from 'vitest';
import { finite, fmt, maxOf, meanStd, median, minOf, positive, sig } from '../../src/report/stats.ts';

/**
 * The small statistics every report table and claim verdict prints, with hand-computed values.
 * Each case sits where a plausible slip (a wrong comparator, an off-by-one in n - 1, a boundary
 * moved by one) would give a different number.
 */
describe('report statistics: hand-computed values', () => {
  it('finite keeps finite numbers in order and drops null, undefined, NaN and ±Infinity', () => {
    expect(finite([1, null, undefined, NaN, Infinity, -Infinity, 0, -2])).toEqual([1, 0, -2]);
    expect(finite([])).toEqual([]);
  });

  it('median sorts numerically (not as strings) and averages the middle pair', () => {
    // As strings, [10, 9, 100] would sort to 10, 100, 9 and give 100.
    expect(median([10, 9, 100])).toBe(10);
    expect(median([3, null, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 9])).toBe(9.5);
    expect(median([7])).toBe(7);
    expect(median([null, NaN])).toBeNull();
    expect(median([])).toBeNull();
  });

  it('minOf and maxOf over finite values; null when none', () => {
    expect(minOf([3, -1, null, 2, -Infinity])).toBe(-1);
    expect(maxOf([3, -1, null, 2, Infinity])).toBe(3);
    expect(minOf([null])).toBeNull();
    expect(maxOf([])).toBeNull();
  });

  it('meanStd: the sample standard deviation (n - 1), none below two values', () => {
    // [1, 2, 3, 4]: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, 5 / 3, sqrt = 1.2909944487358056.
    const a = meanStd([1, 2, 3, 4, null]);
    expect(a.mean).toBe(2.5);
    expect(a.std!).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(a.n).toBe(4);
    // Two values is enough: [1, 3] has mean 2 and std sqrt(2 / 1).
    const b = meanStd([1, 3]);
    expect(b).toEqual({ mean: 2, std: expect.closeTo(Math.SQRT2, 14), n: 2 });
    expect(meanStd([5])).toEqual({ mean: 5, std: null, n: 1 });
    expect(meanStd([NaN])).toEqual({ mean: null, std: null, n: 0 });
    // Identical values: std exactly 0.
    expect(meanStd([0.5, 0.5, 0.5])).toEqual({ mean: 0.5, std: 0, n: 3 });
  });

  it('sig rounds to 4 significant digits by default; 0 stays 0; non-finite becomes null', () => {
    expect(sig(1.23456)).toBe(1.235);
    expect(sig(1.23456, 2)).toBe(1.2);
    expect(sig(-0.000123456)).toBe(-0.0001235);
    expect(sig(0)).toBe(0);
    expect(sig(null)).toBeNull();
    expect(sig(Infinity)).toBeNull();
    expect(sig(NaN)).toBeNull();
  });

  it('positive passes values a log axis can draw and gaps the rest', () => {
    expect(positive(2)).toBe(2);
    expect(positive(1e-300)).toBe(1e-300);
    expect(positive(0)).toBeNull();
    expect(positive(-1)).toBeNull();
    expect(positive(Infinity)).toBeNull();
    expect(positive(null)).toBeNull();
  });

  it('fmt: 3 significant digits inside [1e-3, 1e4), exponent form outside, on both sides of each edge', () => {
    expect(fmt(2 / 3)).toBe('0.667');
    expect(fmt(2 / 3, 2)).toBe('0.67');
    expect(fmt(0.001)).toBe('0.001');
    expect(fmt(-0.001)).toBe('-0.001');
    expect(fmt(0.000999)).toBe('9.99e-4');
    expect(fmt(-0.0005)).toBe('-5e-4');
    expect(fmt(9990)).toBe('9990');
    expect(fmt(10000)).toBe('1e4');
    expect(fmt(-12345)).toBe('-1.23e4');
    expect(fmt(123456, 4)).toBe('1.235e5');
    expect(fmt(0)).toBe('0');
    expect(fmt(null)).toBe('—');
    expect(fmt(undefined)).toBe('—');
    expect(fmt(NaN)).toBe('—');
    expect(fmt(-Infinity)).toBe('—');
  });
});
