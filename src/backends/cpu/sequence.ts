import { allocate, type DType, type TypedArray } from '../../tensor/dtype.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { backwardKernel, forwardKernel, writesDirect } from '../../cells/generateJs.ts';
import type { CellSpec } from '../../cells/spec.ts';
import type { Backend, CellWeights, SequenceGrads, SequenceTape } from '../backend.ts';
import { checkSequenceArgs, checkShape } from '../sequenceArgs.ts';

/**
 * Whole-sequence recurrent kernels for any cell: one forward over all T steps of a layer, one
 * backward (BPTT) over all T steps. The pointwise math of each step is the kernel generated from
 * the cell's spec (src/cells/generateJs.ts); this file is the affine part and the BPTT loop.
 *
 * Where the time goes and how it is cut (bench/NOTES.md has the measurements):
 *  - the input projection X W_ihᵀ is one GEMM over all B*T rows instead of T small ones;
 *  - the weight gradients are one GEMM each over all B*T rows at the end (dW_ih = dGᵀ X,
 *    dW_hh = dGᵀ H_prev, biases = sums of dG), instead of T per-step gradient tensors that
 *    autograd then adds up one by one;
 *  - the per-step recurrent products (h W_hhᵀ forward, dG W_hh backward) run through one
 *    register-tiled kernel, `gemmNT`, on float64 copies made once per call (W_hh and W_hhᵀ),
 *    so the hot loops see only Float64Array (monomorphic) and walk memory contiguously;
 *  - every buffer is allocated once per call; nothing is allocated per step.
 *
 * float32 tensors run these equations on WebAssembly SIMD instead (sequenceWasm.ts) whenever the
 * wasm kernels are built; this file is the float64 path (every gradient check) and the float32
 * fallback.
 *
 * Numerics: all sums are formed in float64 (JS numbers) whatever the tensor dtype. The hidden
 * states are rounded to the tensor dtype as they are produced (they are outputs, and the next
 * step, the layer above and dW_hh must all see the same h_t); gates and the LSTM cell state stay
 * in float64 inside the kernel. For float64 tensors the results equal the reference path's to
 * rounding (only the order of the sums differs).
 */

/** What the forward keeps for the backward: float64 buffers, time-major (row t*B + b). */
class CpuSequenceTape implements SequenceTape {
  constructor(
    readonly spec: CellSpec,
    readonly steps: number,
    readonly batch: number,
    readonly input: number,
    readonly hidden: number,
    readonly dtype: DType,
    readonly backend: Backend,
    /** W_ih [GH, I], W_hh [GH, H] (or [GH], diagonal) as float64 copies taken at forward time. */
    readonly wIh: Float64Array,
    readonly wHh: Float64Array,
    /** Inputs x_1..x_T, [T*B, I]. */
    readonly x: Float64Array,
    /** h_0..h_T, [(T+1)*B, H], each rounded to dtype as stored in the output tensors. */
    readonly h: Float64Array,
    /** The spec's saved values of every step, [T*B, S*H]. */
    readonly saved: Float64Array,
    /** c_0..c_T [(T+1)*B, H] for cells with a cell state; else empty. */
    readonly c: Float64Array,
  ) {}
}

/**
 * C[cOff + i*n + j] = sum_p A[aOff + i*k + p] * B[bOff + j*k + p] for i < m, j < n: "A Bᵀ" with
 * both reductions contiguous. Tiles of 4 rows of A by 2 rows of B keep 8 float64 accumulators
 * in registers and load 6 values per 8 multiply-adds (a plain dot product loads 2 per 1).
 */
export function gemmNT(
  a: Float64Array, aOff: number, b: Float64Array, bOff: number, c: Float64Array, cOff: number,
  m: number, n: number, k: number,
): void {
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const a0 = aOff + i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    const c0 = cOff + i * n;
    const c1 = c0 + n;
    const c2 = c1 + n;
    const c3 = c2 + n;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const b0 = bOff + j * k;
      const b1 = b0 + k;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let p = 0; p < k; p++) {
        const w0 = b[b0 + p];
        const w1 = b[b1 + p];
        const x0 = a[a0 + p];
        s00 += x0 * w0;
        s01 += x0 * w1;
        const x1 = a[a1 + p];
        s10 += x1 * w0;
        s11 += x1 * w1;
        const x2 = a[a2 + p];
        s20 += x2 * w0;
        s21 += x2 * w1;
        const x3 = a[a3 + p];
        s30 += x3 * w0;
        s31 += x3 * w1;
      }
      c[c0 + j] = s00;
      c[c0 + j + 1] = s01;
      c[c1 + j] = s10;
      c[c1 + j + 1] = s11;
      c[c2 + j] = s20;
      c[c2 + j + 1] = s21;
      c[c3 + j] = s30;
      c[c3 + j + 1] = s31;
    }
    if (j < n) {
      const b0 = bOff + j * k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const w = b[b0 + p];
        s0 += a[a0 + p] * w;
        s1 += a[a1 + p] * w;
        s2 += a[a2 + p] * w;
        s3 += a[a3 + p] * w;
      }
      c[c0 + j] = s0;
      c[c1 + j] = s1;
      c[c2 + j] = s2;
      c[c3 + j] = s3;
    }
  }
  // Leftover rows (m not a multiple of 4): dot products with 4 independent accumulators.
  for (; i < m; i++) {
    const a0 = aOff + i * k;
    const c0 = cOff + i * n;
    for (let j = 0; j < n; j++) {
      const b0 = bOff + j * k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let p = 0;
      for (; p + 3 < k; p += 4) {
        s0 += a[a0 + p] * b[b0 + p];
        s1 += a[a0 + p + 1] * b[b0 + p + 1];
        s2 += a[a0 + p + 2] * b[b0 + p + 2];
        s3 += a[a0 + p + 3] * b[b0 + p + 3];
      }
      for (; p < k; p++) s0 += a[a0 + p] * b[b0 + p];
      c[c0 + j] = (s0 + s1) + (s2 + s3);
    }
  }
}

/** dst[c*rows + r] = src[srcOff + r*cols + c]: the transpose of a [rows, cols] block. */
function transposeInto(src: Float64Array, srcOff: number, rows: number, cols: number, dst: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const s = srcOff + r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[s + c];
  }
}

function toFloat64(t: TypedArray): Float64Array {
  return t instanceof Float64Array ? t.slice() : Float64Array.from(t);
}

/** `count` tensors of `shape`, each a view of its own block of one buffer. */
export function views(backend: Backend, buf: TypedArray, shape: number[], count: number, dtype: DType): Tensor[] {
  const size = shape.reduce((s, d) => s * d, 1);
  return Array.from({ length: count }, (_, t) => new Tensor([...shape], dtype, buf.subarray(t * size, (t + 1) * size), backend));
}

export function tensorFrom(backend: Backend, values: Float64Array, shape: number[], dtype: DType): Tensor {
  const data = allocate(dtype, values.length);
  data.set(values);
  return new Tensor(shape, dtype, data, backend);
}

/**
 * Forward over all T steps of one layer: h_1..h_T as T tensors [B, H] (views of one buffer),
 * and the tape the backward needs.
 */
export function sequenceForward(
  backend: Backend, spec: CellSpec, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights,
): { hs: Tensor[]; tape: SequenceTape } {
  const { T, B, I, H, GH, dtype } = checkSequenceArgs(spec, xs, h0, c0, w);
  const matrix = spec.recurrent === 'matrix';
  const wIh = toFloat64(w.wIh.data);
  const wHh = toFloat64(w.wHh.data);
  const BH = B * H;
  const SH = spec.saved.length * H;

  // x_1..x_T, time-major, and the input projection of every step in one GEMM.
  const x = new Float64Array(T * B * I);
  xs.forEach((xt, t) => x.set(xt.data, t * B * I));
  const xi = new Float64Array(T * B * GH);
  gemmNT(x, 0, wIh, 0, xi, 0, T * B, GH, I);

  const h = new Float64Array((T + 1) * BH);
  h.set(h0.data);
  const c = new Float64Array(spec.cellState ? (T + 1) * BH : 0);
  if (c0) c.set(c0.data);
  const saved = new Float64Array(T * B * SH);
  const rec = matrix ? new Float64Array(B * GH) : wHh; // h_{t-1} W_hhᵀ of the current step, or u
  // h_t rounded to the tensors' dtype as it is stored: the next step, the layer above and dW_hh
  // all see the h_t the output tensor holds. Everything else stays float64 inside the kernel.
  const step = forwardKernel(spec, dtype === 'float32', 'f64');
  for (let t = 0; t < T; t++) {
    if (matrix) gemmNT(h, t * BH, wHh, 0, rec, 0, B, GH, H);
    step({
      B, H, xi, xiO: t * B * GH, xiLd: GH, xb: w.bIh.data, hh: rec, hhO: 0, hhLd: GH, hb: w.bHh.data,
      hp: h, hpO: t * BH, cp: c, cpO: t * BH, sv: saved, svO: t * B * SH, ho: h, hoO: (t + 1) * BH, co: c, coO: (t + 1) * BH,
    });
  }

  const out = allocate(dtype, T * BH);
  out.set(h.subarray(BH));
  const hs = views(backend, out, [B, H], T, dtype);
  const tape = new CpuSequenceTape(spec, T, B, I, H, dtype, backend, wIh, wHh, x, h, saved, c);
  return { hs, tape };
}

/**
 * BPTT over all T steps. `dhs[t]` is the external dL/dh_{t+1} (from the head, the layer above,
 * ...), null where there is none. Returns the input, state and weight gradients, and the total
 * derivative dL/dh_t of every step (external plus what flows back through later steps).
 */
export function sequenceBackward(tapeIn: SequenceTape, dhs: readonly (Tensor | null)[], inputGrads: boolean): SequenceGrads {
  if (!(tapeIn instanceof CpuSequenceTape)) throw new Error('sequence kernel: the tape was made by another backend');
  const tape = tapeIn;
  const { spec, steps: T, batch: B, input: I, hidden: H, dtype, backend, h, saved, c } = tape;
  if (dhs.length !== T) throw new Error(`sequence kernel: ${dhs.length} output gradients for ${T} steps`);
  dhs.forEach((d, t) => d && checkShape(`dL/dh_${t + 1}`, d, [B, H]));
  const GH = spec.gates.length * H;
  const BH = B * H;
  const SH = spec.saved.length * H;
  const matrix = spec.recurrent === 'matrix';
  const direct = writesDirect(spec);

  // Steps after the last external gradient receive nothing: BPTT starts there, the weight-gradient
  // GEMMs run over the rows before it, and their totals are null (as the reference path leaves them).
  let last = T - 1;
  while (last >= 0 && !dhs[last]) last--;
  const rows = (last + 1) * B;

  const wHhT = new Float64Array(matrix ? H * GH : 0); // W_hhᵀ [H, GH]: dh = dG W_hh with contiguous reductions
  if (matrix) transposeInto(tape.wHh, 0, GH, H, wHhT);
  // dL/d(pre-activation) of every step, [T*B, GH]: input side (dGi) and hidden side (dGh); one
  // buffer when the spec ties them (every cell but the GRU).
  const dGi = new Float64Array(rows * GH);
  const dGh = spec.tied ? dGi : new Float64Array(rows * GH);
  const dur = new Float64Array(matrix ? 0 : rows * GH); // diagonal: dhh ⊙ h_{t-1}, summed into dL/du
  const dhRec = new Float64Array(BH); // what h_t receives from step t+1
  const dc = new Float64Array(spec.cellState ? BH : 0); // dL/dc_t carried back
  const dhd = new Float64Array(direct ? BH : 0); // the direct path to h_{t-1}
  const dhTotal = allocate(dtype, T * BH); // rounded to dtype as stored; the recursion stays float64
  const back = backwardKernel(spec, false, 'f64');

  for (let t = last; t >= 0; t--) {
    const ext = dhs[t]?.data ?? null;
    const kPrev = t * BH; // h_{t-1} / c_{t-1} / per-step [B, H] buffers
    // Total dL/dh_t = external + recurrent; dhRec becomes that total.
    for (let k = 0; k < BH; k++) {
      const v = ext ? dhRec[k] + ext[k] : dhRec[k];
      dhRec[k] = v;
      dhTotal[kPrev + k] = v;
    }
    back({
      B, H, sv: saved, svO: t * B * SH, hp: h, hpO: kPrev, cp: c, cpO: kPrev, hn: h, hnO: kPrev + BH,
      dh: dhRec, dhO: 0, dc, dcO: 0, u: tape.wHh,
      dxi: dGi, dxiO: t * B * GH, dxiLd: GH, dhh: dGh, dhhO: t * B * GH, dhhLd: GH, dur, durO: t * B * GH, durLd: GH,
      dhd, dhdO: 0, dco: dc, dcoO: 0,
    });
    // dL/dh_{t-1} through this step: dG_h W_hh (matrix), plus the direct path (dhRec is overwritten).
    if (matrix) gemmNT(dGh, t * B * GH, wHhT, 0, dhRec, 0, B, H, GH);
    else dhRec.fill(0);
    if (direct) for (let k = 0; k < BH; k++) dhRec[k] += dhd[k];
  }

  // Weight gradients: one GEMM each over all rows, reductions made contiguous by transposing.
  const dGiT = new Float64Array(GH * rows);
  transposeInto(dGi, 0, rows, GH, dGiT);
  const dGhT = spec.tied ? dGiT : new Float64Array(GH * rows);
  if (!spec.tied) transposeInto(dGh, 0, rows, GH, dGhT);
  const xT = new Float64Array(I * rows);
  transposeInto(tape.x, 0, rows, I, xT);
  const dWIh = new Float64Array(GH * I);
  gemmNT(dGiT, 0, xT, 0, dWIh, 0, GH, I, rows);
  let dWHh: Float64Array;
  if (matrix) {
    const hT = new Float64Array(H * rows); // h_0..h_{last}, transposed: [H, rows]
    transposeInto(h, 0, rows, H, hT);
    dWHh = new Float64Array(GH * H);
    gemmNT(dGhT, 0, hT, 0, dWHh, 0, GH, H, rows);
  } else {
    const durT = new Float64Array(GH * rows);
    transposeInto(dur, 0, rows, GH, durT);
    dWHh = rowSums(durT, GH, rows);
  }
  const dBIh = rowSums(dGiT, GH, rows);
  const dBHh = spec.tied ? dBIh : rowSums(dGhT, GH, rows);

  let dxs: Tensor[] | null = null;
  if (inputGrads) {
    const wIhT = new Float64Array(I * GH);
    transposeInto(tape.wIh, 0, GH, I, wIhT);
    const dx = new Float64Array(T * B * I); // zero after the last step with a gradient
    gemmNT(dGi, 0, wIhT, 0, dx, 0, rows, I, GH);
    const out = allocate(dtype, dx.length);
    out.set(dx);
    dxs = views(backend, out, [B, I], T, dtype);
  }

  const totals = views(backend, dhTotal, [B, H], T, dtype);
  return {
    dxs,
    dh0: tensorFrom(backend, dhRec, [B, H], dtype),
    dc0: spec.cellState ? tensorFrom(backend, dc, [B, H], dtype) : null,
    dWIh: tensorFrom(backend, dWIh, [GH, I], dtype),
    dWHh: tensorFrom(backend, dWHh, matrix ? [GH, H] : [GH], dtype),
    dBIh: tensorFrom(backend, dBIh, [GH], dtype),
    dBHh: tensorFrom(backend, dBHh, [GH], dtype),
    dhs: totals.map((t, i) => (i <= last ? t : null)),
  };
}

function rowSums(m: Float64Array, rowsOut: number, cols: number): Float64Array {
  const out = new Float64Array(rowsOut);
  for (let r = 0; r < rowsOut; r++) {
    const o = r * cols;
    let s0 = 0, s1 = 0;
    let c = 0;
    for (; c + 1 < cols; c += 2) {
      s0 += m[o + c];
      s1 += m[o + c + 1];
    }
    if (c < cols) s0 += m[o + c];
    out[r] = s0 + s1;
  }
  return out;
}
