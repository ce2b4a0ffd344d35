/**
 * The SIMD gate math of the float32 sequence kernels (asm/cells.ts): exp, sigmoid and tanh
 * against float64 Math, and one LSTM step and one tanh-RNN step against a float64 evaluation of
 * the same equations on the same float32 inputs.
 *
 * Bounds. Cephes' expf and tanhf, which the kernels transcribe, are documented at <= 1 and
 * <= 1.3 ulp; measured here over 2e5 points: exp 0.94 ulp, tanh 1.49, sigmoid (one more rounding
 * in 1 + e and one in the division) under 2. Each is asserted at 2 ulps of the float32 result,
 * plus 2^-126 absolute: below x = -87 the kernels clamp exp's argument (so 2^n stays normal),
 * and sigmoid(x) returns ~1/exp(87) instead of a subnormal; no gate math sees the difference.
 * The LSTM step composes them (u = 2^-24; 2 ulps are <= 4u relative): i g carries 4u + 4u + u
 * (the product's rounding), f c 4u + u, their sum one more u, so
 * |c' err| <= 10u (|f c| + |i g|), asserted as 12u; tanh is 1-Lipschitz and adds its 2 ulps
 * (<= 4u, |tanh| <= 1); h' = o tanh(c') adds o's 4u and a rounding: 12u scale + 6u.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layout, wasmGemm } from '../../src/backends/cpu/wasm.ts';
import { fcParams } from '../helpers/fc.ts';

const U = 2 ** -24;
const MIN_NORMAL = 2 ** -126;
/** One float32 ulp at |v| (the subnormal spacing below the normal range). */
function ulp32(v: number): number {
  const a = Math.abs(Math.fround(v));
  if (a < MIN_NORMAL) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const FUNCS: [string, number, (x: number) => number, number, number][] = [
  ['exp', 0, Math.exp, -87, 88],
  ['sigmoid', 1, sigmoid, -120, 120],
  ['tanh', 2, Math.tanh, -40, 40],
];

describe.each(FUNCS)('wasm %s', (name, kind, ref, lo, hi) => {
  it('is within 2 float32 ulps (+ 2^-126) of float64 Math, NaN in gives NaN out', () => {
    const gm = wasmGemm!;
    const arb = fc.oneof(
      fc.double({ min: lo, max: hi, noNaN: true }),
      fc.double({ min: -1, max: 1, noNaN: true }),
      fc.double({ min: -1e-3, max: 1e-3, noNaN: true }),
    ).map(Math.fround);
    fc.assert(fc.property(fc.array(arb, { minLength: 1, maxLength: 64 }), (xs) => {
      const [ox, oo, end] = layout([xs.length, xs.length]);
      gm.reserve(end);
      gm.f32.set(xs, ox);
      gm.apply(kind, ox, oo, xs.length);
      xs.forEach((x, i) => {
        const want = ref(x);
        const got = gm.f32[oo + i];
        if (!(Math.abs(got - want) <= 2 * ulp32(want) + MIN_NORMAL)) throw new Error(`${name}(${x}) = ${got}, float64 gives ${want}`);
      });
    }), fcParams(200));
    const [ox, oo, end] = layout([1, 1]);
    gm.reserve(end);
    gm.f32[ox] = Number.NaN;
    gm.apply(kind, ox, oo, 1);
    expect(gm.f32[oo]).toBeNaN();
  });
});

describe('wasm lstmStep and tanhRows', () => {
  const stepArb = fc.record({ B: fc.integer({ min: 1, max: 5 }), H: fc.integer({ min: 1, max: 11 }), pad: fc.integer({ min: 0, max: 5 }) })
    .chain(({ B, H, pad }) => fc.record({
      B: fc.constant(B), H: fc.constant(H), ld: fc.constant(4 * H + pad),
      pre: fc.array(fc.double({ min: -12, max: 12, noNaN: true }).map(Math.fround), { minLength: B * (4 * H + pad), maxLength: B * (4 * H + pad) }),
      c: fc.array(fc.double({ min: -5, max: 5, noNaN: true }).map(Math.fround), { minLength: B * H, maxLength: B * H }),
    }));

  it('one LSTM step equals the float64 equations to the bounds of the header (every tile and tail width)', () => {
    const gm = wasmGemm!;
    fc.assert(fc.property(stepArb, ({ B, H, ld, pre, c }) => {
      const BH = B * H;
      const [oP, oC, oCn, oT, oH, end] = layout([B * ld, BH, BH, BH, BH]);
      gm.reserve(end);
      const f = gm.f32;
      f.set(pre, oP);
      f.set(c, oC);
      gm.lstmStep(oP, ld, oC, oCn, oT, oH, B, H);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          const p = (g: number): number => pre[b * ld + g * H + j];
          const [ig, fg, gg, og] = [sigmoid(p(0)), sigmoid(p(1)), Math.tanh(p(2)), sigmoid(p(3))];
          const gates = [ig, fg, gg, og];
          gates.forEach((v, g) => {
            const got = f[oP + b * ld + g * H + j];
            if (!(Math.abs(got - v) <= 2 * ulp32(v) + MIN_NORMAL)) throw new Error(`gate ${g} [${b}, ${j}]: ${got} vs ${v}`);
          });
          const k = b * H + j;
          const cn = fg * c[k] + ig * gg;
          const cScale = Math.abs(fg * c[k]) + Math.abs(ig * gg);
          const h = og * Math.tanh(cn);
          expect(Math.abs(f[oCn + k] - cn)).toBeLessThanOrEqual(12 * U * cScale + MIN_NORMAL);
          expect(Math.abs(f[oT + k] - Math.tanh(cn))).toBeLessThanOrEqual(12 * U * cScale + 4 * U + MIN_NORMAL);
          expect(Math.abs(f[oH + k] - h)).toBeLessThanOrEqual(12 * U * cScale + 6 * U + MIN_NORMAL);
        }
      }
      // Padding columns of the row and everything past the B rows are left alone.
      for (let b = 0; b < B; b++) for (let q = 4 * H; q < ld; q++) expect(f[oP + b * ld + q]).toBe(Math.fround(pre[b * ld + q]));
    }), fcParams(100));
  });

  it('tanhRows equals tanh elementwise to 2 ulps, strided rows in, contiguous out', () => {
    const gm = wasmGemm!;
    fc.assert(fc.property(stepArb, ({ B, H, ld, pre }) => {
      const [oP, oO, end] = layout([B * ld, B * H]);
      gm.reserve(end);
      gm.f32.set(pre, oP);
      gm.tanhRows(oP, ld, oO, B, H);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          const want = Math.tanh(pre[b * ld + j]);
          expect(Math.abs(gm.f32[oO + b * H + j] - want)).toBeLessThanOrEqual(2 * ulp32(want) + MIN_NORMAL);
        }
      }
    }), fcParams(100));
  });
});
