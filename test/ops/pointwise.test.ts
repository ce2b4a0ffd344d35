/**
 * Pointwise ops: neg, tanh, sigmoid, relu, exp, log, square, sqrt (unary), add/sub/mul/div with
 * numpy/torch broadcasting (binary), and scale.
 *
 * For each op: gradcheck (full Jacobian, torch defaults) on random shapes and values, the
 * float64 forward against a plain re-implementation, and the float32 forward against
 * Math.fround of the float64 forward.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/index.ts';
import {
  add, div, exp, log, mul, neg, relu, scale, sigmoid, sqrt, square, sub, tanh,
} from '../../src/ops/index.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { fcParams } from '../helpers/fc.ts';
import {
  awayFromZero, doubleIn, expectClose, expectGradcheck, expectShape, fround, numel, RUNS, shapeArb, shapedArb,
  t32, t64, U64, ulp32, unravel, ravel,
} from './helpers.ts';

interface UnaryCase {
  name: string;
  op: (x: Tensor) => Tensor;
  /** Values for gradcheck: inside the op's differentiable domain, bounded away from kinks and
   * singularities by far more than eps = 1e-6. */
  gradValues: fc.Arbitrary<number>;
  /** Values for the forward checks (may include the kink itself). */
  fwdValues: fc.Arbitrary<number>;
  /** Plain float64 re-implementation, and its allowed distance to the op in multiples of
   * u * |reference|, u = 2^-53 the float64 unit roundoff (0: must be bitwise equal). */
  ref: (x: number) => number;
  refU: number;
}

const UNARY: UnaryCase[] = [
  { name: 'neg', op: neg, gradValues: doubleIn(-10, 10), fwdValues: doubleIn(-1e6, 1e6), ref: (x) => -x, refU: 0 },
  {
    // Saturating region included: |x| up to 10, where tanh'(x) ~ 8e-9. gradcheck still holds at
    // the default tolerances there because both the analytic and the numeric derivative are tiny
    // (the central difference's rounding error is ~1e-16 / 1e-6 = 1e-10 << atol).
    name: 'tanh', op: tanh, gradValues: doubleIn(-10, 10), fwdValues: doubleIn(-40, 40),
    // tanh x = expm1(2x) / (expm1(2x) + 2): expm1 (<= 1 ulp), the add and the divide give <= ~3
    // roundings of relative error, Math.tanh <= 1 more; 8u (= 4 float64 ulps) covers both. The
    // formula has no cancellation for x >= 0; odd symmetry handles x < 0.
    ref: (x) => {
      const e = Math.expm1(2 * Math.abs(x));
      return Math.sign(x) * (e / (e + 2));
    },
    refU: 8,
  },
  {
    name: 'sigmoid', op: sigmoid, gradValues: doubleIn(-10, 10), fwdValues: doubleIn(-40, 40),
    // The textbook 1 / (1 + exp(-x)) (the op uses the stable two-branch form): each formula has
    // <= 3 roundings (exp <= 1 ulp, add, divide) of relative error, so they differ by <= ~6u.
    ref: (x) => 1 / (1 + Math.exp(-x)),
    refU: 8,
  },
  {
    // relu is not differentiable at 0: a central difference straddling 0 measures slope 1/2
    // whatever the rule says, so gradcheck (like torch's) is only meaningful for |x| > eps.
    // We keep |x| >= 1e-3 = 1000 eps; the kink itself is covered by the forward check and the
    // explicit "gradient at exactly 0 is 0" test below.
    name: 'relu', op: relu, gradValues: awayFromZero(1e-3, 10), fwdValues: doubleIn(-10, 10),
    ref: (x) => Math.max(x, 0), refU: 0,
  },
  { name: 'exp', op: exp, gradValues: doubleIn(-10, 8), fwdValues: doubleIn(-700, 700), ref: Math.exp, refU: 0 },
  // log and sqrt: positive and bounded away from the singularity at 0 (f''' ~ 2/x^3 keeps the
  // central difference's O(eps^2 f''') truncation error below 1e-8 at x = 0.05).
  { name: 'log', op: log, gradValues: doubleIn(0.05, 20), fwdValues: doubleIn(1e-300, 1e300), ref: Math.log, refU: 0 },
  { name: 'square', op: square, gradValues: doubleIn(-10, 10), fwdValues: doubleIn(-1e100, 1e100), ref: (x) => x * x, refU: 0 },
  { name: 'sqrt', op: sqrt, gradValues: doubleIn(0.05, 20), fwdValues: doubleIn(0, 1e300), ref: Math.sqrt, refU: 0 },
];

describe.each(UNARY)('$name', ({ op, gradValues, fwdValues, ref, refU }) => {
  it('passes gradcheck (full Jacobian) on random shapes', () => {
    fc.assert(fc.property(shapedArb(shapeArb(), gradValues), ({ shape, values }) => {
      expectGradcheck(op, [t64(values, shape)]);
    }), fcParams(RUNS));
  });

  it('float64 forward matches a plain re-implementation', () => {
    fc.assert(fc.property(shapedArb(shapeArb(), fwdValues), ({ shape, values }) => {
      const y = op(t64(values, shape, false));
      expectShape(y, shape);
      const expected = values.map(ref);
      expectClose(y.toFloat64Array(), expected, (i) => refU * U64 * Math.abs(expected[i]));
    }), fcParams(RUNS));
  });

  it('float32 forward is within 2 float32 ulps of fround(float64 forward)', () => {
    // Same float32-representable inputs in both dtypes. fround(float64 result) is within 1/2
    // ulp of the exact value (plus a float64 rounding); a float32 kernel computing with a <= 1
    // ulp float32 library function lands within 1 ulp of it, so <= 2 ulps covers both.
    fc.assert(fc.property(shapedArb(shapeArb(), gradValues), ({ shape, values }) => {
      const x32 = fround(values);
      const y32 = op(t32(x32, shape));
      expect(y32.dtype).toBe('float32');
      const expected = fround(op(t64(x32, shape, false)).toFloat64Array());
      expectClose(y32.toFloat64Array(), expected, (i) => 2 * ulp32(expected[i]), 'float32');
    }), fcParams(RUNS));
  });
});

describe('relu at the kink', () => {
  it('has gradient 0 at exactly 0 (torch convention) and 1 just above', () => {
    const x = t64([0, -0, 1e-300, -1e-300], [4]);
    const y = relu(x);
    backward(y, t64([1, 1, 1, 1], [4], false));
    expect(Array.from(x.grad!.toFloat64Array())).toEqual([0, 0, 1, 0]);
  });
});

describe('tanh derivative rule', () => {
  // Given the float64 y = tanh(x), the exact value of 1 - y^2 is (1 - p) - e where p + e = y*y
  // exactly (Dekker's two-product; 1 - p is exact by Sterbenz for p in [1/2, 2], and p in [0, 1/2)
  // only adds one rounding of a number near 1). The op's backward should return that within a
  // few roundings: (1 + y)(1 - y) has 1 - y exact (Sterbenz) for |y| >= 1/2, one rounding in
  // 1 + y and one in the product, so <= ~3u relative, and the reference itself is within u.
  // The naive 1 - y*y loses up to ~2^-28 relative where tanh saturates (its y*y rounding error
  // is absolute, ~2^-54, against a result of ~2(1 - y)); e.g. at x = 10 it is off by ~2e-9
  // relative, ~10^7 ulps. Note this is accuracy with respect to the rounded y: the true sech^2(x)
  // differs from both by the rounding of y itself, which no rule can recover.
  function split(a: number): [number, number] {
    const c = 134217729 * a; // 2^27 + 1
    const hi = c - (c - a);
    return [hi, a - hi];
  }
  function exactOneMinusSquare(y: number): number {
    const p = y * y;
    const [yh, yl] = split(y);
    const e = ((yh * yh - p) + 2 * yh * yl) + yl * yl;
    return (1 - p) - e;
  }
  function tanhGrad(x: number): { y: number; g: number } {
    const t = t64([x], [1]);
    const y = tanh(t);
    backward(y, t64([1], [1], false));
    return { y: y.item(), g: t.grad!.item() };
  }

  it('matches the exact 1 - y^2 where 1 - y*y would not (x = 8, 9, 10, -10)', () => {
    for (const x of [8, 9, 10, -10]) {
      const { y, g } = tanhGrad(x);
      const exact = exactOneMinusSquare(y);
      // Guard: the point really discriminates between the two rules.
      expect(Math.abs((1 - y * y) - exact)).toBeGreaterThan(1e-11 * exact);
      expect(Math.abs(g - exact)).toBeLessThanOrEqual(4 * U64 * exact);
    }
  });

  it('is within 4u of the exact 1 - y^2 for random x in [-15, 15]', () => {
    fc.assert(fc.property(doubleIn(-15, 15), (x) => {
      const { y, g } = tanhGrad(x);
      const exact = exactOneMinusSquare(y);
      expect(Math.abs(g - exact)).toBeLessThanOrEqual(4 * U64 * exact);
    }), fcParams(50));
  });
});

// ---------------------------------------------------------------------------------------------
// Binary ops with broadcasting.

/** torch's broadcast shape, written independently of src/tensor/shape.ts. */
function refBroadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1;
    const db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error('not broadcastable');
    out.push(Math.max(da, db));
  }
  return out;
}

/** Element of an operand of shape `shape` that the output multi-index `idx` reads. */
function readBroadcast(values: readonly number[], shape: readonly number[], idx: readonly number[]): number {
  const offset = idx.length - shape.length;
  const own = shape.map((d, i) => (d === 1 ? 0 : idx[offset + i]));
  return values[ravel(own, shape)];
}

/**
 * Two shapes that broadcast together: an output shape of rank 1-3, and for each operand a
 * suffix of it (rank 0..full) with some dimensions replaced by 1.
 */
const broadcastPairArb = shapeArb(1, 3).chain((out) => fc.record({
  out: fc.constant(out),
  rankA: fc.integer({ min: 0, max: out.length }),
  rankB: fc.integer({ min: 0, max: out.length }),
  onesA: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
  onesB: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
})).map(({ out, rankA, rankB, onesA, onesB }) => {
  const make = (rank: number, ones: boolean[]): number[] =>
    out.slice(out.length - rank).map((d, i) => (ones[out.length - rank + i] ? 1 : d));
  return { aShape: make(rankA, onesA), bShape: make(rankB, onesB) };
});

function broadcastCaseArb(aValue: fc.Arbitrary<number>, bValue: fc.Arbitrary<number>) {
  return broadcastPairArb.chain(({ aShape, bShape }) => fc.record({
    aShape: fc.constant(aShape),
    bShape: fc.constant(bShape),
    a: fc.array(aValue, { minLength: numel(aShape), maxLength: numel(aShape) }),
    b: fc.array(bValue, { minLength: numel(bShape), maxLength: numel(bShape) }),
    // Which inputs require grad (at least one): exercises the `needs` flags.
    needs: fc.constantFrom<[boolean, boolean]>([true, true], [true, false], [false, true]),
  }));
}

interface BinaryCase {
  name: string;
  op: (a: Tensor, b: Tensor) => Tensor;
  ref: (a: number, b: number) => number;
  b: fc.Arbitrary<number>;
  /** Allowed float32 error in float32 ulps: IEEE +, -, * are correctly rounded, and so is
   * fround of the float64 result (double rounding is innocuous for +, -, *, / since
   * 53 >= 2*24 + 2), so those must agree exactly; for / we allow the 2.5 ulp that WGSL grants
   * a float32 division, so the same bound can hold a GPU backend. */
  f32Ulps: number;
}

const BINARY: BinaryCase[] = [
  { name: 'add', op: add, ref: (a, b) => a + b, b: doubleIn(-10, 10), f32Ulps: 0 },
  { name: 'sub', op: sub, ref: (a, b) => a - b, b: doubleIn(-10, 10), f32Ulps: 0 },
  { name: 'mul', op: mul, ref: (a, b) => a * b, b: doubleIn(-10, 10), f32Ulps: 0 },
  // div: the divisor bounded away from 0 (|b| >= 0.25) so a/b and its derivatives stay tame.
  { name: 'div', op: div, ref: (a, b) => a / b, b: awayFromZero(0.25, 5), f32Ulps: 2.5 },
];

describe.each(BINARY)('$name (broadcasting)', ({ op, ref, b: bValue, f32Ulps }) => {
  const cases = broadcastCaseArb(doubleIn(-10, 10), bValue);

  it('passes gradcheck (full Jacobian) with the gradient summed back to each input shape', () => {
    fc.assert(fc.property(cases, ({ aShape, bShape, a, b, needs }) => {
      expectGradcheck(op, [t64(a, aShape, needs[0]), t64(b, bShape, needs[1])]);
    }), fcParams(RUNS));
  });

  it('float64 forward matches explicit broadcast index math exactly', () => {
    // One IEEE operation on the same two operands: bitwise equal.
    fc.assert(fc.property(cases, ({ aShape, bShape, a, b }) => {
      const y = op(t64(a, aShape, false), t64(b, bShape, false));
      const outShape = refBroadcastShape(aShape, bShape);
      expectShape(y, outShape);
      const expected = Array.from({ length: numel(outShape) }, (_, flat) => {
        const idx = unravel(flat, outShape);
        return ref(readBroadcast(a, aShape, idx), readBroadcast(b, bShape, idx));
      });
      expectClose(y.toFloat64Array(), expected, 0);
    }), fcParams(RUNS));
  });

  it(`float32 forward is within ${f32Ulps} float32 ulps of fround(float64 forward)`, () => {
    fc.assert(fc.property(cases, ({ aShape, bShape, a, b }) => {
      const a32 = fround(a);
      const b32 = fround(b);
      const y32 = op(t32(a32, aShape), t32(b32, bShape));
      expect(y32.dtype).toBe('float32');
      const expected = fround(op(t64(a32, aShape, false), t64(b32, bShape, false)).toFloat64Array());
      expectClose(y32.toFloat64Array(), expected, (i) => f32Ulps * ulp32(expected[i]), 'float32');
    }), fcParams(RUNS));
  });
});

describe('broadcasting errors', () => {
  it('refuses shapes that do not broadcast', () => {
    expect(() => add(t64([1, 2, 3], [3], false), t64([1, 2], [2], false))).toThrow(/broadcast/);
  });
});

// ---------------------------------------------------------------------------------------------
// scale

describe('scale', () => {
  const cases = fc.record({ x: shapedArb(shapeArb(), doubleIn(-10, 10)), factor: doubleIn(-4, 4) });

  it('passes gradcheck (full Jacobian)', () => {
    fc.assert(fc.property(cases, ({ x, factor }) => {
      expectGradcheck((t) => scale(t, factor), [t64(x.values, x.shape)]);
    }), fcParams(RUNS));
  });

  it('float64 forward is x * factor exactly', () => {
    fc.assert(fc.property(cases, ({ x, factor }) => {
      const y = scale(t64(x.values, x.shape, false), factor);
      expectShape(y, x.shape);
      expectClose(y.toFloat64Array(), x.values.map((v) => v * factor), 0);
    }), fcParams(RUNS));
  });

  it('float32 forward is within 1.5 float32 ulps of fround(float64 forward)', () => {
    // fround of the float64 product is the correctly rounded float32 product with the exact
    // factor; a float32 kernel may first round the factor to float32 (1/2 ulp relative) and then
    // round the product (1/2 ulp): <= ~1 ulp from the exact, 1.5 from fround(float64).
    fc.assert(fc.property(cases, ({ x, factor }) => {
      const x32 = fround(x.values);
      const y32 = scale(t32(x32, x.shape), factor);
      const expected = fround(scale(t64(x32, x.shape, false), factor).toFloat64Array());
      expectClose(y32.toFloat64Array(), expected, (i) => 1.5 * ulp32(expected[i]), 'float32');
    }), fcParams(RUNS));
  });
});
