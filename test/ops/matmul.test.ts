/**
 * matmul (all four transA/transB layouts) and linear (with and without bias).
 *
 * gradcheck uses the full Jacobian (the outputs are at most 5x5). Forward references are the
 * textbook triple loop in float64.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linear, matmul } from '../../src/ops/index.ts';
import { fcParams } from '../helpers/fc.ts';
import { dimArb, doubleIn, expectClose, expectGradcheck, expectShape, fround, RUNS, t32, t64, U32, U64, valuesArb } from './helpers.ts';

const value = doubleIn(-3, 3);

/** C = op(A) op(B) with op(A) [m, k], op(B) [k, n]; A is stored [k, m] when transposed, B [n, k]. */
function matmulCaseArb(transA: boolean, transB: boolean) {
  return fc.tuple(dimArb, dimArb, dimArb).chain(([m, k, n]) => fc.record({
    m: fc.constant(m), k: fc.constant(k), n: fc.constant(n),
    a: valuesArb(m * k, value),
    b: valuesArb(k * n, value),
    needs: fc.constantFrom<[boolean, boolean]>([true, true], [true, false], [false, true]),
  })).map((c) => ({
    ...c,
    aShape: transA ? [c.k, c.m] : [c.m, c.k],
    bShape: transB ? [c.n, c.k] : [c.k, c.n],
    // op(A)[i][p] and op(B)[p][j] read straight from the row-major storage.
    aAt: (i: number, p: number) => (transA ? c.a[p * c.m + i] : c.a[i * c.k + p]),
    bAt: (p: number, j: number) => (transB ? c.b[j * c.k + p] : c.b[p * c.n + j]),
  }));
}

/** Triple loop; also returns sum_p |a_ip b_pj| for the rounding bounds. */
function refMatmul(m: number, k: number, n: number, aAt: (i: number, p: number) => number, bAt: (p: number, j: number) => number) {
  const c = new Array<number>(m * n).fill(0);
  const mag = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < k; p++) {
        c[i * n + j] += aAt(i, p) * bAt(p, j);
        mag[i * n + j] += Math.abs(aAt(i, p) * bAt(p, j));
      }
    }
  }
  return { c, mag };
}

const LAYOUTS = [
  { transA: false, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: false },
  { transA: true, transB: true },
];

describe.each(LAYOUTS)('matmul transA=$transA transB=$transB', ({ transA, transB }) => {
  const cases = matmulCaseArb(transA, transB);

  it('passes gradcheck (full Jacobian) for A and B', () => {
    fc.assert(fc.property(cases, ({ a, b, aShape, bShape, needs }) => {
      expectGradcheck((x, y) => matmul(x, y, { transA, transB }), [t64(a, aShape, needs[0]), t64(b, bShape, needs[1])]);
    }), fcParams(RUNS));
  });

  it('float64 forward matches a triple loop', () => {
    // Two summation orders of the same k products differ by at most 2 * gamma_k * sum|a b|
    // (Higham, Thm 3.1, with gamma_k ~ k u): the bound holds for any blocking/order the kernel
    // picks, and is ~1e-15 here, so a wrong element or layout is far outside it.
    fc.assert(fc.property(cases, ({ m, k, n, a, b, aShape, bShape, aAt, bAt }) => {
      const y = matmul(t64(a, aShape, false), t64(b, bShape, false), { transA, transB });
      expectShape(y, [m, n]);
      const { c, mag } = refMatmul(m, k, n, aAt, bAt);
      expectClose(y.toFloat64Array(), c, (i) => 2 * k * U64 * mag[i]);
    }), fcParams(RUNS));
  });

  it('float32 forward is within (k+2) 2^-24 sum|a b| of fround(float64 forward)', () => {
    // A float32 kernel that accumulates in float32 errs by <= gamma_k sum|a b| (u = 2^-24); the
    // float64 result is within ~1e-16 relative of the exact, and fround adds <= 2^-24 |c|
    // <= 2^-24 sum|a b|. (k+2) leaves room for the O(u^2) terms.
    fc.assert(fc.property(cases, ({ m, k, n, a, b, aShape, bShape, aAt, bAt }) => {
      const a32 = fround(a);
      const b32 = fround(b);
      const y32 = matmul(t32(a32, aShape), t32(b32, bShape), { transA, transB });
      expect(y32.dtype).toBe('float32');
      const expected = fround(matmul(t64(a32, aShape, false), t64(b32, bShape, false), { transA, transB }).toFloat64Array());
      const { mag } = refMatmul(m, k, n, (i, p) => Math.fround(aAt(i, p)), (p, j) => Math.fround(bAt(p, j)));
      expectClose(y32.toFloat64Array(), expected, (i) => (k + 2) * U32 * mag[i], 'float32');
    }), fcParams(RUNS));
  });
});

describe('matmul errors', () => {
  it('refuses mismatched inner sizes and non-2-D operands', () => {
    expect(() => matmul(t64([1, 2, 3, 4, 5, 6], [2, 3], false), t64([1, 2, 3, 4], [2, 2], false))).toThrow(/inner/);
    expect(() => matmul(t64([1, 2], [2], false), t64([1, 2], [2, 1], false))).toThrow(/2-D/);
  });
});

// ---------------------------------------------------------------------------------------------
// linear: x Wᵀ + b with W [out, in] (torch.nn.functional.linear)

const linearCaseArb = fc.tuple(dimArb, dimArb, dimArb).chain(([batch, inF, outF]) => fc.record({
  batch: fc.constant(batch), inF: fc.constant(inF), outF: fc.constant(outF),
  x: valuesArb(batch * inF, value),
  w: valuesArb(outF * inF, value),
  b: valuesArb(outF, value),
}));

function refLinear(batch: number, inF: number, outF: number, x: number[], w: number[], b: number[] | null) {
  const y = new Array<number>(batch * outF).fill(0);
  const mag = new Array<number>(batch * outF).fill(0);
  for (let i = 0; i < batch; i++) {
    for (let o = 0; o < outF; o++) {
      let s = 0;
      let m = 0;
      for (let p = 0; p < inF; p++) {
        s += x[i * inF + p] * w[o * inF + p];
        m += Math.abs(x[i * inF + p] * w[o * inF + p]);
      }
      y[i * outF + o] = b ? s + b[o] : s;
      mag[i * outF + o] = b ? m + Math.abs(b[o]) : m;
    }
  }
  return { y, mag };
}

describe.each([{ withBias: true }, { withBias: false }])('linear withBias=$withBias', ({ withBias }) => {
  it('passes gradcheck (full Jacobian) for x, W and b', () => {
    fc.assert(fc.property(linearCaseArb, ({ batch, inF, outF, x, w, b }) => {
      const inputs = [t64(x, [batch, inF]), t64(w, [outF, inF])];
      if (withBias) inputs.push(t64(b, [outF]));
      expectGradcheck((xt, wt, bt) => linear(xt, wt, withBias ? bt : null), inputs);
    }), fcParams(RUNS));
  });

  it('float64 forward matches x Wᵀ + b by loops', () => {
    // The sum of in + 1 terms in another order: 2 gamma_{in+1} sum|terms| as for matmul.
    fc.assert(fc.property(linearCaseArb, ({ batch, inF, outF, x, w, b }) => {
      const y = linear(t64(x, [batch, inF], false), t64(w, [outF, inF], false), withBias ? t64(b, [outF], false) : null);
      expectShape(y, [batch, outF]);
      const ref = refLinear(batch, inF, outF, x, w, withBias ? b : null);
      expectClose(y.toFloat64Array(), ref.y, (i) => 2 * (inF + 1) * U64 * ref.mag[i]);
    }), fcParams(RUNS));
  });

  it('float32 forward is within (in+3) 2^-24 sum|terms| of fround(float64 forward)', () => {
    // As for matmul, with one more term (the bias) in the float32 sum.
    fc.assert(fc.property(linearCaseArb, ({ batch, inF, outF, x, w, b }) => {
      const [x32, w32, b32] = [fround(x), fround(w), fround(b)];
      const y32 = linear(t32(x32, [batch, inF]), t32(w32, [outF, inF]), withBias ? t32(b32, [outF]) : null);
      expect(y32.dtype).toBe('float32');
      const expected = fround(linear(t64(x32, [batch, inF], false), t64(w32, [outF, inF], false), withBias ? t64(b32, [outF], false) : null).toFloat64Array());
      const { mag } = refLinear(batch, inF, outF, x32, w32, withBias ? b32 : null);
      expectClose(y32.toFloat64Array(), expected, (i) => (inF + 3) * U32 * mag[i], 'float32');
    }), fcParams(RUNS));
  });
});
