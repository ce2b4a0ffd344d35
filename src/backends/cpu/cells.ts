import { allocate, type DType, type TypedArray } from '../../tensor/dtype.ts';
import { sigmoid } from '../pointwise.ts';
import { gemm } from './gemm.ts';

/** Raw weights of one layer: W_ih [G*H, I], W_hh [G*H, H], b_ih, b_hh [G*H]. */
export interface RawWeights {
  wIh: TypedArray;
  wHh: TypedArray;
  bIh: TypedArray;
  bHh: TypedArray;
}

export interface RawCellGrads {
  dx: TypedArray;
  dh: TypedArray;
  dWIh: TypedArray;
  dWHh: TypedArray;
  dBIh: TypedArray;
  dBHh: TypedArray;
}

export interface Dims {
  batch: number;
  input: number;
  hidden: number;
}

/** pre[B, G*H] = x W_ih^T + b_ih + h W_hh^T + b_hh (the affine part shared by every cell). */
function affine(x: TypedArray, h: TypedArray, w: RawWeights, d: Dims, gh: number): Float64Array {
  const pre = new Float64Array(d.batch * gh);
  for (let b = 0; b < d.batch; b++) for (let j = 0; j < gh; j++) pre[b * gh + j] = w.bIh[j] + w.bHh[j];
  gemm(x, w.wIh, pre, d.batch, gh, d.input, false, true, true);
  gemm(h, w.wHh, pre, d.batch, gh, d.hidden, false, true, true);
  return pre;
}

/**
 * Weight and input gradients shared by every cell, given dL/dpre for the input-side (dGi) and
 * hidden-side (dGh) affine maps. They differ only for the GRU, whose n gate sees r * (W_hn h).
 */
function affineBackward(
  x: TypedArray, h: TypedArray, w: RawWeights, d: Dims, gh: number,
  dGi: Float64Array, dGh: Float64Array, dtype: DType,
): RawCellGrads {
  const dx = allocate(dtype, d.batch * d.input);
  const dh = allocate(dtype, d.batch * d.hidden);
  const dWIh = allocate(dtype, gh * d.input);
  const dWHh = allocate(dtype, gh * d.hidden);
  gemm(dGi, w.wIh, dx, d.batch, d.input, gh, false, false, false);
  gemm(dGh, w.wHh, dh, d.batch, d.hidden, gh, false, false, false);
  gemm(dGi, x, dWIh, gh, d.input, d.batch, true, false, false);
  gemm(dGh, h, dWHh, gh, d.hidden, d.batch, true, false, false);
  return { dx, dh, dWIh, dWHh, dBIh: columnSums(dGi, d.batch, gh, dtype), dBHh: columnSums(dGh, d.batch, gh, dtype) };
}

function columnSums(m: Float64Array, rows: number, cols: number, dtype: DType): TypedArray {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) acc[c] += m[r * cols + c];
  const out = allocate(dtype, cols);
  out.set(acc);
  return out;
}

// ---- vanilla RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh) ----

export function rnnForward(relu: boolean, x: TypedArray, h: TypedArray, w: RawWeights, d: Dims, dtype: DType): TypedArray {
  const pre = affine(x, h, w, d, d.hidden);
  const out = allocate(dtype, pre.length);
  for (let i = 0; i < pre.length; i++) out[i] = relu ? (pre[i] > 0 ? pre[i] : 0) : Math.tanh(pre[i]);
  return out;
}

export function rnnBackward(
  relu: boolean, x: TypedArray, h: TypedArray, hNext: TypedArray, dhNext: TypedArray, w: RawWeights, d: Dims, dtype: DType,
): RawCellGrads {
  const dPre = new Float64Array(hNext.length);
  for (let i = 0; i < dPre.length; i++) {
    const y = hNext[i];
    // relu: y > 0 exactly when the pre-activation is > 0 (torch's gradient at 0 is 0).
    dPre[i] = relu ? (y > 0 ? dhNext[i] : 0) : dhNext[i] * (1 + y) * (1 - y);
  }
  return affineBackward(x, h, w, d, d.hidden, dPre, dPre, dtype);
}

// ---- LSTM (torch gate order i, f, g, o) ----
// c' = f c + i g,  h' = o tanh(c')

export function lstmForward(
  x: TypedArray, h: TypedArray, c: TypedArray, w: RawWeights, d: Dims, dtype: DType,
): { h: TypedArray; c: TypedArray; gates: TypedArray } {
  const H = d.hidden;
  const pre = affine(x, h, w, d, 4 * H);
  const hOut = allocate(dtype, d.batch * H);
  const cOut = allocate(dtype, d.batch * H);
  const gates = allocate(dtype, pre.length);
  for (let b = 0; b < d.batch; b++) {
    const g0 = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const ig = sigmoid(pre[g0 + j]);
      const fg = sigmoid(pre[g0 + H + j]);
      const gg = Math.tanh(pre[g0 + 2 * H + j]);
      const og = sigmoid(pre[g0 + 3 * H + j]);
      gates[g0 + j] = ig;
      gates[g0 + H + j] = fg;
      gates[g0 + 2 * H + j] = gg;
      gates[g0 + 3 * H + j] = og;
      const cn = fg * c[b * H + j] + ig * gg;
      cOut[b * H + j] = cn;
      hOut[b * H + j] = og * Math.tanh(cn);
    }
  }
  return { h: hOut, c: cOut, gates };
}


/**
 * LSTM backward for one unit j (gate order i, f, g, o; c' = f c + i g, h' = o tanh(c')): from the
 * activated gates in row `row` of `gates`, tanh(c'), c and the gradients reaching h' (dh) and c'
 * (dcIn), writes dL/d(pre-activation) of the four gates into the same row of `dPre` and returns
 * dL/dc. One copy of these equations for the fused step and the float64 sequence kernel.
 */
export function lstmUnitGrads(
  dPre: TypedArray, gates: TypedArray, row: number, H: number, j: number, dh: number, dcIn: number, tc: number, c: number,
): number {
  const ig = gates[row + j];
  const fg = gates[row + H + j];
  const gg = gates[row + 2 * H + j];
  const og = gates[row + 3 * H + j];
  const dct = dcIn + dh * og * (1 + tc) * (1 - tc);
  dPre[row + j] = dct * gg * ig * (1 - ig);
  dPre[row + H + j] = dct * c * fg * (1 - fg);
  dPre[row + 2 * H + j] = dct * ig * (1 + gg) * (1 - gg);
  dPre[row + 3 * H + j] = dh * tc * og * (1 - og);
  return dct * fg;
}

export function lstmBackward(
  x: TypedArray, h: TypedArray, c: TypedArray, cNext: TypedArray, gates: TypedArray,
  dhNext: TypedArray | null, dcNext: TypedArray | null, w: RawWeights, d: Dims, dtype: DType,
): RawCellGrads & { dc: TypedArray } {
  const H = d.hidden;
  const dPre = new Float64Array(d.batch * 4 * H);
  const dc = allocate(dtype, d.batch * H);
  for (let b = 0; b < d.batch; b++) {
    const g0 = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const k = b * H + j;
      dc[k] = lstmUnitGrads(dPre, gates, g0, H, j, dhNext ? dhNext[k] : 0, dcNext ? dcNext[k] : 0, Math.tanh(cNext[k]), c[k]);
    }
  }
  return { ...affineBackward(x, h, w, d, 4 * H, dPre, dPre, dtype), dc };
}

// ---- GRU (torch gate order r, z, n) ----
// n = tanh(W_in x + b_in + r (W_hn h + b_hn)),  h' = (1 - z) n + z h

export function gruForward(
  x: TypedArray, h: TypedArray, w: RawWeights, d: Dims, dtype: DType,
): { h: TypedArray; gates: TypedArray; hn: TypedArray } {
  const H = d.hidden;
  const G = 3 * H;
  const gi = new Float64Array(d.batch * G);
  const gh = new Float64Array(d.batch * G);
  for (let b = 0; b < d.batch; b++) {
    for (let j = 0; j < G; j++) {
      gi[b * G + j] = w.bIh[j];
      gh[b * G + j] = w.bHh[j];
    }
  }
  gemm(x, w.wIh, gi, d.batch, G, d.input, false, true, true);
  gemm(h, w.wHh, gh, d.batch, G, d.hidden, false, true, true);
  const hOut = allocate(dtype, d.batch * H);
  const gates = allocate(dtype, d.batch * G);
  const hn = allocate(dtype, d.batch * H);
  for (let b = 0; b < d.batch; b++) {
    const g0 = b * G;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(gi[g0 + j] + gh[g0 + j]);
      const z = sigmoid(gi[g0 + H + j] + gh[g0 + H + j]);
      const hnv = gh[g0 + 2 * H + j];
      const n = Math.tanh(gi[g0 + 2 * H + j] + r * hnv);
      gates[g0 + j] = r;
      gates[g0 + H + j] = z;
      gates[g0 + 2 * H + j] = n;
      hn[b * H + j] = hnv;
      hOut[b * H + j] = (1 - z) * n + z * h[b * H + j];
    }
  }
  return { h: hOut, gates, hn };
}

const asIs = (v: number): number => v;

/**
 * GRU backward for one unit j (gate order r, z, n; n = tanh(gi_n + r (W_hn h + b_hn)),
 * h' = (1 - z) n + z h): dL/d(pre-activation) of r, z and n, written into the input-side row
 * gi[giRow + gate*H + j] and the hidden-side row gh[ghRow + gate*H + j], whose n entry carries
 * the factor r. `store` maps each value before it is written (the float32 wasm path flushes
 * subnormals). The direct path z dh to h_{t-1} is the caller's. One copy of these equations for
 * the fused step, the float64 sequence kernel and the float32 wasm one.
 */
export function gruUnitGrads(
  gi: TypedArray, giRow: number, gh: TypedArray, ghRow: number, H: number, j: number,
  dh: number, r: number, z: number, n: number, hPrev: number, hn: number, store: (v: number) => number = asIs,
): void {
  const dPreN = dh * (1 - z) * (1 + n) * (1 - n);
  const dPreZ = dh * (hPrev - n) * z * (1 - z);
  const dPreR = dPreN * hn * r * (1 - r);
  gi[giRow + j] = store(dPreR);
  gh[ghRow + j] = store(dPreR);
  gi[giRow + H + j] = store(dPreZ);
  gh[ghRow + H + j] = store(dPreZ);
  gi[giRow + 2 * H + j] = store(dPreN);
  gh[ghRow + 2 * H + j] = store(dPreN * r);
}

export function gruBackward(
  x: TypedArray, h: TypedArray, gates: TypedArray, hn: TypedArray, dhNext: TypedArray, w: RawWeights, d: Dims, dtype: DType,
): RawCellGrads {
  const H = d.hidden;
  const G = 3 * H;
  const dGi = new Float64Array(d.batch * G);
  const dGh = new Float64Array(d.batch * G);
  const direct = new Float64Array(d.batch * H);
  for (let b = 0; b < d.batch; b++) {
    const g0 = b * G;
    for (let j = 0; j < H; j++) {
      const k = b * H + j;
      const r = gates[g0 + j];
      const z = gates[g0 + H + j];
      const n = gates[g0 + 2 * H + j];
      const dhv = dhNext[k];
      gruUnitGrads(dGi, g0, dGh, g0, H, j, dhv, r, z, n, h[k], hn[k]);
      direct[k] = dhv * z;
    }
  }
  const grads = affineBackward(x, h, w, d, G, dGi, dGh, dtype);
  for (let k = 0; k < direct.length; k++) grads.dh[k] += direct[k];
  return grads;
}
