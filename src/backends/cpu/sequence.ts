import { allocate, type DType, type TypedArray } from '../../tensor/dtype.ts';
import { formatShape } from '../../tensor/shape.ts';
import { Tensor } from '../../tensor/tensor.ts';
import type { Backend, CellWeights, SequenceCell, SequenceGrads, SequenceTape } from '../backend.ts';
import { sigmoid } from '../pointwise.ts';
import { gruUnitGrads, lstmUnitGrads } from './cells.ts';

/**
 * Whole-sequence recurrent kernels: one forward over all T steps of a layer, one backward
 * (BPTT) over all T steps, with the torch equations of cells.ts.
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
    readonly cell: SequenceCell,
    readonly steps: number,
    readonly batch: number,
    readonly input: number,
    readonly hidden: number,
    readonly dtype: DType,
    readonly backend: Backend,
    /** W_ih [GH, I], W_hh [GH, H] as float64 copies taken at forward time. */
    readonly wIh: Float64Array,
    readonly wHh: Float64Array,
    /** Inputs x_1..x_T, [T*B, I]. */
    readonly x: Float64Array,
    /** h_0..h_T, [(T+1)*B, H], each rounded to dtype as stored in the output tensors. */
    readonly h: Float64Array,
    /** lstm: activated gates i, f, g, o [T*B, 4H]; gru: r, z, n [T*B, 3H]; rnn: unused. */
    readonly gates: Float64Array,
    /** lstm: c_0..c_T [(T+1)*B, H]; gru: W_hn h_{t-1} + b_hn [T*B, H]; rnn: unused. */
    readonly aux: Float64Array,
    /** lstm: tanh(c_t) [T*B, H]; otherwise unused. */
    readonly tanhC: Float64Array,
  ) {}
}

export function gateCount(cell: SequenceCell): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
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

export function checkShape(what: string, t: Tensor, shape: readonly number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`sequence kernel: ${what} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`);
  }
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

/** The sizes of a sequence forward, after checking every shape and dtype against h0's. */
export interface SequenceDims {
  T: number; B: number; I: number; H: number; G: number; GH: number; dtype: DType;
}

export function checkSequenceArgs(
  cell: SequenceCell, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights,
): SequenceDims {
  const T = xs.length;
  if (T === 0) throw new Error('sequence kernel: needs at least one timestep');
  if (h0.rank !== 2) throw new Error(`sequence kernel: h0 must be [B, H], got ${formatShape(h0.shape)}`);
  const [B, H] = h0.shape;
  const I = xs[0].shape[1];
  const G = gateCount(cell);
  const GH = G * H;
  const dtype = h0.dtype;
  xs.forEach((xt, t) => checkShape(`x_${t + 1}`, xt, [B, I]));
  checkShape('weight_ih', w.wIh, [GH, I]);
  checkShape('weight_hh', w.wHh, [GH, H]);
  checkShape('bias_ih', w.bIh, [GH]);
  checkShape('bias_hh', w.bHh, [GH]);
  if (cell === 'lstm') {
    if (!c0) throw new Error('sequence kernel: lstm needs c0');
    checkShape('c0', c0, [B, H]);
  }
  for (const t of [...xs, w.wIh, w.wHh, w.bIh, w.bHh, ...(c0 ? [c0] : [])]) {
    if (t.dtype !== dtype) throw new Error(`sequence kernel: dtypes ${t.dtype} and ${dtype} differ`);
  }
  return { T, B, I, H, G, GH, dtype };
}

/**
 * Forward over all T steps of one layer: h_1..h_T as T tensors [B, H] (views of one buffer),
 * and the tape the backward needs.
 */
export function sequenceForward(
  backend: Backend, cell: SequenceCell, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights,
): { hs: Tensor[]; tape: SequenceTape } {
  const { T, B, I, H, GH, dtype } = checkSequenceArgs(cell, xs, h0, c0, w);
  const f32 = dtype === 'float32';
  const wIh = toFloat64(w.wIh.data);
  const wHh = toFloat64(w.wHh.data);
  const bIh = w.bIh.data;
  const bHh = w.bHh.data;
  const BH = B * H;

  // x_1..x_T, time-major, and the input projection of every step in one GEMM.
  const x = new Float64Array(T * B * I);
  xs.forEach((xt, t) => x.set(xt.data, t * B * I));
  const pre = new Float64Array(T * B * GH);
  gemmNT(x, 0, wIh, 0, pre, 0, T * B, GH, I);
  // rnn/lstm add both biases here; the GRU keeps b_hh on the hidden side (r multiplies it).
  for (let r = 0; r < T * B; r++) {
    const o = r * GH;
    if (cell === 'gru') for (let j = 0; j < GH; j++) pre[o + j] += bIh[j];
    else for (let j = 0; j < GH; j++) pre[o + j] += bIh[j] + bHh[j];
  }

  const h = new Float64Array((T + 1) * BH);
  h.set(h0.data);
  const rec = new Float64Array(B * GH); // h_{t-1} W_hhᵀ of the current step
  let gates = new Float64Array(0);
  let aux = new Float64Array(0);
  let tanhC = new Float64Array(0);

  if (cell === 'rnn_tanh' || cell === 'rnn_relu') {
    const relu = cell === 'rnn_relu';
    for (let t = 0; t < T; t++) {
      gemmNT(h, t * BH, wHh, 0, rec, 0, B, H, H);
      const p0 = t * BH;
      const hOut = (t + 1) * BH;
      for (let k = 0; k < BH; k++) {
        const s = pre[p0 + k] + rec[k];
        let v = relu ? (s > 0 ? s : 0) : Math.tanh(s);
        if (f32) v = Math.fround(v);
        h[hOut + k] = v;
      }
    }
  } else if (cell === 'lstm') {
    gates = new Float64Array(T * B * GH);
    aux = new Float64Array((T + 1) * BH); // c_0..c_T
    aux.set(c0!.data);
    tanhC = new Float64Array(T * BH);
    for (let t = 0; t < T; t++) {
      gemmNT(h, t * BH, wHh, 0, rec, 0, B, GH, H);
      for (let b = 0; b < B; b++) {
        const g0 = (t * B + b) * GH;
        const r0 = b * GH;
        const kPrev = t * BH + b * H;
        const kNext = kPrev + BH;
        for (let j = 0; j < H; j++) {
          const ig = sigmoid(pre[g0 + j] + rec[r0 + j]);
          const fg = sigmoid(pre[g0 + H + j] + rec[r0 + H + j]);
          const gg = Math.tanh(pre[g0 + 2 * H + j] + rec[r0 + 2 * H + j]);
          const og = sigmoid(pre[g0 + 3 * H + j] + rec[r0 + 3 * H + j]);
          gates[g0 + j] = ig;
          gates[g0 + H + j] = fg;
          gates[g0 + 2 * H + j] = gg;
          gates[g0 + 3 * H + j] = og;
          const cn = fg * aux[kPrev + j] + ig * gg;
          const tc = Math.tanh(cn);
          aux[kNext + j] = cn;
          tanhC[kPrev + j] = tc;
          let v = og * tc;
          if (f32) v = Math.fround(v);
          h[kNext + j] = v;
        }
      }
    }
  } else {
    gates = new Float64Array(T * B * GH);
    aux = new Float64Array(T * BH); // W_hn h_{t-1} + b_hn
    for (let t = 0; t < T; t++) {
      gemmNT(h, t * BH, wHh, 0, rec, 0, B, GH, H);
      for (let b = 0; b < B; b++) {
        const g0 = (t * B + b) * GH;
        const r0 = b * GH;
        const kPrev = t * BH + b * H;
        const kNext = kPrev + BH;
        for (let j = 0; j < H; j++) {
          const r = sigmoid(pre[g0 + j] + rec[r0 + j] + bHh[j]);
          const z = sigmoid(pre[g0 + H + j] + rec[r0 + H + j] + bHh[H + j]);
          const hn = rec[r0 + 2 * H + j] + bHh[2 * H + j];
          const n = Math.tanh(pre[g0 + 2 * H + j] + r * hn);
          gates[g0 + j] = r;
          gates[g0 + H + j] = z;
          gates[g0 + 2 * H + j] = n;
          aux[kPrev + j] = hn;
          // (1 - z) n + z h, as torch's kernel computes it: n + z (h - n).
          let v = n + z * (h[kPrev + j] - n);
          if (f32) v = Math.fround(v);
          h[kNext + j] = v;
        }
      }
    }
  }

  const out = allocate(dtype, T * BH);
  out.set(h.subarray(BH));
  const hs = views(backend, out, [B, H], T, dtype);
  const tape = new CpuSequenceTape(cell, T, B, I, H, dtype, backend, wIh, wHh, x, h, gates, aux, tanhC);
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
  const { cell, steps: T, batch: B, input: I, hidden: H, dtype, backend, h, gates, aux, tanhC } = tape;
  if (dhs.length !== T) throw new Error(`sequence kernel: ${dhs.length} output gradients for ${T} steps`);
  dhs.forEach((d, t) => d && checkShape(`dL/dh_${t + 1}`, d, [B, H]));
  const G = gateCount(cell);
  const GH = G * H;
  const BH = B * H;

  // Steps after the last external gradient receive nothing: BPTT starts there, the weight-gradient
  // GEMMs run over the rows before it, and their totals are null (as the reference path leaves them).
  let last = T - 1;
  while (last >= 0 && !dhs[last]) last--;
  const rows = (last + 1) * B;

  const wHhT = new Float64Array(H * GH); // W_hhᵀ [H, GH]: dh = dG W_hh with contiguous reductions
  transposeInto(tape.wHh, 0, GH, H, wHhT);
  // dL/d(pre-activation) of every step, [T*B, GH]: input side (dGi) and hidden side (dGh). They
  // differ only for the GRU, where the n block of the hidden side is multiplied by r.
  const dGi = new Float64Array(rows * GH);
  const dGh = cell === 'gru' ? new Float64Array(rows * GH) : dGi;
  const dhRec = new Float64Array(BH); // what h_t receives from step t+1 (through W_hh, and z for the GRU)
  const dc = new Float64Array(BH); // lstm: dL/dc_t carried back
  const scratch = new Float64Array(cell === 'gru' ? BH : 0); // gru: dG_h W_hh before adding z dh
  const dhTotal = allocate(dtype, T * BH); // rounded to dtype as stored; the recursion stays float64

  for (let t = last; t >= 0; t--) {
    const ext = dhs[t]?.data ?? null;
    const kPrev = t * BH; // h_{t-1} / c_{t-1} / per-step [B, H] buffers
    const kNext = kPrev + BH; // h_t / c_t
    // Total dL/dh_t = external + recurrent; dhRec becomes that total.
    for (let k = 0; k < BH; k++) {
      const v = ext ? dhRec[k] + ext[k] : dhRec[k];
      dhRec[k] = v;
      dhTotal[kPrev + k] = v;
    }
    const dh = dhRec;
    if (cell === 'rnn_tanh') {
      for (let k = 0; k < BH; k++) {
        const y = h[kNext + k];
        dGi[kPrev + k] = dh[k] * (1 + y) * (1 - y);
      }
    } else if (cell === 'rnn_relu') {
      // y > 0 exactly when the pre-activation is > 0 (torch's gradient at 0 is 0).
      for (let k = 0; k < BH; k++) dGi[kPrev + k] = h[kNext + k] > 0 ? dh[k] : 0;
    } else if (cell === 'lstm') {
      for (let b = 0; b < B; b++) {
        const g0 = (t * B + b) * GH;
        for (let j = 0; j < H; j++) {
          const k = b * H + j;
          dc[k] = lstmUnitGrads(dGi, gates, g0, H, j, dh[k], dc[k], tanhC[kPrev + k], aux[kPrev + k]);
        }
      }
    } else {
      for (let b = 0; b < B; b++) {
        const g0 = (t * B + b) * GH;
        for (let j = 0; j < H; j++) {
          const k = b * H + j;
          const r = gates[g0 + j];
          const z = gates[g0 + H + j];
          const n = gates[g0 + 2 * H + j];
          gruUnitGrads(dGi, g0, dGh, g0, H, j, dh[k], r, z, n, h[kPrev + k], aux[kPrev + k]);
        }
      }
    }
    // dL/dh_{t-1} through this step: dG_h W_hh, plus z dh for the GRU (dhRec is overwritten).
    if (cell === 'gru') {
      gemmNT(dGh, t * B * GH, wHhT, 0, scratch, 0, B, H, GH);
      for (let b = 0; b < B; b++) {
        const g0 = (t * B + b) * GH;
        for (let j = 0; j < H; j++) dhRec[b * H + j] = dhRec[b * H + j] * gates[g0 + H + j] + scratch[b * H + j];
      }
    } else {
      gemmNT(dGh, t * B * GH, wHhT, 0, dhRec, 0, B, H, GH);
    }
  }

  // Weight gradients: one GEMM each over all rows, reductions made contiguous by transposing.
  const dGiT = new Float64Array(GH * rows);
  transposeInto(dGi, 0, rows, GH, dGiT);
  const dGhT = cell === 'gru' ? new Float64Array(GH * rows) : dGiT;
  if (cell === 'gru') transposeInto(dGh, 0, rows, GH, dGhT);
  const hT = new Float64Array(H * rows); // h_0..h_{last}, transposed: [H, rows]
  transposeInto(h, 0, rows, H, hT);
  const xT = new Float64Array(I * rows);
  transposeInto(tape.x, 0, rows, I, xT);
  const dWIh = new Float64Array(GH * I);
  const dWHh = new Float64Array(GH * H);
  gemmNT(dGiT, 0, xT, 0, dWIh, 0, GH, I, rows);
  gemmNT(dGhT, 0, hT, 0, dWHh, 0, GH, H, rows);
  const dBIh = rowSums(dGiT, GH, rows);
  const dBHh = cell === 'gru' ? rowSums(dGhT, GH, rows) : dBIh;

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
    dc0: cell === 'lstm' ? tensorFrom(backend, dc, [B, H], dtype) : null,
    dWIh: tensorFrom(backend, dWIh, [GH, I], dtype),
    dWHh: tensorFrom(backend, dWHh, [GH, H], dtype),
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
