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
 *
 * One LSTM backward step (lstmBackStep; bound and checker in ./lstmBackBound.ts), per element,
 * against the float64 equations on the same float32 inputs. It reads the gates and tanh(c_t)
 * from memory (no transcendental functions), so it is plain float32 arithmetic: every +, -, *
 * rounds once, to a relative error <= u, and k chained roundings give <= gamma_k = ku/(1 - ku)
 * of M, the expression evaluated on absolute values. Counting the kernel's operations:
 *   dh   = dhIn + ext                           1 rounding,       M = |dhIn| + |ext| =: D
 *   q    = dh o (1 + t)(1 - t)                  dh's 1 + 3 mul + 2 add/sub = 6, M = D|o|(1-t^2) =: Q
 *   dct  = dc + q                               7,                M = |dc| + Q =: S
 *   dG_i = dct g i (1 - i)                      7 + 3 mul + 1 sub = 11, M = S|g i (1-i)|
 *   dG_f = dct c_{t-1} f (1 - f)                11,               M = S|c_{t-1} f (1-f)|
 *   dG_g = dct i (1 + g)(1 - g)                 7 + 3 + 2 = 12,   M = S|i|(1-g^2)
 *   dG_o = dh t o (1 - o)                       1 + 3 + 1 = 5,    M = D|t o (1-o)|
 *   dc_{t-1} = dct f                            8,                M = S|f|
 * plus 2^-126 absolute for the flush of subnormals to zero. (The float64 reference errs by
 * ~1e-16 relative, 1e-9 of u: negligible.) These are bounds of 5u-12u of the magnitudes
 * summed, where the global bound of test/backends/sequenceWasm.test.ts allows 1e-4 of the
 * group's scale (~1700u, and a 1e-4 error in dG_i passes it). Measured worst over 5000 random
 * steps, in units of u M: dh 1.0, dc_{t-1} 3.8, dG_i 4.8, dG_f 5.1, dG_g 4.9, dG_o 3.5.
 * A gate derivative wrong by a relative 1e-5 (~170u) exceeds gamma_12 ≈ 12u wherever dct is
 * not a cancellation worse than 1:14 of its terms, which every random step has; the last test
 * proves it on the kernel's own output.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requireCpuWasm } from '../../src/backends/cpu/index.ts';
import { layout } from '../../src/backends/cpu/wasm.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';
import { forwardKernel } from '../../src/cells/generateJs.ts';
import { LSTM } from '../../src/cells/lstm.ts';
import { RNN_TANH } from '../../src/cells/rnn.ts';
import type { CellSpec } from '../../src/cells/spec.ts';

/** A spec's generated float64 forward with `pre` [B, ld] as the input side, zero hidden side and
 * biases: what the hand-written wasm kernels must equal to float32 rounding. */
function specForward(spec: CellSpec, B: number, H: number, pre: Float64Array, ld: number, c: Float64Array | null) {
  const GH = spec.gates.length * H;
  const out = { h: new Float64Array(B * H), c: new Float64Array(B * H), saved: new Float64Array(B * spec.saved.length * H) };
  forwardKernel(spec, false, 'f64')({
    B, H, xi: pre, xiO: 0, xiLd: ld, xb: new Float64Array(GH), hh: new Float64Array(B * GH), hhO: 0, hhLd: GH, hb: new Float64Array(GH),
    hp: new Float64Array(B * H), hpO: 0, cp: c ?? out.c, cpO: 0, sv: out.saved, svO: 0, ho: out.h, hoO: 0, co: out.c, coO: 0,
  });
  return out;
}
import { checkLstmBack, runLstmBack, type LstmBackCase } from './lstmBackBound.ts';

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
    const gm = requireCpuWasm().wasm;
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
    const gm = requireCpuWasm().wasm;
    fc.assert(fc.property(stepArb, ({ B, H, ld, pre, c }) => {
      const BH = B * H;
      const [oP, oC, oCn, oT, oH, end] = layout([B * ld, BH, BH, BH, BH]);
      gm.reserve(end);
      const f = gm.f32;
      f.set(pre, oP);
      f.set(c, oC);
      gm.lstmStep(oP, ld, oC, oCn, oT, oH, B, H);
      // The exact values: the LSTM spec's generated float64 kernel on the same float32 inputs
      // (pre as the input side, nothing on the hidden side, zero biases).
      const spec = specForward(LSTM, B, H, Float64Array.from(pre), ld, Float64Array.from(c));
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          const sv = (q: number): number => spec.saved[b * 5 * H + q * H + j];
          const [ig, fg, gg] = [sv(0), sv(1), sv(2)];
          [0, 1, 2, 3].forEach((g) => {
            const v = sv(g);
            const got = f[oP + b * ld + g * H + j];
            if (!(Math.abs(got - v) <= 2 * ulp32(v) + MIN_NORMAL)) throw new Error(`gate ${g} [${b}, ${j}]: ${got} vs ${v}`);
          });
          const k = b * H + j;
          const cScale = Math.abs(fg * c[k]) + Math.abs(ig * gg);
          expect(Math.abs(f[oCn + k] - spec.c[k])).toBeLessThanOrEqual(12 * U * cScale + MIN_NORMAL);
          expect(Math.abs(f[oT + k] - sv(4))).toBeLessThanOrEqual(12 * U * cScale + 4 * U + MIN_NORMAL);
          expect(Math.abs(f[oH + k] - spec.h[k])).toBeLessThanOrEqual(12 * U * cScale + 6 * U + MIN_NORMAL);
        }
      }
      // Padding columns of the row and everything past the B rows are left alone.
      for (let b = 0; b < B; b++) for (let q = 4 * H; q < ld; q++) expect(f[oP + b * ld + q]).toBe(Math.fround(pre[b * ld + q]));
    }), fcParams(100));
  });

  it('tanhRows equals the rnn_tanh spec elementwise to 2 ulps, strided rows in, contiguous out', () => {
    const gm = requireCpuWasm().wasm;
    fc.assert(fc.property(stepArb, ({ B, H, ld, pre }) => {
      const [oP, oO, end] = layout([B * ld, B * H]);
      gm.reserve(end);
      gm.f32.set(pre, oP);
      gm.tanhRows(oP, ld, oO, B, H);
      const spec = specForward(RNN_TANH, B, H, Float64Array.from(pre), ld, null);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          const want = spec.h[b * H + j];
          expect(Math.abs(gm.f32[oO + b * H + j] - want)).toBeLessThanOrEqual(2 * ulp32(want) + MIN_NORMAL);
        }
      }
    }), fcParams(100));
  });
});

describe('wasm lstmBackStep', () => {
  const f32 = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true }).map(Math.fround);
  const arr = (n: number, lo: number, hi: number) => fc.array(f32(lo, hi), { minLength: n, maxLength: n });
  const caseArb: fc.Arbitrary<LstmBackCase> = fc.record({
    B: fc.integer({ min: 1, max: 5 }), H: fc.integer({ min: 1, max: 11 }),
    padIn: fc.integer({ min: 0, max: 3 }), padG: fc.integer({ min: 0, max: 3 }), padD: fc.integer({ min: 0, max: 3 }),
    useIn: fc.boolean(), useExt: fc.boolean(),
  }).chain(({ B, H, padIn, padG, padD, useIn, useExt }) => {
    const ldIn = H + padIn, ldg = 4 * H + padG, ldd = 4 * H + padD;
    // Gates as the forward leaves them: i, f, o sigmoids in (0, 1), g a tanh in (-1, 1).
    const gateRow = fc.tuple(arr(H, 0, 1), arr(H, 0, 1), arr(H, -1, 1), arr(H, 0, 1), arr(padG, -1, 1)).map((p) => p.flat());
    return fc.record({
      B: fc.constant(B), H: fc.constant(H), ldIn: fc.constant(ldIn), ldg: fc.constant(ldg), ldd: fc.constant(ldd),
      useIn: fc.constant(useIn), useExt: fc.constant(useExt),
      dhIn: arr(B * ldIn, -2, 2), ext: arr(B * H, -2, 2),
      gates: fc.array(gateRow, { minLength: B, maxLength: B }).map((rows) => rows.flat()),
      tanhC: arr(B * H, -1, 1), cPrev: arr(B * H, -5, 5), dc: arr(B * H, -2, 2),
    });
  });

  it('equals the float64 equations per element to gamma_k of the magnitudes (k = 1..12 roundings, header)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const { failures } = checkLstmBack(c, runLstmBack(requireCpuWasm().wasm, c));
      if (failures.length > 0) throw new Error(failures.join('\n'));
    }), fcParams(200));
  });

  it('catches a relative 1e-5 error in one gate derivative (and accepts the correct result)', () => {
    const rng = Rng.seeded(11);
    const v = (n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * rng.uniform()));
    const B = 3, H = 7;
    const c: LstmBackCase = {
      B, H, ldIn: H, ldg: 4 * H, ldd: 4 * H, useIn: true, useExt: true,
      dhIn: v(B * H, -1, 1), ext: v(B * H, -1, 1),
      gates: Array.from({ length: B }, () => [...v(H, 0, 1), ...v(H, 0, 1), ...v(H, -1, 1), ...v(H, 0, 1)]).flat(),
      tanhC: v(B * H, -1, 1), cPrev: v(B * H, -2, 2), dc: v(B * H, -1, 1),
    };
    const r = runLstmBack(requireCpuWasm().wasm, c);
    expect(checkLstmBack(c, r).failures).toEqual([]);
    for (let gate = 0; gate < 4; gate++) {
      // The mutation as the kernel would make it: that gate's derivative times 1 + 1e-5, rounded to float32.
      const dG = r.dG.map((x, q) => (Math.floor((q % (4 * H)) / H) === gate ? Math.fround(x * (1 + 1e-5)) : x));
      const { failures } = checkLstmBack(c, { ...r, dG });
      expect(failures.length, `gate ${gate}`).toBeGreaterThan(0);
      expect(failures.every((f) => f.startsWith('ifgo'[gate]))).toBe(true);
    }
    // And in the carried dL/dc_{t-1}, the output the next step's gates build on.
    expect(checkLstmBack(c, { ...r, dcPrev: r.dcPrev.map((x) => Math.fround(x * (1 + 1e-5))) }).failures.length).toBeGreaterThan(0);
  });
});
