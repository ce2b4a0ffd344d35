/**
 * The backends every parity test runs against (tfjs-style: one test file per op family, run on
 * every backend). The reference is always the CPU backend in float64 (float64 takes the
 * JavaScript kernels on every CPU backend); each backend under test runs in float32 on the same
 * float32-representable inputs, and its result must lie within a bound derived from float32
 * arithmetic of fround(reference) — see `within`.
 *
 * The CPU backend is under test twice: with its JavaScript float32 kernels (cpu-js, what a
 * machine without the wasm build runs) and with its WebAssembly SIMD ones (cpu-wasm). Each is an
 * explicit instance, never the process's default.
 */
import { expect } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { cpu, cpuJs, requireCpuWasm } from '../../src/backends/cpu/index.ts';
import { webgpuBackend } from '../../src/backends/webgpu/index.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { describeCase, type CaseValues, type NetCase } from '../nn/netCases.ts';

export interface BackendUnderTest {
  readonly name: string;
  get(): Promise<Backend>;
}

export const BACKENDS: readonly BackendUnderTest[] = [
  { name: 'cpu-js', get: async () => cpuJs },
  // Kernels that did not load (no `npm run build`, GRADLAB_WASM=off) fail every cpu-wasm case
  // with the reason, rather than testing the JavaScript kernels twice.
  { name: 'cpu-wasm', get: async () => requireCpuWasm() },
  // No adapter is a failure here, not a skip: CI installs SwiftShader so that this always runs.
  { name: 'webgpu', get: webgpuBackend },
];

/** Unit roundoff of float32: half an ulp of 1. */
export const U32 = 2 ** -24;

/** The smallest normal float32. WGSL lets a GPU flush subnormal values to zero (SwiftShader
 * does), so every bound carries this much absolute slack, and inputs avoid subnormals. */
export const MIN_NORMAL32 = 2 ** -126;

export { f32s } from './netOutcome.ts';

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

// ---- whole nets (the bound is explained in cells.parity.test.ts) ----

const GAIN = 8;
/** Shapes small enough for a software GPU: B 1-3, T 1-6, I 1-3, H 1-5, 1-2 layers. */
export const PARITY_BOUNDS = { batch: 3, steps: 6, input: 3, hidden: 5, layers: 2 };

const isGradient = (name: string): boolean => name.startsWith('d loss') || name.startsWith('||dL/dh_t||');
const maxAbs = (a: Iterable<number>): number => {
  let m = 0;
  for (const x of a) m = Math.max(m, Math.abs(x));
  return m;
};

/** Every value of a net's outcome within the float32 bound of the float64 reference. */
export function expectNetWithin(c: NetCase, v: CaseValues, reference: Record<string, number[]>, got: Record<string, number[]>, label: string): void {
  const entries = Object.entries(reference);
  const forward = maxAbs(entries.filter(([n]) => !isGradient(n)).flatMap(([, a]) => a));
  const gradients = maxAbs(entries.filter(([n]) => isGradient(n)).flatMap(([, a]) => a));
  const activations = Math.max(1, forward, maxAbs(v.x), ...[...v.params.values()].map(maxAbs), v.h0 ? maxAbs(v.h0) : 0, v.c0 ? maxAbs(v.c0) : 0);
  const S = (c.steps + c.layers) * (c.input + c.hidden + 8);
  for (const [name, ref] of entries) {
    const scale = isGradient(name) ? gradients * activations : forward;
    within(got[name] ?? [], ref, () => GAIN * S * U32 * scale, `${describeCase(c)} ${label}: ${name}`);
  }
}

