/**
 * gradcheck itself: it must pass on correct gradients and catch wrong ones (naming the input,
 * the element, and the analytic and numeric values), in full and in fast mode; refuse float32;
 * and report instead of throwing with raiseException: false.
 *
 * The wrong gradients come from tiny custom ops built with record1, the same way src/ops defines
 * every op, so the only thing wrong is the rule we deliberately broke.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, GradcheckError, record1 } from '../../src/autograd/index.ts';
import { add, matmul, mul, sigmoid, sum, tanh } from '../../src/ops/index.ts';
import { tensor } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { fcParams } from '../helpers/fc.ts';
import { awayFromZero, dimArb, doubleIn, numel, shapeArb, shapedArb, unravel, valuesArb } from '../ops/helpers.ts';

const RUNS = 40;

function t64(values: ArrayLike<number>, shape: readonly number[], requiresGrad = true, name?: string): Tensor {
  return tensor(values, shape, { dtype: 'float64', requiresGrad, name });
}

/**
 * y = c * x elementwise, whose backward is right except at element `wrongAt`, where it is
 * multiplied by `factor` (every element when wrongAt is -1).
 */
function scaledWithBadGrad(c: number, factor: number, wrongAt = -1) {
  return (x: Tensor): Tensor => {
    const k = x.backend;
    return record1('scaled_bad', [x], k.scale(x, c), (g) => {
      const right = k.scale(g, c).toFloat64Array();
      right.forEach((v, i) => {
        if (wrongAt < 0 || i === wrongAt) right[i] = v * factor;
      });
      return [k.fromValues(right, x.shape, x.dtype)];
    });
  };
}

/** A gradient off by a factor of at least 1% (10x rtol), with |c| >= 0.5 so that the numeric
 * derivative c is far above atol. */
const badCaseArb = shapedArb(shapeArb(), doubleIn(-2, 2)).chain(({ shape, values }) => fc.record({
  shape: fc.constant(shape),
  values: fc.constant(values),
  other: valuesArb(numel(shape), doubleIn(-2, 2)),
  c: awayFromZero(0.5, 3),
  factor: fc.oneof(doubleIn(1.01, 3), doubleIn(-3, 0.99)),
  wrongAt: fc.integer({ min: 0, max: numel(shape) - 1 }),
}));

describe('gradcheck passes on correct gradients', () => {
  /** x [m, k], w [k, n], b [n]: sigmoid(x w) * tanh(b) summed over rows, a small composite. */
  const compositeArb = fc.tuple(dimArb, dimArb, dimArb).chain(([m, k, n]) => fc.record({
    m: fc.constant(m), k: fc.constant(k), n: fc.constant(n),
    x: valuesArb(m * k, doubleIn(-2, 2)),
    w: valuesArb(k * n, doubleIn(-2, 2)),
    b: valuesArb(n, doubleIn(-3, 3)),
  }));
  const composite = (x: Tensor, w: Tensor, b: Tensor) => sum(mul(sigmoid(matmul(x, w)), tanh(b)), 0);

  it('full mode: ok, every (output, input) pair compared, tiny error', () => {
    fc.assert(fc.property(compositeArb, ({ m, k, n, x, w, b }) => {
      const r = gradcheck(composite, [t64(x, [m, k]), t64(w, [k, n]), t64(b, [n])]);
      expect(r.ok).toBe(true);
      expect(r.mismatch).toBeNull();
      expect(r.comparisons).toBe(n * (m * k + k * n + n));
      expect(r.maxAbsError).toBeLessThan(1e-5);
    }), fcParams(RUNS));
  });

  it('fast mode: ok with one vᵀJu comparison per input', () => {
    fc.assert(fc.property(compositeArb, fc.nat(1000), ({ m, k, n, x, w, b }, seed) => {
      const r = gradcheck(composite, [t64(x, [m, k]), t64(w, [k, n]), t64(b, [n])], { fastMode: true, seed });
      expect(r.ok).toBe(true);
      expect(r.comparisons).toBe(3);
    }), fcParams(RUNS));
  });

  it('leaves the inputs as they were (perturbations are undone)', () => {
    const values = [0.3, -1.2, 2.5, 0.7];
    const x = t64(values, [2, 2]);
    gradcheck((t) => tanh(matmul(t, t)), [x]);
    gradcheck((t) => tanh(matmul(t, t)), [x], { fastMode: true });
    expect(Array.from(x.toFloat64Array())).toEqual(values);
    expect(x.grad).toBeNull();
  });
});

describe('gradcheck catches a wrong gradient', () => {
  it('full mode throws a GradcheckError naming input, element and both values', () => {
    fc.assert(fc.property(badCaseArb, ({ shape, values, other, c, factor, wrongAt }) => {
      // Input 0 is correct (tanh); the broken rule sits on input 1, at one element only.
      const bad = scaledWithBadGrad(c, factor, wrongAt);
      const a = t64(other, shape, true, 'a');
      const b = t64(values, shape, true, 'b');
      let error: unknown = null;
      try {
        gradcheck((p, q) => add(tanh(p), bad(q)), [a, b]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GradcheckError);
      const m = (error as GradcheckError).mismatch;
      expect(m.input).toBe(1);
      expect(m.inputName).toBe('b');
      expect(m.element).toBe(wrongAt);
      expect(m.index).toEqual(unravel(wrongAt, shape));
      expect(m.output).toBe(wrongAt); // the op is elementwise: only the diagonal is non-zero
      expect(m.numeric).toBeCloseTo(c, 6);
      expect(m.analytic).toBeCloseTo(c * factor, 12);
      const msg = (error as Error).message;
      expect(msg).toContain('input 1 (b)');
      expect(msg).toContain(`element ${wrongAt} [${unravel(wrongAt, shape).join(', ')}]`);
      expect(msg).toContain(`analytic ${m.analytic}`);
      expect(msg).toContain(`numeric ${m.numeric}`);
    }), fcParams(RUNS));
  });

  it('fast mode throws too (every element wrong, several shapes and seeds)', () => {
    // vᵀJu = c * sum_k v_k u_k; the broken rule scales it by `factor`. With fixed seeds these
    // sums are fixed numbers well away from 0, so the mismatch is deterministic.
    for (const shape of [[1], [3], [2, 3], [4, 1, 2], [5, 5]]) {
      for (const seed of [0, 1, 2]) {
        const x = t64(Array.from({ length: numel(shape) }, (_, i) => Math.sin(i + 1)), shape);
        let error: unknown = null;
        try {
          gradcheck(scaledWithBadGrad(1.5, 2), [x], { fastMode: true, seed });
        } catch (e) {
          error = e;
        }
        expect(error, `shape [${shape}] seed ${seed}`).toBeInstanceOf(GradcheckError);
        const m = (error as GradcheckError).mismatch;
        expect(m.input).toBe(0);
        expect(m.element).toBe(-1);
        expect(m.analytic / m.numeric).toBeCloseTo(2, 6);
        expect((error as Error).message).toMatch(/fast mode/);
      }
    }
  });

  it('catches a factor of 1.01 in full and in fast mode: 10x rtol is not noise', () => {
    const x = t64([0.5, -1.5, 2], [3]);
    expect(() => gradcheck(scaledWithBadGrad(2, 1.01), [x])).toThrow(GradcheckError);
    expect(() => gradcheck(scaledWithBadGrad(2, 1.01), [x], { fastMode: true })).toThrow(GradcheckError);
    // ...while the same op with the right rule passes both.
    expect(gradcheck(scaledWithBadGrad(2, 1), [x]).ok).toBe(true);
    expect(gradcheck(scaledWithBadGrad(2, 1), [x], { fastMode: true }).ok).toBe(true);
  });

  it('catches a gradient that is right on the diagonal but transposed off it', () => {
    // y = A x with a non-symmetric A; the broken backward uses A instead of Aᵀ.
    const A = [1, 2, -3, 0.5]; // [[1, 2], [-3, 0.5]]
    const wrong = (x: Tensor): Tensor => {
      const k = x.backend;
      const a = k.fromValues(A, [2, 2], 'float64');
      return record1('wrong_t', [x], k.matmul(a, x, false, false), (g) => [k.matmul(a, g, false, false)]);
    };
    let error: unknown = null;
    try {
      gradcheck(wrong, [t64([0.1, 0.2], [2, 1])]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GradcheckError);
    const m = (error as GradcheckError).mismatch;
    // d out[1] / d x[0] = A[1][0] = -3, the wrong rule reports A[0][1] = 2.
    expect([m.element, m.output]).toEqual([0, 1]);
    expect(m.numeric).toBeCloseTo(-3, 8);
    expect(m.analytic).toBe(2);
  });

  it('treats a NaN gradient as a mismatch', () => {
    const nanGrad = (x: Tensor): Tensor =>
      record1('nan_grad', [x], x.backend.scale(x, 1), (g) => [g.backend.scale(g, NaN)]);
    expect(() => gradcheck(nanGrad, [t64([1, 2], [2])])).toThrow(GradcheckError);
    expect(gradcheck(nanGrad, [t64([1, 2], [2])], { raiseException: false }).ok).toBe(false);
  });
});

describe('gradcheck options and refusals', () => {
  it('raiseException: false returns ok: false with the mismatch instead of throwing', () => {
    const x = t64([0.5, -1, 2], [3], true, 'x');
    const r = gradcheck(scaledWithBadGrad(1.5, 3, 2), [x], { raiseException: false });
    expect(r.ok).toBe(false);
    expect(r.mismatch).not.toBeNull();
    expect(r.mismatch!.input).toBe(0);
    expect(r.mismatch!.inputName).toBe('x');
    expect(r.mismatch!.element).toBe(2);
    expect(r.mismatch!.numeric).toBeCloseTo(1.5, 6);
    expect(r.mismatch!.analytic).toBeCloseTo(4.5, 12);
    expect(r.maxAbsError).toBeCloseTo(3, 6);
    expect(r.comparisons).toBe(9);

    const fast = gradcheck(scaledWithBadGrad(1.5, 3), [x], { raiseException: false, fastMode: true });
    expect(fast.ok).toBe(false);
    expect(fast.mismatch!.element).toBe(-1);
  });

  it('refuses float32 inputs with a clear error', () => {
    const x = tensor([1, 2, 3], [3], { dtype: 'float32', requiresGrad: true });
    const ok = t64([1, 2, 3], [3]);
    expect(() => gradcheck((a) => tanh(a), [x])).toThrow(/input 0 is float32.*float64/);
    expect(() => gradcheck((a, b) => add(a, b), [ok, x])).toThrow(/input 1 is float32/);
    // A plain Error about the input, not a GradcheckError about a gradient.
    let error: unknown = null;
    try {
      gradcheck((a) => tanh(a), [x]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(GradcheckError);
  });

  it('refuses when no input requires grad', () => {
    expect(() => gradcheck((a) => tanh(a), [t64([1], [1], false)])).toThrow(/requiresGrad/);
  });

  it('checks only the inputs that require grad', () => {
    // The broken rule is on input 1, which does not require grad: nothing to catch.
    const bad = scaledWithBadGrad(2, 5);
    const r = gradcheck((p, q) => add(tanh(p), bad(q)), [t64([0.1, 0.2], [2]), t64([0.3, 0.4], [2], false)]);
    expect(r.ok).toBe(true);
    expect(r.comparisons).toBe(4);
  });

  it('honours eps, atol and rtol', () => {
    // A 0.5% error passes at rtol 1e-2 and fails at the default 1e-3.
    const x = t64([0.5, -1, 2], [3]);
    expect(gradcheck(scaledWithBadGrad(2, 1.005), [x], { rtol: 1e-2 }).ok).toBe(true);
    expect(gradcheck(scaledWithBadGrad(2, 1.005), [x], { raiseException: false }).ok).toBe(false);
    // A huge eps makes the central difference of a cubic-ish function wrong: x^3 via x*x*x.
    const cube = (t: Tensor) => mul(mul(t, t), t);
    expect(gradcheck(cube, [t64([1], [1])]).ok).toBe(true);
    expect(gradcheck(cube, [t64([1], [1])], { eps: 0.1, raiseException: false }).ok).toBe(false); // error eps^2 = 0.01
    expect(gradcheck(cube, [t64([1], [1])], { eps: 0.1, atol: 0.02 }).ok).toBe(true);
  });

  it('says what failed in one line: the input (by name when it has one), where, both values, the gap and the bound', () => {
    const report = (x: Tensor, opts = {}): GradcheckError => {
      try {
        gradcheck(scaledWithBadGrad(2, 1.5), [x], opts);
      } catch (e) {
        return e as GradcheckError;
      }
      throw new Error('gradcheck passed a wrong gradient');
    };
    // eps = 0.25 on 2x at 0.5: the central difference is exactly 2, the analytic gradient 3.
    const named = report(t64([0.5], [1], true, 'x'), { eps: 0.25 });
    expect(named.name).toBe('GradcheckError');
    expect(named.message).toBe('gradcheck failed for input 0 (x), element 0 [0], output element 0: analytic 3, numeric 2, |diff| 1.000e+0 > atol + rtol*|numeric| = 2.010e-3');
    expect(report(t64([0.5], [1]), { eps: 0.25 }).message).toMatch(/^gradcheck failed for input 0, element 0/);
    const fast = report(t64([0.5, 0.25], [2]), { fastMode: true });
    expect(fast.mismatch).toMatchObject({ input: 0, element: -1, index: [], output: -1 });
    expect(fast.message).toMatch(/^gradcheck failed for input 0, vᵀJu \(fast mode\): /);
  });

  it('a gap exactly at atol + rtol·|numeric| passes; just above it fails', () => {
    // Exact arithmetic: numeric 2 (as above), analytic 3, so |diff| = 1.
    const x = (): Tensor => t64([0.5], [1]);
    expect(gradcheck(scaledWithBadGrad(2, 1.5), [x()], { eps: 0.25, atol: 1, rtol: 0 }).ok).toBe(true);
    expect(gradcheck(scaledWithBadGrad(2, 1.5), [x()], { eps: 0.25, atol: 0.5, rtol: 0.25 }).ok).toBe(true);
    expect(gradcheck(scaledWithBadGrad(2, 1.5), [x()], { eps: 0.25, atol: 0.999, rtol: 0, raiseException: false }).ok).toBe(false);
  });

  it('once a comparison is NaN, maxAbsError stays NaN', () => {
    // NaN at element 0 only; the later, finite comparisons must not overwrite it.
    const nanFirst = (x: Tensor): Tensor =>
      record1('nan_first', [x], x.backend.scale(x, 1), (g) => [g.backend.fromValues(g.toFloat64Array().map((v, i) => (i === 0 ? NaN : v)), g.shape, g.dtype)]);
    const r = gradcheck(nanFirst, [t64([1, 2, 3], [3])], { raiseException: false });
    expect(r.ok).toBe(false);
    expect(r.maxAbsError).toBeNaN();
    expect(r.mismatch!.element).toBe(0);
  });

  it('a function that does not depend on its inputs has gradient 0, and passes', () => {
    const r = gradcheck(() => t64([1, 2], [2], false), [t64([0.3, 0.4], [2])]);
    expect(r.ok).toBe(true);
    expect(r.maxAbsError).toBe(0);
    expect(r.comparisons).toBe(4);
  });

  // Like torch's fast mode, each input is checked with its own direction, so the mismatch names
  // the input whose gradient is wrong (not the first one that requires grad).
  it('fast mode names the input whose gradient is wrong', () => {
    const bad = scaledWithBadGrad(1.5, 2);
    let error: unknown = null;
    try {
      gradcheck((p, q) => add(tanh(p), bad(q)), [t64([0.1, 0.2], [2]), t64([0.3, -0.4], [2])], { fastMode: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GradcheckError);
    expect((error as GradcheckError).mismatch.input).toBe(1);
  });
});
