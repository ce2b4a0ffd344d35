/**
 * Shared arbitraries and checks for the op property tests (not a test file itself: vitest only
 * collects *.test.ts).
 *
 * Conventions used throughout test/ops:
 * - gradients are checked with `gradcheck` from src/autograd at torch's defaults (float64,
 *   eps 1e-6, atol 1e-5, rtol 1e-3) and never with loosened tolerances; unless a test says
 *   otherwise it uses gradcheck's FULL Jacobian (one backward per output element, one pair of
 *   forwards per input element), which works for any output shape;
 * - forward values are compared with a plain re-implementation in float64;
 * - float32 forwards are compared with Math.fround of the float64 forward on the same
 *   (float32-representable) inputs.
 */
import fc from 'fast-check';
import { gradcheck } from '../../src/autograd/index.ts';
import { tensor } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

/** Runs per property: enough to reach every rank/axis/flag branch, small enough that the whole
 * of test/ops + test/autograd stays far below the 20 s budget. */
export const RUNS = 40;

/** Unit roundoff of float64 (half an ulp of 1) and of float32. */
export const U64 = 2 ** -53;
export const U32 = 2 ** -24;

export function numel(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Multi-index of a row-major flat index. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  return strides(shape).map((s, i) => Math.floor(flat / s) % shape[i]);
}

export function ravel(index: readonly number[], shape: readonly number[]): number {
  const s = strides(shape);
  return index.reduce((acc, v, i) => acc + v * s[i], 0);
}

export const dimArb = fc.integer({ min: 1, max: 5 });

export function shapeArb(minRank = 1, maxRank = 3): fc.Arbitrary<number[]> {
  return fc.array(dimArb, { minLength: minRank, maxLength: maxRank });
}

/** Finite doubles in [min, max] (fast-check biases towards the bounds, 0 and tiny values). */
export function doubleIn(min: number, max: number): fc.Arbitrary<number> {
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/** Doubles with lo <= |x| <= hi, either sign. */
export function awayFromZero(lo: number, hi: number): fc.Arbitrary<number> {
  return fc.tuple(doubleIn(lo, hi), fc.boolean()).map(([m, negative]) => (negative ? -m : m));
}

export function valuesArb<T = number>(n: number, value: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.array(value, { minLength: n, maxLength: n });
}

/** A shape together with values filling it. */
export function shapedArb(shape: fc.Arbitrary<number[]>, value: fc.Arbitrary<number>): fc.Arbitrary<{ shape: number[]; values: number[] }> {
  return shape.chain((s) => valuesArb(numel(s), value).map((values) => ({ shape: s, values })));
}

export function t64(values: ArrayLike<number>, shape: readonly number[], requiresGrad = true): Tensor {
  return tensor(values, shape, { dtype: 'float64', requiresGrad });
}

export function t32(values: ArrayLike<number>, shape: readonly number[]): Tensor {
  return tensor(values, shape, { dtype: 'float32' });
}

export function fround(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => Math.fround(v));
}

/** Distance from |v| (rounded to float32) to the next float32 up: one float32 ulp at v. */
export function ulp32(v: number): number {
  const f = new Float32Array([Math.abs(v)]);
  const bits = new Uint32Array(f.buffer);
  const below = f[0];
  bits[0] += 1;
  return f[0] - below;
}

/**
 * gradcheck at torch's defaults in full-Jacobian mode, plus a guard that it really compared
 * every (output element, input element) pair: a gradcheck that compared nothing would pass
 * vacuously.
 */
export function expectGradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const outSize = fn(...inputs).size;
  const inSize = inputs.filter((t) => t.requiresGrad).reduce((n, t) => n + t.size, 0);
  const result = gradcheck(fn, inputs); // throws GradcheckError, naming the mismatch, on failure
  if (!result.ok) throw new Error('gradcheck returned ok: false');
  if (result.comparisons !== outSize * inSize) {
    throw new Error(`gradcheck made ${result.comparisons} comparisons, expected ${outSize} x ${inSize}`);
  }
}

export function expectShape(t: Tensor, shape: readonly number[], what = 'result'): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${what}: shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
}

/**
 * |actual[i] - expected[i]| <= tol(i) for every i (tol 0 means bitwise-equal up to the sign of
 * zero). Throws with the first offending element, so fast-check reports it with the
 * counterexample.
 */
export function expectClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number | ((i: number) => number), what = 'value',
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    const bound = typeof tol === 'number' ? tol : tol(i);
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= bound) && !(actual[i] === expected[i])) {
      throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (|diff| ${diff} > ${bound})`);
    }
  }
}
