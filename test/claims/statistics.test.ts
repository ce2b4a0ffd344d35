import { describe, expect, it } from 'vitest';
import { combineVerdicts, MARGIN_SE, sideOf, verdictFromCount, wilson } from '../../src/claims/statistics.ts';

describe('sideOf: a test metric against a threshold, with a margin of 2 standard errors', () => {
  it('the issue\'s example: MSE 0.1654 with SE 0.0123 is at the baseline 1/6, not below it', () => {
    expect(MARGIN_SE).toBe(2);
    expect(sideOf(0.1654, 0.0123, 1 / 6, 'below')).toBe('within');
  });

  it('below: beyond only past the margin, on both sides of it', () => {
    // threshold 1, se 0.01: the margin is 0.02.
    expect(sideOf(0.979, 0.01, 1, 'below')).toBe('beyond'); // ahead by 0.021
    expect(sideOf(0.981, 0.01, 1, 'below')).toBe('within'); // ahead by 0.019
    expect(sideOf(1.019, 0.01, 1, 'below')).toBe('within'); // behind by 0.019
    expect(sideOf(1.021, 0.01, 1, 'below')).toBe('short'); // behind by 0.021
  });

  it('above: the mirror image', () => {
    expect(sideOf(0.995, 0.001, 0.99, 'above')).toBe('beyond'); // ahead by 0.005 > 0.002
    expect(sideOf(0.9915, 0.001, 0.99, 'above')).toBe('within'); // ahead by 0.0015 < 0.002
    expect(sideOf(0.987, 0.001, 0.99, 'above')).toBe('short'); // behind by 0.003
  });

  it('without a standard error it compares the numbers', () => {
    expect(sideOf(0.166, null, 1 / 6, 'below')).toBe('beyond');
    expect(sideOf(0.167, null, 1 / 6, 'below')).toBe('short');
    expect(sideOf(0.5, 0, 0.5, 'below')).toBe('within');
  });

  it('a missing or non-finite value (a diverged run) is short of any threshold', () => {
    expect(sideOf(null, 0.01, 1, 'below')).toBe('short');
    expect(sideOf(Number.NaN, 0.01, 1, 'below')).toBe('short');
    expect(sideOf(Number.POSITIVE_INFINITY, 0.01, 1, 'above')).toBe('short');
  });
});

describe('wilson: the 95% score interval of k successes in n', () => {
  // Hand-computed: p = k/n, z = 1.96, centre (p + z²/2n)/(1 + z²/n), half-width
  // z/(1 + z²/n) sqrt(p(1-p)/n + z²/4n²). 5 of 5: centre 1.38415/1.76829 = 0.78276, half 0.21724.
  it.each([
    [5, 5, 0.565518, 1],
    [0, 5, 0, 0.434482],
    [4, 5, 0.375535, 0.963776],
    [1, 5, 0.036224, 0.624465],
    [3, 3, 0.438503, 1],
    [4, 4, 0.510109, 1],
    [0, 4, 0, 0.489891],
    [7, 10, 0.396778, 0.892209],
  ])('%i of %i: [%f, %f]', (k, n, lo, hi) => {
    const w = wilson(k, n);
    expect(w.lo).toBeCloseTo(lo, 6);
    expect(w.hi).toBeCloseTo(hi, 6);
  });

  it('refuses counts that are not counts', () => {
    expect(() => wilson(6, 5)).toThrow(/0 <= k <= n/);
    expect(() => wilson(0, 0)).toThrow(/n >= 1/);
    expect(() => wilson(1.5, 5)).toThrow(/integers/);
    expect(() => wilson(-1, 5)).toThrow('wilson: need integers 0 <= k <= n, n >= 1, got k=-1, n=5');
  });

  it('0 of n starts at exactly 0 and n of n ends at exactly 1, where the formula rounds off them', () => {
    // Analytically centre - half = 0 at k = 0 and centre + half = 1 at k = n; in float64 the
    // formula leaves a residue for some n (lo = 2.8e-17 at 0 of 7, hi = 1 - 2^-53 at 10 of
    // 10), which would print as a nonzero bound and, at the edge, move a verdict.
    for (const n of [7, 9, 12, 14, 18]) expect(wilson(0, n).lo, `0 of ${n}`).toBe(0);
    for (const n of [10, 13, 25, 27, 28]) expect(wilson(n, n).hi, `${n} of ${n}`).toBe(1);
  });
});

describe('verdictFromCount: the Wilson interval against 1/2', () => {
  it.each([
    [5, 5, 'reproduced'], // [0.566, 1]
    [4, 5, 'partly'], // [0.376, 0.964]
    [1, 5, 'partly'], // [0.036, 0.624]
    [0, 5, 'not reproduced'], // [0, 0.434]
    [4, 4, 'reproduced'], // lo 0.510, just above 1/2
    [0, 4, 'not reproduced'], // hi 0.490, just below 1/2
    [3, 3, 'partly'], // lo 0.439: three seeds cannot decide
    [0, 3, 'partly'],
    [2, 2, 'not judged'], // fewer than 3 seeds
    [0, 1, 'not judged'],
    [0, 0, 'not judged'],
  ] as const)('%i of %i: %s', (k, n, verdict) => {
    expect(verdictFromCount(k, n)).toBe(verdict);
  });
});

describe('combineVerdicts: the weakest verdict of a claim\'s rules', () => {
  it.each([
    [['reproduced', 'reproduced'], 'reproduced'],
    [['reproduced', 'partly'], 'partly'],
    [['partly', 'not judged'], 'not judged'],
    [['reproduced', 'not reproduced', 'partly'], 'not reproduced'],
    [['not judged', 'not reproduced'], 'not reproduced'],
    [[], 'not judged'],
  ] as const)('%j -> %s', (vs, verdict) => {
    expect(combineVerdicts(vs)).toBe(verdict);
  });
});
