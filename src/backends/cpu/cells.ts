import { backwardKernel, forwardKernel, writesDirect } from '../../cells/generateJs.ts';
import type { CellSpec } from '../../cells/spec.ts';
import { allocate, type DType, type TypedArray } from '../../tensor/dtype.ts';
import { gemm } from './gemm.ts';

/**
 * One fused recurrent step on the CPU, for any cell: the affine part (GEMMs, written once here)
 * around the pointwise kernels generated from the cell's spec (src/cells/generateJs.ts).
 * Products and sums are formed in float64; the outputs are stored in the tensors' dtype.
 */

/** Raw weights of one layer: W_ih [G*H, I], W_hh [G*H, H] (or [G*H], diagonal), b_ih, b_hh [G*H]. */
export interface RawWeights {
  wIh: TypedArray;
  wHh: TypedArray;
  bIh: TypedArray;
  bHh: TypedArray;
}

export interface RawStepGrads {
  dx: TypedArray;
  dh: TypedArray;
  dc: TypedArray | null;
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

const f64 = (t: TypedArray): Float64Array => (t instanceof Float64Array ? t : Float64Array.from(t));

export function stepForward(
  spec: CellSpec, x: TypedArray, h: TypedArray, c: TypedArray | null, w: RawWeights, d: Dims, dtype: DType,
): { h: TypedArray; c: TypedArray | null; saved: TypedArray } {
  const { batch: B, input: I, hidden: H } = d;
  const GH = spec.gates.length * H;
  const xi = new Float64Array(B * GH);
  gemm(x, w.wIh, xi, B, GH, I, false, true, false);
  let hh: Float64Array;
  if (spec.recurrent === 'matrix') {
    hh = new Float64Array(B * GH);
    gemm(h, w.wHh, hh, B, GH, H, false, true, false);
  } else {
    hh = f64(w.wHh);
  }
  const hOut = allocate(dtype, B * H);
  const cOut = spec.cellState ? allocate(dtype, B * H) : null;
  const saved = allocate(dtype, B * spec.saved.length * H);
  const arrays = dtype === 'float32' ? 'f32' : 'f64';
  forwardKernel(spec, false, arrays)({
    B, H, xi, xiO: 0, xiLd: GH, xb: w.bIh, hh, hhO: 0, hhLd: GH, hb: w.bHh,
    hp: f64(h), hpO: 0, cp: c ? f64(c) : xi, cpO: 0, sv: saved as Float32Array | Float64Array, svO: 0,
    hoO: 0, ho: hOut as Float32Array | Float64Array, co: (cOut ?? hOut) as Float32Array | Float64Array, coO: 0,
  });
  return { h: hOut, c: cOut, saved };
}

export function stepBackward(
  spec: CellSpec, x: TypedArray, h: TypedArray, c: TypedArray | null, hNext: TypedArray, saved: TypedArray,
  dhIn: TypedArray | null, dcIn: TypedArray | null, w: RawWeights, d: Dims, dtype: DType,
): RawStepGrads {
  const { batch: B, input: I, hidden: H } = d;
  const GH = spec.gates.length * H;
  const diagonal = spec.recurrent === 'diagonal';
  const dGi = new Float64Array(B * GH);
  const dGh = spec.tied ? dGi : new Float64Array(B * GH);
  const dur = diagonal ? new Float64Array(B * GH) : dGi;
  const direct = writesDirect(spec) ? new Float64Array(B * H) : null;
  // dL/dc_{t-1} is stored straight in the dtype (rounded once, as every output here).
  const dc = spec.cellState ? allocate(dtype, B * H) : null;
  const zeros = new Float64Array(B * H);
  const hp = f64(h);
  backward64(spec)({
    B, H, sv: f64(saved), svO: 0, hp, hpO: 0, cp: c ? f64(c) : zeros, cpO: 0, hn: f64(hNext), hnO: 0,
    dh: dhIn ? f64(dhIn) : zeros, dhO: 0, dc: dcIn ? f64(dcIn) : zeros, dcO: 0, u: w.wHh,
    dxi: dGi, dxiO: 0, dxiLd: GH, dhh: dGh, dhhO: 0, dhhLd: GH, dur, durO: 0, durLd: GH,
    dhd: direct ?? zeros, dhdO: 0, dco: (dc ?? zeros) as Float32Array | Float64Array, dcoO: 0,
  });
  const dx = allocate(dtype, B * I);
  const dWIh = allocate(dtype, GH * I);
  gemm(dGi, w.wIh, dx, B, I, GH, false, false, false);
  gemm(dGi, x, dWIh, GH, I, B, true, false, false);
  const dh = allocate(dtype, B * H);
  let dWHh: TypedArray;
  if (diagonal) {
    dWHh = columnSums(dur, B, GH, dtype);
    dh.set(direct!);
  } else {
    dWHh = allocate(dtype, GH * H);
    gemm(dGh, w.wHh, dh, B, H, GH, false, false, false);
    gemm(dGh, h, dWHh, GH, H, B, true, false, false);
    if (direct) for (let k = 0; k < dh.length; k++) dh[k] += direct[k];
  }
  return { dx, dh, dc, dWIh, dWHh, dBIh: columnSums(dGi, B, GH, dtype), dBHh: columnSums(dGh, B, GH, dtype) };
}

/** The float64 backward kernel (the step kernel stores float64 and rounds once, at the end). */
const backward64 = (spec: CellSpec) => backwardKernel(spec, false, 'f64');

function columnSums(m: Float64Array, rows: number, cols: number, dtype: DType): TypedArray {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) acc[c] += m[r * cols + c];
  const out = allocate(dtype, cols);
  out.set(acc);
  return out;
}
