/**
 * A float32 error bound for any cell-spec expression, by running error analysis: each value is
 * carried as (v, e), v its exact value (float64, whose own error is ~1e-16 relative, 1e-9 of a
 * float32 unit: negligible) and e a bound on |float32 result − v|. Each float32 operation adds its
 * rounding, at most u = 2^-24 of the magnitude of what it rounds; errors already present
 * propagate by the operation's sensitivity:
 *   a ± b    e_a + e_b
 *   a · b    |a| e_b + |b| e_a + e_a e_b
 *   a / b    (|b| e_a + |a| e_b) / (|b| (|b| − e_b))                  (|b| > e_b)
 *   −a       e_a (exact)
 *   relu(a)  e_a (1-Lipschitz; no rounding)
 *   ifpos(y, a)  e_a, or |a| + e_a where |y| ≤ e_y (the sign could differ)
 *   sigmoid  e_a / 4 (σ' ≤ 1/4), tanh  e_a (tanh' ≤ 1); then the implementation's own error,
 *            2 float32 ulps ≤ 4u of the result (test/backends/wasmCells.test.ts measures < 2
 *            ulps), plus 2^-126 absolute (exp's argument is clamped so 2^n stays normal).
 *   a constant c: |c − fround(c)|.
 * The rounding term is u (|v| + propagated e): the float32 value rounded is within e of v.
 * First order plus the exact second-order product term, so the bound is rigorous, and it is as
 * tight as the expression's own conditioning: a kernel error of 1e-5 relative, ~170 u, exceeds it
 * wherever the expression does not cancel (the tests check that it does not on their cases).
 */
import type { Algebra, FunctionName } from '../../src/cells/expression.ts';

export const U = 2 ** -24;
export const MIN_NORMAL = 2 ** -126;

export interface Approx {
  readonly v: number;
  readonly e: number;
}

export const exact = (v: number): Approx => ({ v, e: 0 });

const rounded = (v: number, propagated: number): Approx => ({ v, e: propagated + U * (Math.abs(v) + propagated) });

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

function transcendental(v: number, propagated: number): Approx {
  return { v, e: propagated + 4 * U * (Math.abs(v) + propagated) + MIN_NORMAL };
}

export const FLOAT32_BOUND: Algebra<Approx> = {
  constant: (c) => ({ v: c, e: Math.abs(c - Math.fround(c)) }),
  add: (a, b) => rounded(a.v + b.v, a.e + b.e),
  sub: (a, b) => rounded(a.v - b.v, a.e + b.e),
  mul: (a, b) => rounded(a.v * b.v, Math.abs(a.v) * b.e + Math.abs(b.v) * a.e + a.e * b.e),
  div: (a, b) => {
    const slack = Math.abs(b.v) - b.e;
    const propagated = slack > 0 ? (Math.abs(b.v) * a.e + Math.abs(a.v) * b.e) / (Math.abs(b.v) * slack) : Infinity;
    return rounded(a.v / b.v, propagated);
  },
  negate: (a) => ({ v: -a.v, e: a.e }),
  call: (fn: FunctionName, args: readonly Approx[]) => {
    const [a, b] = args;
    switch (fn) {
      case 'sigmoid':
        return transcendental(sigmoid(a.v), a.e / 4);
      case 'tanh':
        return transcendental(Math.tanh(a.v), a.e);
      case 'relu':
        return { v: a.v > 0 ? a.v : 0, e: a.e };
      case 'ifpos':
        return { v: a.v > 0 ? b.v : 0, e: Math.abs(a.v) <= a.e ? Math.abs(b.v) + b.e : b.e };
    }
  },
};

/**
 * Whether a float32 result `got` is within the bound of `want`: e, plus 2^-126 where the kernel
 * flushes subnormals to zero, plus 1e-12 of |v| for the float64 reference's own rounding.
 */
export function within(got: number, want: Approx, flushed: boolean): boolean {
  const slack = (flushed ? MIN_NORMAL : 0) + 1e-12 * Math.abs(want.v);
  return Math.abs(got - want.v) <= want.e + slack || (Number.isNaN(got) && Number.isNaN(want.v));
}
