/**
 * The backends every parity test runs against (tfjs-style: one test file per op family, run on
 * every backend). The reference is always the CPU backend in float64; each backend under test
 * runs in float32 on the same float32-representable inputs, and its result must lie within a
 * bound derived from float32 arithmetic of fround(reference) — see `within`.
 */
import { expect } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import { webgpuBackend } from '../../src/backends/webgpu/index.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

export interface BackendUnderTest {
  readonly name: string;
  get(): Promise<Backend>;
}

export const BACKENDS: readonly BackendUnderTest[] = [
  { name: 'cpu', get: async () => cpu },
  // No adapter is a failure here, not a skip: CI installs SwiftShader so that this always runs.
  { name: 'webgpu', get: webgpuBackend },
];

/** Unit roundoff of float32: half an ulp of 1. */
export const U32 = 2 ** -24;

/** The smallest normal float32. WGSL lets a GPU flush subnormal values to zero (SwiftShader
 * does), so every bound carries this much absolute slack, and inputs avoid subnormals. */
export const MIN_NORMAL32 = 2 ** -126;

/** Float32-representable inputs that both backends see exactly: rounded to float32, with
 * magnitudes below 2^-60 set to 0 so that no input, square or product of two inputs is subnormal. */
export const f32s = (values: readonly number[]): number[] => values.map((v) => (Math.abs(v) < 2 ** -60 ? 0 : Math.fround(v)));

export const read = (t: Tensor): Promise<Float64Array> => t.toFloat64ArrayAsync();

/** A float64 CPU tensor of the same values (the reference's input). */
export function ref64(values: readonly number[], shape: readonly number[]): Tensor {
  return cpu.fromValues(values, shape, 'float64');
}

/**
 * Every |got[i] - ref[i]| <= bound[i] + MIN_NORMAL32, where `ref` is the float64 reference. The
 * message names the first element outside, its values and its bound.
 */
export function within(got: ArrayLike<number>, ref: ArrayLike<number>, bound: (i: number) => number, label: string): void {
  expect(got.length, `${label}: length`).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) {
    const b = bound(i) + MIN_NORMAL32;
    const ok = Object.is(got[i], ref[i]) || Math.abs(got[i] - ref[i]) <= b || (Number.isNaN(got[i]) && Number.isNaN(ref[i]));
    if (!ok) expect.fail(`${label}: element ${i} is ${got[i]}, the float64 reference ${ref[i]}, allowed ±${b.toExponential(3)}`);
  }
}
