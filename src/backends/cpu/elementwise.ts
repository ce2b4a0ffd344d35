import { allocate, type DType, type TypedArray } from '../../tensor/dtype.ts';
import { broadcastShapes, numel, sameShape, stridesOf, type Shape } from '../../tensor/shape.ts';
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp } from '../pointwise.ts';

export function unary(op: UnaryOp, x: TypedArray, dtype: DType): TypedArray {
  const f = UNARY_OPS[op].forward;
  const out = allocate(dtype, x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

export function unaryBackward(op: UnaryOp, x: TypedArray, y: TypedArray, dy: TypedArray, dtype: DType): TypedArray {
  const g = UNARY_OPS[op].backward;
  const out = allocate(dtype, x.length);
  for (let i = 0; i < x.length; i++) out[i] = g(x[i], y[i], dy[i]);
  return out;
}

/**
 * For every element of a tensor of shape `outShape`, the index of the element of a tensor of
 * shape `inShape` that broadcasting maps onto it.
 */
export function broadcastIndex(outShape: Shape, inShape: Shape): Int32Array {
  const n = numel(outShape);
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // Stride 0 along stretched (or missing) dimensions.
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const o = rank - inShape.length + i;
    strides[o] = inShape[i] === 1 ? 0 : inStrides[i];
  }
  const map = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let idx = 0;
  for (let flat = 0; flat < n; flat++) {
    map[flat] = idx;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      idx += strides[d];
      if (counter[d] < outShape[d]) break;
      idx -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return map;
}

export function binary(
  op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, dtype: DType,
): { data: TypedArray; shape: number[] } {
  const f = BINARY_OPS[op];
  const shape = broadcastShapes(aShape, bShape);
  const out = allocate(dtype, numel(shape));
  if (sameShape(aShape, bShape)) {
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]);
  } else if (b.length === 1) {
    const bv = b[0];
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], bv);
  } else {
    const ia = sameShape(aShape, shape) ? null : broadcastIndex(shape, aShape);
    const ib = sameShape(bShape, shape) ? null : broadcastIndex(shape, bShape);
    for (let i = 0; i < out.length; i++) {
      out[i] = f(a[ia ? ia[i] : i], b[ib ? ib[i] : i]);
    }
  }
  return { data: out, shape };
}

/** Sum a tensor of shape `fromShape` down to `toShape` (which broadcasts to it). */
export function sumToShape(x: TypedArray, fromShape: Shape, toShape: Shape, dtype: DType): TypedArray {
  const map = broadcastIndex(fromShape, toShape);
  const acc = new Float64Array(numel(toShape));
  for (let i = 0; i < x.length; i++) acc[map[i]] += x[i];
  const out = allocate(dtype, acc.length);
  out.set(acc);
  return out;
}
