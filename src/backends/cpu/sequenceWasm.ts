import { Tensor } from '../../tensor/tensor.ts';
import { backwardKernel, forwardKernel } from '../../cells/generateJs.ts';
import type { CellSpec } from '../../cells/spec.ts';
import type { CellKind } from '../../cells/table.ts';
import type { Backend, CellWeights, SequenceGrads, SequenceTape } from '../backend.ts';
import { checkSequenceArgs, checkShape } from '../sequenceArgs.ts';
import { views } from './sequence.ts';
import { sized, TapePool, type TapeArrays } from './tapeBuffers.ts';
import { layout, pad4, type WasmGemm } from './wasm.ts';

/**
 * The float32 whole-sequence kernels on the WebAssembly SIMD GEMM (wasm.ts): the same equations,
 * loops and BPTT as sequence.ts (read that file first), with every product in float32 SIMD:
 *  - forward: the input projection X W_ihᵀ over all T*B rows, and per step h_{t-1} W_hhᵀ, added
 *    in place onto that step's rows of it for the hand-written cells (lstm, rnn_tanh: asm/cells.ts)
 *    and kept apart for the others (gru, rnn_relu), whose pointwise math is the f32x4 kernel
 *    generated from their spec (src/cells/generateAs.ts, built into the same module) — or, on a
 *    build without it or made from other equations, the JavaScript kernel generated from the same
 *    spec (src/cells/generateJs.ts);
 *  - backward: per step dG_t W_hh, then dW_ihᵀ = Xᵀ dG, dW_hhᵀ = H_prevᵀ dG, the biases as
 *    1ᵀ dG, and dX = dG W_ih, each one GEMM over all rows.
 * W_ihᵀ and W_hhᵀ (forward) and W_hh, W_ih (backward) are packed once per call into the
 * kernel's K x N layout with N padded to a multiple of 4. Every operand lives in the module's
 * memory, laid out afresh by each call from the same base: the buffers of a shape are allocated
 * the first time and reused by every later call (the memory only grows). The tape keeps its own
 * float32 copies (x, h, gates), so forward and backward calls of several layers can interleave;
 * those arrays are reused by the next forward of the same shape once the tape's backward has run
 * (tapeBuffers.ts).
 *
 * Numerics: the GEMMs sum in float32 (one rounding per multiply and per add, in increasing k), so
 * each product carries an error of at most ~k 2^-24 sum|a b| (test/backends/wasmGemm.test.ts).
 * The wasm gate math is float32 (one rounding per operation, sigmoid and tanh within 2 ulps:
 * test/backends/wasmCells.test.ts, wasmGenerated.test.ts bound it per element); the JavaScript
 * fallback runs it in float64 on float32 inputs and stores float32, and adds the external
 * gradient (and the GRU's z dh term) in float64 to the float32 GEMM output. float64
 * tensors never come here: they take sequence.ts, whose sums are exact to float64 rounding.
 */
class WasmSequenceTape implements SequenceTape {
  readonly dtype = 'float32' as const;
  constructor(
    readonly spec: CellSpec,
    readonly steps: number,
    readonly batch: number,
    readonly input: number,
    readonly hidden: number,
    readonly backend: Backend,
    /**
     * W_ih [GH, I] and W_hh [GH, H] as they were at forward time; x_1..x_T time-major [T*B, I];
     * h_0..h_T [(T+1)*B, H]; saved: the spec's saved values [T*B, S*H] (lstm: the gates i, f, g, o
     * [T*B, 4H]); lstm: c_0..c_T [(T+1)*B, H] and tanh(c_t) [T*B, H].
     */
    readonly arrays: TapeArrays,
    /** The pool the arrays go back to after the backward, under `key`. */
    readonly pool: TapePool,
    readonly key: string,
  ) {
    this.generation = arrays.generation;
  }

  readonly generation: number;
  /** Whether the arrays went back to the pool (after the first backward). */
  returned = false;
}

const pools = new WeakMap<WasmGemm, TapePool>();

function poolOf(gm: WasmGemm): TapePool {
  let pool = pools.get(gm);
  if (!pool) {
    pool = new TapePool();
    pools.set(gm, pool);
  }
  return pool;
}

/** `into` (resized if need be) holding a copy of f[from, from + length). */
function copyOut(into: Float32Array | undefined, f: Float32Array, from: number, length: number): Float32Array {
  const out = sized(into, length);
  out.set(f.subarray(from, from + length));
  return out;
}

export function isWasmTape(t: SequenceTape): boolean {
  return t instanceof WasmSequenceTape;
}

/** The cells whose pointwise steps are hand-written in AssemblyScript SIMD (asm/cells.ts). */
const HAND_WRITTEN: ReadonlySet<CellKind> = new Set<CellKind>(['lstm', 'rnn_tanh']);

/** Whether this path runs a cell: float32 with a dense W_hh (a diagonal one takes sequence.ts). */
export function wasmRuns(spec: CellSpec): boolean {
  return spec.recurrent === 'matrix';
}

/*
 * Flush to zero (the generated backward's `ftz` variant, and asm/cells.ts's backward): the
 * dL/d(pre-activation) entering the backward GEMMs has values below the float32 normal range
 * become 0 (flush to zero, as torch.set_flush_denormal(True) and GPU kernels do). WebAssembly
 * cannot turn on the CPU's flush-to-zero mode, and on x86 every multiply-add with a subnormal
 * operand takes a ~100-cycle microcode assist: on `long` (T = 400), where the gradient vanishes
 * past float32's range within the sequence, that made the backward 10x slower (bench/NOTES.md).
 * What is lost is below 2^-126 of the gradient's units, far under anything float32 training or
 * the dL/dh_t probe resolves (the float64 path keeps every value). NaN passes through.
 */

/** f[off + p*ld + j] = w[j*cols + p] (the transpose of w [rows, cols]), zero in columns rows..ld. */
function packTransposed(w: ArrayLike<number>, rows: number, cols: number, f: Float32Array, off: number, ld: number): void {
  f.fill(0, off, off + cols * ld);
  for (let j = 0; j < rows; j++) {
    const s = j * cols;
    for (let p = 0; p < cols; p++) f[off + p * ld + j] = w[s + p];
  }
}

/** f[off + r*ld + c] = w[r*cols + c], zero in columns cols..ld. */
function packRows(w: Float32Array, rows: number, cols: number, f: Float32Array, off: number, ld: number): void {
  if (ld === cols) {
    f.set(w.subarray(0, rows * cols), off);
    return;
  }
  for (let r = 0; r < rows; r++) {
    f.set(w.subarray(r * cols, (r + 1) * cols), off + r * ld);
    f.fill(0, off + r * ld + cols, off + (r + 1) * ld);
  }
}

export function sequenceForwardWasm(
  gm: WasmGemm, backend: Backend, spec: CellSpec, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights,
): { hs: Tensor[]; tape: SequenceTape } {
  if (!wasmRuns(spec)) throw new Error(`sequence kernel: the wasm path does not run ${spec.kind}`);
  const { T, B, I, H, GH } = checkSequenceArgs(spec, xs, h0, c0, w);
  const GHp = pad4(GH);
  const BH = B * H;
  const TB = T * B;
  const hand = HAND_WRITTEN.has(spec.kind as CellKind);
  const lstm = spec.kind === 'lstm';
  const gen = hand ? null : gm.generatedCell(spec);
  const SH = spec.saved.length * H;
  const [oWihT, oWhhT, oX, oPre, oH, oRec, oC, oTanhC, oXb, oHb, oSv, end] = layout([
    I * GHp, H * GHp, TB * I, TB * GHp, (T + 1) * BH, hand ? 0 : B * GHp, lstm ? (T + 1) * BH : 0, lstm ? T * BH : 0,
    gen ? GH : 0, gen ? GH : 0, gen ? TB * SH : 0,
  ]);
  gm.reserve(end);
  const f = gm.f32;
  const key = `${spec.kind} T=${T} B=${B} I=${I} H=${H}`;
  const pool = poolOf(gm);
  const reused = pool.take(key);
  const empty = new Float32Array(0);
  const arrays: TapeArrays = reused ?? { generation: 0, wIh: empty, wHh: empty, x: empty, h: empty, saved: empty, c: empty, tanhC: empty };
  arrays.generation++;
  arrays.wIh = sized(arrays.wIh, GH * I);
  arrays.wIh.set(w.wIh.data);
  arrays.wHh = sized(arrays.wHh, GH * H);
  arrays.wHh.set(w.wHh.data);
  const { wIh, wHh } = arrays;
  const bIh = w.bIh.data;
  const bHh = w.bHh.data;
  packTransposed(wIh, GH, I, f, oWihT, GHp);
  packTransposed(wHh, GH, H, f, oWhhT, GHp);
  xs.forEach((xt, t) => f.set(xt.data, oX + t * B * I));

  // The input projection of every step: on top of both biases for the hand-written kernels; bare
  // for the generated ones, which add b_ih and b_hh themselves.
  const bias = new Float32Array(GHp);
  if (hand) for (let j = 0; j < GH; j++) bias[j] = bIh[j] + bHh[j];
  for (let r = 0; r < TB; r++) f.set(bias, oPre + r * GHp);
  gm.gemm(oX, I, 1, oWihT, GHp, oPre, GHp, TB, GHp, I, true);

  f.set(h0.data, oH);

  if (lstm) {
    // c_0..c_T and tanh(c_1..c_T) live in the module's memory too; the gates overwrite `pre`.
    f.set(c0!.data, oC);
    for (let t = 0; t < T; t++) {
      const p0 = oPre + t * B * GHp;
      gm.gemm(oH + t * BH, H, 1, oWhhT, GHp, p0, GHp, B, GHp, H, true);
      gm.lstmStep(p0, GHp, oC + t * BH, oC + (t + 1) * BH, oTanhC + t * BH, oH + (t + 1) * BH, B, H);
    }
    arrays.saved = copyOut(arrays.saved, f, oPre, TB * GH); // GH = 4H is its own padding: GHp = GH
    arrays.c = copyOut(arrays.c, f, oC, (T + 1) * BH);
    arrays.tanhC = copyOut(arrays.tanhC, f, oTanhC, T * BH);
  } else if (hand) {
    for (let t = 0; t < T; t++) {
      const p0 = oPre + t * B * GHp;
      gm.gemm(oH + t * BH, H, 1, oWhhT, GHp, p0, GHp, B, GHp, H, true);
      gm.tanhRows(p0, GHp, oH + (t + 1) * BH, B, H);
    }
  } else if (gen) {
    // The kernel generated from the spec (asm/build/cellsGenerated.ts), on the bare projection and
    // recurrent product, adding b_ih and b_hh itself as the spec's affine part says.
    f.set(bIh, oXb);
    f.set(bHh, oHb);
    for (let t = 0; t < T; t++) {
      gm.gemm(oH + t * BH, H, 1, oWhhT, GHp, oRec, GHp, B, GHp, H, false);
      gen.forward(oPre + t * B * GHp, GHp, oXb, oRec, GHp, oHb, oH + t * BH, 0, oSv + t * B * SH, oH + (t + 1) * BH, 0, B, H);
    }
    arrays.saved = copyOut(arrays.saved, f, oSv, TB * SH);
  } else {
    // A build without this cell's generated kernel (or made from other equations): the
    // JavaScript kernel generated from the same spec.
    const saved = (arrays.saved = sized(arrays.saved, TB * SH));
    const step = forwardKernel(spec, false, 'f32');
    for (let t = 0; t < T; t++) {
      gm.gemm(oH + t * BH, H, 1, oWhhT, GHp, oRec, GHp, B, GHp, H, false);
      step({
        B, H, xi: f, xiO: oPre + t * B * GHp, xiLd: GHp, xb: bIh, hh: f, hhO: oRec, hhLd: GHp, hb: bHh,
        hp: f, hpO: oH + t * BH, cp: f, cpO: 0, sv: saved, svO: t * B * SH, ho: f, hoO: oH + (t + 1) * BH, co: f, coO: 0,
      });
    }
  }

  arrays.h = copyOut(arrays.h, f, oH, (T + 1) * BH);
  // The outputs are the caller's to keep: their own array, never one the pool reuses.
  const hs = views(backend, f.slice(oH + BH, oH + (T + 1) * BH), [B, H], T, 'float32');
  arrays.x = copyOut(arrays.x, f, oX, TB * I);
  return { hs, tape: new WasmSequenceTape(spec, T, B, I, H, backend, arrays, pool, key) };
}

export function sequenceBackwardWasm(
  gm: WasmGemm, tapeIn: SequenceTape, dhs: readonly (Tensor | null)[], inputGrads: boolean,
): SequenceGrads {
  if (!(tapeIn instanceof WasmSequenceTape)) throw new Error('sequence kernel: the tape was made by another kernel');
  const tape = tapeIn;
  const { spec, steps: T, batch: B, input: I, hidden: H, backend } = tape;
  if (tape.generation !== tape.arrays.generation) {
    throw new Error('sequence kernel: this tape\'s arrays were reused by a later forward of the same shape, after its backward ran; run backward() before the next forward');
  }
  const { saved, c: cs, tanhC } = tape.arrays;
  if (dhs.length !== T) throw new Error(`sequence kernel: ${dhs.length} output gradients for ${T} steps`);
  dhs.forEach((d, t) => d && checkShape(`dL/dh_${t + 1}`, d, [B, H]));
  const G = spec.gates.length;
  const GH = G * H;
  const GHp = pad4(GH);
  const Hp = pad4(H);
  const Ip = pad4(I);
  const BH = B * H;
  const untied = !spec.tied;

  let last = T - 1;
  while (last >= 0 && !dhs[last]) last--;
  const rows = (last + 1) * B;

  // lstm and rnn_tanh run their pointwise steps in wasm (asm/cells.ts), on copies of the tape's
  // gates, tanh(c) and c in the module's memory; the other cells run the wasm kernel generated from
  // their spec on a copy of the saved values, or, on a build without it, the JavaScript one here.
  const lstm = spec.kind === 'lstm';
  const hand = HAND_WRITTEN.has(spec.kind as CellKind);
  const gen = hand ? null : gm.generatedCell(spec);
  const simd = hand || gen !== null;
  const SH = spec.saved.length * H;
  const hRows = Math.min(rows + B, (T + 1) * B); // h_0..h_{last+1}: H_prev for dW_hh, h_t for tanh'
  const [oWhh, oWih, oH, oX, oDGi, oDGh, oDh, oOnes, oDWihT, oDWhhT, oDB, oDx, oGates, oTanhC, oCst, oDc, oExt, oDhTot, oSv, oCarry, end] = layout([
    GH * Hp, inputGrads ? GH * Ip : 0, hRows * H, rows * I, rows * GHp, untied ? rows * GHp : 0, B * Hp, rows,
    I * GHp, H * GHp, (untied ? 2 : 1) * GHp, inputGrads ? rows * Ip : 0,
    lstm ? rows * GH : 0, lstm ? rows * H : 0, lstm ? rows * H : 0, lstm ? BH : 0, simd ? BH : 0, simd ? T * BH : 0,
    gen ? rows * SH : 0, gen ? BH : 0,
  ]);
  gm.reserve(end);
  const f = gm.f32;
  packRows(tape.arrays.wHh, GH, H, f, oWhh, Hp);
  const dGhOff = untied ? oDGh : oDGi;
  const h = tape.arrays.h;
  f.set(h.subarray(0, hRows * H), oH);
  if (lstm) {
    f.set(saved.subarray(0, rows * GH), oGates);
    f.set(tanhC.subarray(0, rows * H), oTanhC);
    f.set(cs.subarray(0, rows * H), oCst); // c_0..c_last
    f.fill(0, oDc, oDc + BH);
  }
  if (gen) {
    f.set(saved.subarray(0, rows * SH), oSv);
    f.fill(0, oCarry, oCarry + BH);
  }

  const dh = new Float64Array(BH); // total dL/dh_t of the current step
  const carry = new Float64Array(BH); // the direct path (the GRU's z dh): what h_{t-1} gets past W_hh
  const back = backwardKernel(spec, true, 'f32');
  const none = new Float32Array(0);
  const dhTotal = new Float32Array(simd ? 0 : T * BH);

  for (let t = last; t >= 0; t--) {
    const ext = dhs[t]?.data ?? null;
    const kPrev = t * BH;
    const kNext = kPrev + BH;
    const fromNext = t < last; // oDh holds dG_{t+1} W_hh
    const rowG = oDGi + t * B * GHp;
    if (gen) {
      if (ext) f.set(ext, oExt);
      gen.backward(oDh, Hp, fromNext, oExt, ext !== null, oDhTot + kPrev, oCarry, oSv + t * B * SH, oH + kPrev, 0, oH + kNext, 0,
        rowG, GHp, oDGh + t * B * GHp, GHp, B, H);
      gm.gemm(dGhOff + t * B * GHp, GHp, 1, oWhh, Hp, oDh, Hp, B, Hp, GH, false);
      continue;
    }
    if (simd) {
      if (ext) f.set(ext, oExt);
      if (lstm) {
        gm.lstmBackStep(oDh, Hp, fromNext, oExt, ext !== null, oDhTot + kPrev,
          oGates + t * B * GH, GH, oTanhC + kPrev, oCst + kPrev, oDc, rowG, GHp, B, H);
      } else {
        gm.tanhBackStep(oDh, Hp, fromNext, oExt, ext !== null, oDhTot + kPrev, oH + kNext, rowG, GHp, B, H);
      }
      gm.gemm(rowG, GHp, 1, oWhh, Hp, oDh, Hp, B, Hp, GH, false);
      continue;
    }
    for (let b = 0; b < B; b++) {
      const d0 = oDh + b * Hp;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        let v = fromNext ? f[d0 + j] + carry[k] : 0;
        if (ext) v += ext[k];
        dh[k] = v;
        dhTotal[kPrev + k] = v;
      }
    }
    // dL/d(pre-activation) into this step's rows (flushed to zero: see ftz), and the direct path.
    back({
      B, H, sv: saved, svO: t * B * SH, hp: h, hpO: kPrev, cp: none, cpO: 0, hn: h, hnO: kNext, dh, dhO: 0, dc: none, dcO: 0,
      u: none, dxi: f, dxiO: rowG, dxiLd: GHp, dhh: f, dhhO: oDGh + t * B * GHp, dhhLd: GHp, dur: none, durO: 0, durLd: 0,
      dhd: carry, dhdO: 0, dco: none, dcoO: 0,
    });
    // dG_h(t) W_hh: what h_{t-1} receives through this step (plus `carry` for the GRU).
    gm.gemm(dGhOff + t * B * GHp, GHp, 1, oWhh, Hp, oDh, Hp, B, Hp, GH, false);
  }

  const dh0 = new Float32Array(BH);
  if (last >= 0) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) dh0[b * H + j] = f[oDh + b * Hp + j] + (gen ? f[oCarry + b * H + j] : carry[b * H + j]);
    }
  }

  // Weight gradients, transposed: dW_ihᵀ = Xᵀ dG_i [I, GH], dW_hhᵀ = H_prevᵀ dG_h [H, GH], and
  // the biases as 1ᵀ dG: one GEMM each over all rows.
  f.set(tape.arrays.x.subarray(0, rows * I), oX);
  f.fill(1, oOnes, oOnes + rows);
  gm.gemm(oX, 1, I, oDGi, GHp, oDWihT, GHp, I, GHp, rows, false);
  gm.gemm(oH, 1, H, dGhOff, GHp, oDWhhT, GHp, H, GHp, rows, false);
  gm.gemm(oOnes, 0, 1, oDGi, GHp, oDB, GHp, 1, GHp, rows, false);
  if (untied) gm.gemm(oOnes, 0, 1, oDGh, GHp, oDB + GHp, GHp, 1, GHp, rows, false);
  const dWIh = new Float32Array(GH * I);
  for (let p = 0; p < I; p++) for (let j = 0; j < GH; j++) dWIh[j * I + p] = f[oDWihT + p * GHp + j];
  const dWHh = new Float32Array(GH * H);
  for (let p = 0; p < H; p++) for (let j = 0; j < GH; j++) dWHh[j * H + p] = f[oDWhhT + p * GHp + j];
  const dBIh = f.slice(oDB, oDB + GH);
  const dBHh = untied ? f.slice(oDB + GHp, oDB + GHp + GH) : dBIh.slice();

  let dxs: Tensor[] | null = null;
  if (inputGrads) {
    packRows(tape.arrays.wIh, GH, I, f, oWih, Ip);
    gm.gemm(oDGi, GHp, 1, oWih, Ip, oDx, Ip, rows, Ip, GH, false);
    const dx = new Float32Array(T * B * I); // zero after the last step with a gradient
    if (Ip === I) dx.set(f.subarray(oDx, oDx + rows * I));
    else for (let r = 0; r < rows; r++) dx.set(f.subarray(oDx + r * Ip, oDx + r * Ip + I), r * I);
    dxs = views(backend, dx, [B, I], T, 'float32');
  }

  const make = (data: Float32Array, shape: number[]) => new Tensor(shape, 'float32', data, backend);
  let totalsData = dhTotal;
  if (simd) {
    f.fill(0, oDhTot + rows * H, oDhTot + T * BH); // the steps after the last gradient
    totalsData = f.slice(oDhTot, oDhTot + T * BH);
  }
  const totals = views(backend, totalsData, [B, H], T, 'float32');
  // Nothing returned below is one of the tape's arrays: they can serve the next forward.
  if (!tape.returned) {
    tape.returned = true;
    tape.pool.give(tape.key, tape.arrays);
  }
  return {
    dxs,
    dh0: make(dh0, [B, H]),
    dc0: lstm ? make(last >= 0 ? f.slice(oDc, oDc + BH) : new Float32Array(BH), [B, H]) : null,
    dWIh: make(dWIh, [GH, I]),
    dWHh: make(dWHh, [GH, H]),
    dBIh: make(dBIh, [GH]),
    dBHh: make(dBHh, [GH]),
    dhs: totals.map((t, i) => (i <= last ? t : null)),
  };
}
