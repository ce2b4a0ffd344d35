/**
 * Edge cases of numpyRandomState.ts that the numpy comparison in makeRegression.test.ts does not
 * reach: the rare rounding branches of the emulated fused multiply-add, the special inputs and the
 * near-one boundary of glibcLog, and the argument checks and state copy of NumpyRandomState.
 *
 * Every expected value below was computed outside this code: exact rationals with Python's
 * fractions.Fraction, glibc's log through Python's math.log (x86-64, Debian glibc 2.36, FMA CPU),
 * numpy 1.24's RandomState, or IEEE 754 / C99 Annex F rules. None is read back from the module.
 */
import { describe, expect, it } from 'vitest';
import { fusedMultiplyAdd, glibcLog, NumpyRandomState } from '../../src/tasks/numpyRandomState.ts';

describe('fusedMultiplyAdd: the one rounding of a * b + c in its hard cases', () => {
  // In each row a * b is not a double (its error e is a few units of 2^-104) and a * b + c falls
  // within |e| of a midpoint between two doubles, so which double is right depends on e alone.
  // The product and sum errors then add up inexactly, which is what the round-to-odd step exists
  // for: its branches (odd sum, error toward or away from zero, low word 0 needing a borrow from
  // the high word) each decide one of these rows. Rounding twice, fl(fl(a * b) + c), misses the
  // last six rows by one ulp. Expected: float(Fraction(a) * Fraction(b) + Fraction(c)) in Python.
  // Each row also appears negated: round-to-nearest-even is symmetric under x -> -x.
  const hardCases: [number, number, number, number][] = [
    // (1 - 2^-53)^2 = 1 - 2^-52 + 2^-106.
    [1 - 2 ** -53, 1 - 2 ** -53, 2.909502732920158, 3.909502732920158],
    // (1 + 2^-52)^2 = 1 + 2^-51 + 2^-104.
    [1 + 2 ** -52, 1 + 2 ** -52, 3.020447691674402, 4.020447691674403],
    // (1 + 2^-52)(1 + 3 * 2^-52) = 1 + 4 * 2^-52 + 3 * 2^-104.
    [1 + 2 ** -52, 1 + 3 * 2 ** -52, 11.782236096786502, 12.782236096786503],
    // (1 + 2^-52)(1 - 3 * 2^-52) = 1 - 2 * 2^-52 - 3 * 2^-104.
    [1 + 2 ** -52, 1 - 3 * 2 ** -52, 3.4578620911550484, 4.4578620911550475],
  ];
  const rows = hardCases.flatMap(([a, b, c, r]) => [[a, b, c, r], [-a, b, -c, -r]]);

  it.each(rows)('fma(%s, %s, %s) is the exactly rounded %s', (a, b, c, expected) => {
    expect(Object.is(fusedMultiplyAdd(a, b, c), expected)).toBe(true);
  });

  it('the hard cases are hard: rounding twice gets most of them wrong', () => {
    // Guards the table above: if these rows stopped sitting next to midpoints, the test would
    // no longer tell a correct fma from a naive one.
    const naiveWrong = rows.filter(([a, b, c, r]) => a * b + c !== r).length;
    expect(naiveWrong).toBe(6);
  });

  it('zero, infinite and overflowing operands follow IEEE 754 fusedMultiplyAdd', () => {
    // 0 * -1 = -0 exactly, and -0 + -0 = -0: the sign of an exact zero sum survives.
    expect(Object.is(fusedMultiplyAdd(0, -1, -0), -0)).toBe(true);
    expect(Object.is(fusedMultiplyAdd(-0, 3, -0), -0)).toBe(true);
    // 1e400 + 1 overflows once rounded: +Infinity, not the NaN the splitting would produce.
    expect(fusedMultiplyAdd(1e200, 1e200, 1)).toBe(Infinity);
    expect(fusedMultiplyAdd(-1e200, 1e200, 1)).toBe(-Infinity);
    // A finite product plus an infinity is that infinity.
    expect(fusedMultiplyAdd(2, 3, Infinity)).toBe(Infinity);
    expect(fusedMultiplyAdd(2, 3, -Infinity)).toBe(-Infinity);
    expect(fusedMultiplyAdd(2, 3, Number.NaN)).toBeNaN();
  });

  it('an operand above 2^996 with a finite product: exact, not the NaN of an overflowing split', () => {
    // Python: float(Fraction(a) * Fraction(b) + Fraction(c)), the exactly rounded value. The
    // second row is one a * b + c (two roundings) gets wrong: -1.6999999899999998e+298.
    const rows: [number, number, number, number][] = [
      [1.7e308, 1e-10, 1, 1.7e298],
      [-1.7e308, 1e-10, 1e290, -1.69999999e298],
      [3e-10, 1.5e307, -2, 4.5e297],
      [1e300, 1e-300, -1, 7.756385209041318e-17],
    ];
    for (const [a, b, c, expected] of rows) {
      expect(fusedMultiplyAdd(a, b, c), `${a} * ${b} + ${c}`).toBe(expected);
      expect(fusedMultiplyAdd(b, a, c), `${b} * ${a} + ${c}`).toBe(expected);
    }
  });
});

describe('glibcLog: special inputs and the edge of the near-one path', () => {
  it('returns the C99 Annex F values at 0, infinity, negatives and NaN', () => {
    expect(glibcLog(0)).toBe(-Infinity);
    expect(glibcLog(-0)).toBe(-Infinity);
    expect(glibcLog(Infinity)).toBe(Infinity);
    expect(glibcLog(-Infinity)).toBeNaN();
    expect(glibcLog(-1)).toBeNaN();
    expect(glibcLog(-5e-324)).toBeNaN();
    expect(glibcLog(Number.NaN)).toBeNaN();
  });

  it('log(1) is +0', () => {
    expect(Object.is(glibcLog(1), 0)).toBe(true);
  });

  it('matches glibc just past 1 + 0x1.09p-4, where the near-one path stops', () => {
    // glibc takes its near-one polynomial for x in [1 - 2^-4, 1 + 0x1.09p-4) only. The inputs
    // below share the high word 0x3ff10900 of the (excluded) upper bound, so they must go through
    // the table path; the near-one polynomial rounds each of the first five differently.
    // Expected: Python math.log (glibc 2.36 __ieee754_log_fma) of the same doubles.
    const cases: [number, number][] = [
      [1.0646972672836237, 0.06269050268125868],
      [1.0646972687717347, 0.06269050407894329],
      [1.0646972896672928, 0.06269052370476424],
      [1.0646972899618148, 0.06269052398138932],
      [1.0646972922559859, 0.062690526136153],
      [1.064697265625, 0.06269050112342274], // exactly 1 + 0x1.09p-4
      [0.9375, -0.06453852113757118], // exactly 1 - 2^-4, the first input of the near-one path
    ];
    for (const [x, y] of cases) expect(glibcLog(x), `log(${x})`).toBe(y);
  });

  it('matches glibc on subnormal and extreme inputs', () => {
    // Expected: Python math.log on this glibc.
    expect(glibcLog(5e-324)).toBe(-744.4400719213812);
    expect(glibcLog(1e-310)).toBe(-713.8013788281542);
    expect(glibcLog(2.2250738585072014e-308)).toBe(-708.3964185322641);
    expect(glibcLog(1.7976931348623157e308)).toBe(709.782712893384);
  });
});

describe('NumpyRandomState: argument checks, max = 0 and state snapshots', () => {
  // np.random.RandomState(12345).randint(0, 2**32, size=2, dtype=np.uint32) with numpy 1.24.
  const SEED_12345_UINT32 = [3992670690, 3823185381];

  it('names the bad seed in its error', () => {
    expect(() => new NumpyRandomState(-1)).toThrow(/seed must be an integer in \[0, 2\*\*32 - 1\], got -1/);
  });

  it('uniform refuses a range that overflows, as numpy does (OverflowError: Range exceeds valid bounds)', () => {
    const rng = new NumpyRandomState(0);
    expect(() => rng.uniform(-1e308, 1e308)).toThrow(/range exceeds valid bounds/);
    expect(() => rng.uniform(0, Infinity)).toThrow(RangeError);
    // The largest finite range is still fine.
    expect(Number.isFinite(rng.uniform(-8.9e307, 8.9e307))).toBe(true);
  });

  it('randomInterval accepts exactly the integers 0 .. 2^32 - 1', () => {
    const rng = new NumpyRandomState(0);
    // -1 comes last: a version that let it through would reject every draw forever, since no
    // masked word is <= -1, and hang instead of failing.
    for (const bad of [2 ** 32, 0.5, Number.NaN, Infinity, -1]) {
      expect(() => rng.randomInterval(bad), `max = ${bad}`).toThrow(/randomInterval: max must be an integer/);
    }
    expect(rng.randomInterval(0)).toBe(0);
    expect(rng.randomInterval(1)).toBeLessThanOrEqual(1);
  });

  it('randomInterval(2^32 - 1) masks nothing: it is the raw next word', () => {
    const rng = new NumpyRandomState(12345);
    expect(rng.randomInterval(0xffffffff)).toBe(SEED_12345_UINT32[0]);
  });

  it('randomInterval(0) returns 0 without drawing (numpy: `if (max == 0) return 0;`)', () => {
    const rng = new NumpyRandomState(12345);
    expect(rng.randomInterval(0)).toBe(0);
    // numpy's get_state()[2] right after seeding is 624: nothing drawn yet.
    expect(rng.getState().pos).toBe(624);
    expect(rng.nextUint32()).toBe(SEED_12345_UINT32[0]);
  });

  it('permutation refuses negative and fractional n, and permutation(0) is empty', () => {
    const rng = new NumpyRandomState(0);
    for (const bad of [-1, -5, 0.5, 2.5]) {
      expect(() => rng.permutation(bad), `n = ${bad}`).toThrow(/permutation: n must be a non-negative integer/);
    }
    expect(rng.permutation(0)).toEqual([]);
  });

  it('getState returns a copy: writing to it does not steer the generator', () => {
    const rng = new NumpyRandomState(12345);
    const snapshot = rng.getState();
    snapshot.key.fill(0);
    rng.nextUint32(); // the first draw twists the 624-word key
    expect(rng.nextUint32()).toBe(SEED_12345_UINT32[1]);
    // ... and drawing does not rewrite an earlier snapshot either.
    const before = rng.getState();
    const firstWord = before.key[0];
    for (let i = 0; i < 700; i++) rng.nextUint32();
    expect(before.key[0]).toBe(firstWord);
  });
});
