/** The two element types: float32 for training, float64 for gradient checks. */
export type DType = 'float32' | 'float64';
export type TypedArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'float64'];

export function allocate(dtype: DType, length: number): TypedArray {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

export function fromValues(dtype: DType, values: ArrayLike<number>): TypedArray {
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

export function isDType(value: unknown): value is DType {
  return value === 'float32' || value === 'float64';
}
