/**
 * The per-element float32 error bound of one wasm LSTM backward step (asm/cells.ts lstmBackStep),
 * against a float64 evaluation of the same equations on the same float32 inputs; used by
 * test/backends/wasmCells.test.ts (the header there derives it).
 */
import { backwardKernel } from '../../src/cells/generateJs.ts';
import { LSTM } from '../../src/cells/lstm.ts';
import { layout, type WasmGemm } from '../../src/backends/cpu/wasm.ts';

export const U = 2 ** -24;
const MIN_NORMAL = 2 ** -126;
/** Higham's gamma_k = k u / (1 - k u): the relative error of k chained float32 roundings. */
export const gamma = (k: number): number => (k * U) / (1 - k * U);

/** Roundings per output (wasmCells.test.ts header): dh, dc_{t-1}, and the gates i, f, g, o. */
export const DEPTH = { dh: 1, dcPrev: 8, i: 11, f: 11, g: 12, o: 5 } as const;
export type Output = keyof typeof DEPTH;

export interface LstmBackCase {
  B: number;
  H: number;
  /** Row strides: dhIn, gates, dG (>= H, 4H, 4H). */
  ldIn: number;
  ldg: number;
  ldd: number;
  useIn: boolean;
  useExt: boolean;
  dhIn: number[]; // [B, ldIn]
  ext: number[]; // [B, H]
  gates: number[]; // [B, ldg]: i, f in (0, 1), g in (-1, 1), o in (0, 1), each a block of H
  tanhC: number[]; // [B, H]
  cPrev: number[]; // [B, H]
  dc: number[]; // [B, H]
}

/** The kernel's outputs, as float32 values read back. */
export interface LstmBackResult {
  dh: Float64Array; // [B, H]
  dcPrev: Float64Array; // [B, H]
  dG: Float64Array; // [B, 4H] (row stride 4H, padding dropped)
}

export function runLstmBack(gm: WasmGemm, c: LstmBackCase): LstmBackResult {
  const { B, H } = c;
  const BH = B * H;
  const [oIn, oExt, oOut, oG, oT, oCp, oDc, oDG, end] = layout([B * c.ldIn, BH, BH, B * c.ldg, BH, BH, BH, B * c.ldd]);
  gm.reserve(end);
  const f = gm.f32;
  f.fill(0, oIn, end);
  f.set(c.dhIn, oIn);
  f.set(c.ext, oExt);
  f.set(c.gates, oG);
  f.set(c.tanhC, oT);
  f.set(c.cPrev, oCp);
  f.set(c.dc, oDc);
  gm.lstmBackStep(oIn, c.ldIn, c.useIn, oExt, c.useExt, oOut, oG, c.ldg, oT, oCp, oDc, oDG, c.ldd, B, H);
  const dG = new Float64Array(B * 4 * H);
  for (let b = 0; b < B; b++) for (let q = 0; q < 4 * H; q++) dG[b * 4 * H + q] = f[oDG + b * c.ldd + q];
  return { dh: Float64Array.from(f.subarray(oOut, oOut + BH)), dcPrev: Float64Array.from(f.subarray(oDc, oDc + BH)), dG };
}

/**
 * Checks every output element against |got - exact| <= gamma_k * M + 2^-126, with exact the
 * float64 value of the equations, M the same expression evaluated on absolute values (sums
 * replaced by sums of absolute values), k = DEPTH, and 2^-126 for the kernel's flush to zero.
 * Returns the violations and, per output, the worst |got - exact| / (u M) (in units of u).
 */
export function checkLstmBack(c: LstmBackCase, r: LstmBackResult): { failures: string[]; worst: Record<Output, number> } {
  const { B, H } = c;
  const failures: string[] = [];
  const worst: Record<Output, number> = { dh: 0, dcPrev: 0, i: 0, f: 0, g: 0, o: 0 };
  const check = (name: Output, b: number, j: number, got: number, exact: number, mag: number): void => {
    const err = Math.abs(got - exact);
    // `!(x <= y)` so that a NaN fails.
    if (!(err <= gamma(DEPTH[name]) * mag + MIN_NORMAL)) {
      failures.push(`${name}[${b}, ${j}]: got ${got}, exact ${exact}, |diff| ${err} > gamma_${DEPTH[name]} * ${mag}`);
    }
    if (mag > 0 && err > MIN_NORMAL) worst[name] = Math.max(worst[name], err / (U * mag));
  };
  const exact = specBackward(c);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const k = b * H + j;
      const gate = (q: number): number => c.gates[b * c.ldg + q * H + j];
      const [ig, fg, gg, og] = [gate(0), gate(1), gate(2), gate(3)];
      const a = c.useIn ? c.dhIn[b * c.ldIn + j] : 0;
      const e = c.useExt ? c.ext[k] : 0;
      // The magnitudes M: the equations on absolute values (the values themselves come from the
      // LSTM spec's generated float64 kernel, the one copy of the equations).
      const D = Math.abs(a) + Math.abs(e);
      const t = c.tanhC[k];
      const S = Math.abs(c.dc[k]) + D * Math.abs(og) * (1 + t) * (1 - t);
      const x = (q: number): number => exact.dG[b * 4 * H + q * H + j];
      check('dh', b, j, r.dh[k], a + e, D);
      check('dcPrev', b, j, r.dcPrev[k], exact.dcPrev[k], S * Math.abs(fg));
      const d = (q2: number): number => r.dG[b * 4 * H + q2 * H + j];
      check('i', b, j, d(0), x(0), S * Math.abs(gg * ig * (1 - ig)));
      check('f', b, j, d(1), x(1), S * Math.abs(c.cPrev[k] * fg * (1 - fg)));
      check('g', b, j, d(2), x(2), S * Math.abs(ig * (1 + gg) * (1 - gg)));
      check('o', b, j, d(3), x(3), D * Math.abs(t * og * (1 - og)));
    }
  }
  return { failures, worst };
}

/** The exact (float64) values of the LSTM backward from the LSTM spec's generated kernel:
 * dL/d(pre-activation) of the four gates and dL/dc_{t-1}, on the case's float32 inputs. */
export function specBackward(c: LstmBackCase): { dG: Float64Array; dcPrev: Float64Array } {
  const { B, H } = c;
  const BH = B * H;
  const saved = new Float64Array(B * 5 * H); // i, f, g, o, tanh(c_t): the spec's `saved`
  const dh = new Float64Array(BH);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      for (let q = 0; q < 4; q++) saved[b * 5 * H + q * H + j] = c.gates[b * c.ldg + q * H + j];
      saved[b * 5 * H + 4 * H + j] = c.tanhC[b * H + j];
      dh[b * H + j] = (c.useIn ? c.dhIn[b * c.ldIn + j] : 0) + (c.useExt ? c.ext[b * H + j] : 0);
    }
  }
  const dG = new Float64Array(B * 4 * H);
  const dcPrev = new Float64Array(BH);
  const none = new Float64Array(0);
  backwardKernel(LSTM, false, 'f64')({
    B, H, sv: saved, svO: 0, hp: none, hpO: 0, cp: Float64Array.from(c.cPrev), cpO: 0, hn: none, hnO: 0, dh, dhO: 0,
    dc: Float64Array.from(c.dc), dcO: 0, u: none, dxi: dG, dxiO: 0, dxiLd: 4 * H, dhh: dG, dhhO: 0, dhhLd: 4 * H,
    dur: none, durO: 0, durLd: 0, dhd: none, dhdO: 0, dco: dcPrev, dcoO: 0,
  });
  return { dG, dcPrev };
}
