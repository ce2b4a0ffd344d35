import { allocate, type DType, type TypedArray } from '../../tensor/dtype.ts';
import { numel, splitAtAxis, type Shape } from '../../tensor/shape.ts';

export function transpose2d(x: TypedArray, rows: number, cols: number, dtype: DType): TypedArray {
  const out = allocate(dtype, x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/** Copy `count` positions along an axis from one tensor into another, both seen as
 * [outer, mid, inner] around that axis. */
function copyAlongAxis(
  src: TypedArray, srcMid: number, srcStart: number,
  dst: TypedArray, dstMid: number, dstStart: number,
  outer: number, inner: number, count: number,
): void {
  for (let o = 0; o < outer; o++) {
    const s = (o * srcMid + srcStart) * inner;
    const d = (o * dstMid + dstStart) * inner;
    dst.set(src.subarray(s, s + count * inner), d);
  }
}

export function slice(x: TypedArray, shape: Shape, axis: number, start: number, end: number, dtype: DType): TypedArray {
  const { outer, mid, inner } = splitAtAxis(shape, axis);
  const count = end - start;
  const out = allocate(dtype, outer * count * inner);
  copyAlongAxis(x, mid, start, out, count, 0, outer, inner, count);
  return out;
}

export function sliceBackward(dy: TypedArray, dyShape: Shape, shape: Shape, axis: number, start: number, dtype: DType): TypedArray {
  const { outer, mid, inner } = splitAtAxis(shape, axis);
  const count = dyShape[axis];
  const out = allocate(dtype, numel(shape));
  copyAlongAxis(dy, count, 0, out, mid, start, outer, inner, count);
  return out;
}

export function concat(xs: readonly { data: TypedArray; shape: Shape }[], axis: number, outShape: Shape, dtype: DType): TypedArray {
  const { outer, mid, inner } = splitAtAxis(outShape, axis);
  const out = allocate(dtype, numel(outShape));
  let at = 0;
  for (const x of xs) {
    const count = x.shape[axis];
    copyAlongAxis(x.data, count, 0, out, mid, at, outer, inner, count);
    at += count;
  }
  return out;
}
