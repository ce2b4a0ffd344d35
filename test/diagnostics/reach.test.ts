import { describe, expect, it } from 'vitest';
import { gradientReach } from '../../src/diagnostics/gradientReach.ts';

/**
 * gradientReach with literal, hand-worked expectations. Nothing here reads REACH_THRESHOLD: the
 * threshold is 1e-6 of ||dL/dh_T||, written out, so changing the constant fails these tests.
 */
describe('gradientReach: hand-worked profiles', () => {
  it('[1e-9, 2e-7, 5e-6, 1e-3, 1]: reach 3, firstToLast 1e-9, 2.169897 decades per step', () => {
    const s = gradientReach([1e-9, 2e-7, 5e-6, 1e-3, 1]);
    // Back from t=5: 1 ≥ 1e-6 (1), 1e-3 ≥ 1e-6 (2), 5e-6 ≥ 1e-6 (3), 2e-7 < 1e-6: stop.
    // (With a threshold of 1e-5, 5e-6 would already stop it: reach 2.)
    expect(s.reach).toBe(3);
    expect(s.firstToLast).toBe(1e-9);
    // Least squares of y = log10 g_t on x = t = 1..5:
    //   y = -9, log10(2e-7) = -7 + 0.30103 = -6.69897, log10(5e-6) = -6 + 0.69897 = -5.30103, -3, 0
    //   mean x = 3; Σ(x - 3) = 0, so Sxy = Σ(x - 3)·y = (-2)(-9) + (-1)(-6.69897) + 0 + (1)(-3) + (2)(0)
    //     = 18 + 6.69897 - 3 = 21.69897;  Sxx = 4 + 1 + 0 + 1 + 4 = 10
    //   slope = Sxy / Sxx = 2.169897; exactly, with log10 2 = 0.30102999566398:
    //   Sxy = 18 + (7 - 0.30102999566398) - 3 = 21.69897000433602, slope = 2.169897000433602.
    expect(s.decadesPerStep!).toBeCloseTo(2.169897000433602, 12);
  });

  it('a gradient growing going back: [100, 10, 1] has slope -1, reach 3, firstToLast 100', () => {
    const s = gradientReach([100, 10, 1]);
    // y = 2, 1, 0 on x = 1, 2, 3: Sxy = (-1)(2) + 0 + (1)(0) = -2, Sxx = 2, slope = -1.
    expect(s.decadesPerStep!).toBeCloseTo(-1, 12);
    expect(s.reach).toBe(3);
    expect(s.firstToLast).toBe(100);
  });

  it('a ratio of exactly 1e-6 counts as reaching (≥), on both a unit and a power-of-two ||dL/dh_T||', () => {
    expect(gradientReach([1e-6, 1])).toEqual({ reach: 2, firstToLast: 1e-6, decadesPerStep: expect.closeTo(6, 12) });
    // 1e-6 · 4 is exactly the double 4e-6 (scaling by a power of two is exact).
    expect(gradientReach([4e-6, 2, 4]).reach).toBe(3);
    expect(gradientReach([2e-6, 1e-3, 2]).reach).toBe(3);
  });

  it('just above 1e-6 reaches, just below does not', () => {
    expect(gradientReach([1.0000001e-6, 1]).reach).toBe(2);
    expect(gradientReach([0.9999999e-6, 1]).reach).toBe(1);
    expect(gradientReach([0.9999999e-6, 1.0000001e-6, 1]).reach).toBe(2);
    // Between 1e-6 and 1e-5: still reaches (a threshold of 1e-5 would cut it to 1).
    expect(gradientReach([3e-6, 1]).reach).toBe(2);
    expect(gradientReach([9.99e-6, 1]).reach).toBe(2);
    // Between 1e-7 and 1e-6: does not reach (a threshold of 1e-7 would let it).
    expect(gradientReach([5e-7, 1]).reach).toBe(1);
    // Relative, not absolute: 1e-4 is below 1e-6 of 1e3 (= 1e-3), 2e-3 is above.
    expect(gradientReach([1e-4, 1e3]).reach).toBe(1);
    expect(gradientReach([2e-3, 1e3]).reach).toBe(2);
  });

  it('nulls and zeros: they stop the reach, are left out of the fit, and a bad last value gives nothing', () => {
    // t=1 null: reach 2 (t=3, t=2), no ratio, slope over (2, 0), (3, 0) = 0.
    expect(gradientReach([null, 1, 1])).toEqual({ reach: 2, firstToLast: null, decadesPerStep: 0 });
    // t=1 zero (underflow): reach 2, ratio 0, slope over (2, -3), (3, 0) = 3.
    const z = gradientReach([0, 1e-3, 1]);
    expect(z.reach).toBe(2);
    expect(z.firstToLast).toBe(0);
    expect(z.decadesPerStep!).toBeCloseTo(3, 12);
    // A null in the middle stops the reach even though t=1 is large again.
    const m = gradientReach([1, null, 1e-2, 1]);
    expect(m.reach).toBe(2);
    expect(m.firstToLast).toBe(1);
    // Fit over (1, 0), (3, -2), (4, 0): mean x = 8/3, mean y = -2/3;
    // Sxy = (-5/3)(2/3) + (1/3)(-4/3) + (4/3)(2/3) = (-10 - 4 + 8)/9 = -2/3;
    // Sxx = 25/9 + 1/9 + 16/9 = 42/9; slope = (-2/3)/(42/9) = -1/7.
    expect(m.decadesPerStep!).toBeCloseTo(-1 / 7, 12);
    expect(gradientReach([1, null])).toEqual({ decadesPerStep: null, reach: 0, firstToLast: null });
    expect(gradientReach([1, 0])).toEqual({ decadesPerStep: null, reach: 0, firstToLast: null });
    expect(gradientReach([1, -1])).toEqual({ decadesPerStep: null, reach: 0, firstToLast: null });
  });

  it('a single timestep: reach 1, ratio 1, no slope (one point); zero or null gives reach 0', () => {
    expect(gradientReach([0.5])).toEqual({ decadesPerStep: null, reach: 1, firstToLast: 1 });
    expect(gradientReach([0])).toEqual({ decadesPerStep: null, reach: 0, firstToLast: null });
    expect(gradientReach([null])).toEqual({ decadesPerStep: null, reach: 0, firstToLast: null });
  });
});
