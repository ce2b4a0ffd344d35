import { allocate, type DType, type TypedArray } from '../../tensor/dtype.ts';
import { splitAtAxis, type Shape } from '../../tensor/shape.ts';

/** Sum along one axis; float64 accumulation, one rounding at the store. */
export function sumAxis(x: TypedArray, shape: Shape, axis: number, dtype: DType): TypedArray {
  const { outer, mid, inner } = splitAtAxis(shape, axis);
  const acc = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let m = 0; m < mid; m++) {
      const base = (o * mid + m) * inner;
      for (let i = 0; i < inner; i++) acc[o * inner + i] += x[base + i];
    }
  }
  const out = allocate(dtype, acc.length);
  out.set(acc);
  return out;
}

export function sumAll(x: TypedArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

export function sumOfSquares(x: TypedArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}
