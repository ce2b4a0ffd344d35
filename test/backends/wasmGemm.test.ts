/**
 * The float32 WebAssembly SIMD GEMM (asm/gemm.ts via src/backends/cpu/wasm.ts): the backend's
 * float32 matmul in all four layouts and the raw kernel with accumulation, on random shapes
 * (m, n 1-13 to hit every 4x8 / 4x4 / 1x8 / 1x4 tile and padding case; k 0-40, and up to 300 to
 * cross the wrapper's reduction chunking at k > 96) and float32 values from 1e-6 to 1e6 of
 * either sign (zeros and subnormal products included).
 *
 * Both builds are tested: plain SIMD and, where the engine takes it, relaxed SIMD.
 *
 * Two properties per case:
 *  (1) Exact: the result equals, bit for bit, a scalar float32 emulation of what the kernel is
 *      documented to compute: s = c (or 0); for p = 0..k-1: s = fround(s + fround(a_p b_p))
 *      (plain: f32x4.mul/add are IEEE binary32 operations, correctly rounded per lane), or, for
 *      the relaxed build, either that or s = fma32(a_p, b_p, s), the correctly rounded fused
 *      multiply-add (f32x4.relaxed_madd may be either, per machine; one of the two must match
 *      the whole result). Any difference is a wrong element, layout, stride, order or chunk.
 *  (2) The float32 error bound, against a float64 reference: recursive summation of k products
 *      onto c, each product and each sum rounded once to binary32 (u = 2^-24), errs by at most
 *      gamma_{k+1} (sum_p |a_p b_p| + |c|), gamma_n = n u / (1 - n u) (Higham, Accuracy and
 *      Stability of Numerical Algorithms, 2nd ed., eq. 3.5 and Lemma 3.1: every term passes
 *      through at most k+1 roundings; fused, at most k). (k+2) u covers gamma_{k+1} for (k+1)(k+2) u <= 1, i.e.
 *      k <= 4000, with u of slack; that slack also absorbs the float64 reference's own error
 *      (products of binary32 values are exact in binary64; k sums add <= k 2^-53 of the same
 *      magnitude). Below the normal range a rounding errs by up to half the smallest subnormal in
 *      absolute terms: (k+1) 2^-149 more. Nothing looser is needed, and nothing looser is allowed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  instantiate, layout, loadWasmGemm, matmulWasm, pad4, WASM_PATH, WASM_RELAXED_PATH, type WasmGemm,
} from '../../src/backends/cpu/wasm.ts';
import { fcParams } from '../helpers/fc.ts';

const U = 2 ** -24;
const TINY = 2 ** -149;

const f32 = fc.oneof(
  fc.constant(0),
  fc.double({ min: 1e-6, max: 1e6, noNaN: true }).chain((m) => fc.constantFrom(m, -m)),
  fc.double({ min: -1, max: 1, noNaN: true }),
).map(Math.fround);

const dims = fc.record({
  m: fc.integer({ min: 1, max: 13 }),
  n: fc.integer({ min: 1, max: 13 }),
  k: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 90, max: 300 })),
});

const caseArb = dims.chain(({ m, n, k }) => fc.record({
  m: fc.constant(m),
  n: fc.constant(n),
  k: fc.constant(k),
  a: fc.array(f32, { minLength: m * k, maxLength: m * k }),
  b: fc.array(f32, { minLength: k * n, maxLength: k * n }),
  c: fc.array(f32, { minLength: m * n, maxLength: m * n }),
}));

const bits = new Float32Array(1);
const bitsI = new Int32Array(bits.buffer);
/** The next float32 after r (a float32) towards +inf (up) or -inf. */
function next32(r: number, up: boolean): number {
  if (r === 0) return up ? TINY : -TINY;
  bits[0] = r;
  bitsI[0] += (r > 0) === up ? 1 : -1;
  return bits[0];
}

/** fl32(a b + c) with one rounding, for float32 a, b, c: a b is exact in float64; TwoSum gives
 * hi + lo = a b + c exactly; fround(hi) is the correctly rounded result unless hi is exactly
 * halfway between two float32s, where the sign of lo decides. */
function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const hi = p + c;
  const bb = hi - p;
  const lo = (p - (hi - bb)) + (c - bb);
  const r = Math.fround(hi);
  if (lo === 0 || hi === r) return r;
  const other = next32(r, hi > r);
  if (hi !== (r + other) / 2) return r;
  return (lo > 0) === (other > r) ? other : r;
}

interface Ref {
  /** The float32 emulations: separate roundings, fused. */
  plain: Float64Array;
  fused: Float64Array;
  exact: Float64Array;
  mag: Float64Array;
}

/** For op(A)[i, p] and op(B)[p, j] and an initial c: both float32 emulations, the float64 sum
 * and sum |a b| + |c|. */
function reference(
  m: number, n: number, k: number, aAt: (i: number, p: number) => number, bAt: (p: number, j: number) => number,
  c0: (i: number, j: number) => number,
): Ref {
  const plain = new Float64Array(m * n);
  const fused = new Float64Array(m * n);
  const exact = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s32 = Math.fround(c0(i, j));
      let sf = s32;
      let s64 = c0(i, j);
      let g = Math.abs(c0(i, j));
      for (let p = 0; p < k; p++) {
        const prod = aAt(i, p) * bAt(p, j); // exact in float64
        s32 = Math.fround(s32 + Math.fround(prod));
        sf = fma32(aAt(i, p), bAt(p, j), sf);
        s64 += prod;
        g += Math.abs(prod);
      }
      plain[i * n + j] = s32;
      fused[i * n + j] = sf;
      exact[i * n + j] = s64;
      mag[i * n + j] = g;
    }
  }
  return { plain, fused, exact, mag };
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
  for (let i = 0; i < b.length; i++) if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) return false;
  return true;
};

function check(got: ArrayLike<number>, r: Ref, k: number, what: string, fusedAllowed: boolean): void {
  if (!same(got, r.plain) && !(fusedAllowed && same(got, r.fused))) {
    const i = Array.from(r.plain).findIndex((v, idx) => v !== got[idx]);
    throw new Error(`${what}: element ${i} is ${got[i]}, the float32 emulation gives ${r.plain[i]}` +
      (fusedAllowed ? ` (fused: ${r.fused[i]})` : ''));
  }
  for (let i = 0; i < r.plain.length; i++) {
    const bound = (k + 2) * U * r.mag[i] + (k + 1) * TINY;
    const err = Math.abs(got[i] - r.exact[i]);
    if (!(err <= bound)) throw new Error(`${what}: element ${i} errs by ${err} > bound ${bound} (k = ${k})`);
  }
}

it('the wasm kernels are built and loaded (npm run build; npm ci runs it through `prepare`)', () => {
  expect(loadWasmGemm().status).toMatch(/^wasm (relaxed-)?simd$/);
});

// Each build in its own instance (its own memory); the relaxed one where this engine loads it
// (wasm.ts turns on Node 20's flag when it picks that build).
const builds: [string, WasmGemm, boolean][] = [['simd', instantiate(WASM_PATH), false]];
if (loadWasmGemm().status === 'wasm relaxed-simd') builds.push(['relaxed-simd', instantiate(WASM_RELAXED_PATH), true]);

describe.each(builds)('wasm float32 GEMM (%s build)', (_name, gm, fusedAllowed) => {
  describe.each([
    [false, false], [true, false], [false, true], [true, true],
  ])('matmul layout transA=%s transB=%s', (transA, transB) => {
    it('equals the float32 emulation exactly and the float64 product to (k+2) 2^-24 sum|a b|', () => {
      fc.assert(fc.property(caseArb, ({ m, n, k, a, b }) => {
        // A is [m, k] or, transposed, [k, m]; B is [k, n] or [n, k].
        const aAt = (i: number, p: number): number => (transA ? a[p * m + i] : a[i * k + p]);
        const bAt = (p: number, j: number): number => (transB ? b[j * k + p] : b[p * n + j]);
        const out = new Float32Array(m * n);
        matmulWasm(gm, Float32Array.from(a), Float32Array.from(b), out, m, n, k, transA, transB);
        check(out, reference(m, n, k, aAt, bAt, () => 0), k, `matmul ${m}x${k}x${n}`, fusedAllowed);
      }), fcParams(60));
    });
  });

  it('accumulates onto C (C += A B) with strided A, padded B and C', () => {
    fc.assert(fc.property(caseArb, fc.boolean(), fc.integer({ min: 0, max: 5 }), ({ m, n, k, a, b, c }, transA, extra) => {
      const np = pad4(n) + 4 * (extra % 2); // a wider row stride than needed
      const [oA, oB, oC, end] = layout([m * k, k * np, m * np]);
      gm.reserve(end);
      const f = gm.f32;
      f.set(a, oA);
      f.fill(Number.NaN, oB, oB + k * np); // padding must never reach the real columns
      for (let p = 0; p < k; p++) f.set(b.slice(p * n, (p + 1) * n), oB + p * np);
      f.fill(Number.NaN, oC, oC + m * np);
      for (let i = 0; i < m; i++) f.set(c.slice(i * n, (i + 1) * n), oC + i * np);
      gm.gemm(oA, transA ? 1 : k, transA ? m : 1, oB, np, oC, np, m, pad4(n), k, true);
      const got = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) got[i * n + j] = gm.f32[oC + i * np + j];
      const aAt = (i: number, p: number): number => (transA ? a[p * m + i] : a[i * k + p]);
      check(got, reference(m, n, k, aAt, (p, j) => b[p * n + j], (i, j) => c[i * n + j]), k, `gemm += ${m}x${k}x${n}`, fusedAllowed);
    }), fcParams(60));
  });

  it('keeps working after the memory grows (views are refreshed)', () => {
    const before = gm.f32.length;
    const m = 300, k = 300, n = 300;
    const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 13) - 6);
    const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) - 5);
    const out = new Float32Array(m * n);
    matmulWasm(gm, a, b, out, m, n, k, false, false);
    expect(gm.f32.length).toBeGreaterThanOrEqual(before);
    // Small integers: every partial sum is exact in float32, so the product is exact.
    for (const [i, j] of [[0, 0], [17, 299], [299, 1], [150, 150]]) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      expect(out[i * n + j]).toBe(s);
    }
  });
});
