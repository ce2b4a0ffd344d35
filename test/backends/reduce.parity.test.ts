/**
 * Reductions and matrix/layout kernels on every backend (float32) against the CPU backend in
 * float64.
 *
 * Bounds: a float32 sum of K terms, in any order, is within γ_K · Σ|terms| of the exact sum,
 * γ_K = K·u/(1 - K·u) ≤ (K + 1)·u for the K here (u = 2^-24). A matmul element is such a sum
 * of K products, each product one more rounding: (K + 2)·u·(|A||B|)_ij. A sum of squares: the
 * same with the squares as terms. Layout kernels move values and must be exact.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import { fcParams } from '../helpers/fc.ts';
import { shapeArb } from '../ops/helpers.ts';
import { BACKENDS, f32s, read, ref64, U32, within } from './backends.ts';

const RUNS = 15;
const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const valuesOf = (n: number) => fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n }).map(f32s);
const shaped = (maxRank = 3, maxDim = 5) =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 1, maxLength: maxRank }).chain((shape) => valuesOf(numel(shape)).map((values) => ({ shape, values })));
const abs = (v: readonly number[]): number[] => v.map(Math.abs);

/** op(A) @ op(B) for random A, B of the given sizes against float64, within (K + 2)·u·(|A||B|);
 * returns A's values and stored shape. */
async function checkMatmul(k: Backend, m: number, n: number, kk: number, tA: boolean, tB: boolean, seed: number): Promise<[number[], number[]]> {
  const [va, vb] = fc.sample(fc.tuple(valuesOf(m * kk), valuesOf(kk * n)), { seed, numRuns: 1 })[0];
  const sa = tA ? [kk, m] : [m, kk];
  const sb = tB ? [n, kk] : [kk, n];
  const ref = cpu.matmul(ref64(va, sa), ref64(vb, sb), tA, tB).toFloat64Array();
  const absRef = cpu.matmul(ref64(abs(va), sa), ref64(abs(vb), sb), tA, tB).toFloat64Array();
  const got = k.matmul(k.fromValues(va, sa, 'float32'), k.fromValues(vb, sb, 'float32'), tA, tB);
  within(await read(got), ref, (i) => (kk + 2) * U32 * absRef[i], `matmul [${sa}]${tA ? 'ᵀ' : ''} @ [${sb}]${tB ? 'ᵀ' : ''}`);
  return [va, sa];
}

describe.each(BACKENDS)('reductions, matmul and layout on $name (float32) = cpu float64 within float32 bounds', (b) => {
  it('sum over all elements and over each axis (keepDim both ways), the L2 norm', async () => {
    const k = await b.get();
    await fc.assert(
      fc.asyncProperty(shaped(), fc.boolean(), async ({ shape, values }, keepDim) => {
        const x = k.fromValues(values, shape, 'float32');
        const total = cpu.sum(ref64(values, shape), null, keepDim).toFloat64Array();
        const absTotal = cpu.sum(ref64(abs(values), shape), null, false).toFloat64Array()[0];
        within(await read(k.sum(x, null, keepDim)), total, () => (values.length + 1) * U32 * absTotal, 'sum all');
        for (let axis = 0; axis < shape.length; axis++) {
          const ref = cpu.sum(ref64(values, shape), axis, keepDim).toFloat64Array();
          const absRef = cpu.sum(ref64(abs(values), shape), axis, keepDim).toFloat64Array();
          within(await read(k.sum(x, axis, keepDim)), ref, (i) => (shape[axis] + 1) * U32 * absRef[i], `sum axis ${axis} of ${JSON.stringify(shape)}`);
        }
        // norm: max|x| exact, each x/max one rounding, squares and their sum (n + 2)u, sqrt and
        // the final product 2 more: (n + 6)u relative to the norm.
        const norm = cpu.norm(ref64(values, shape)).toFloat64Array();
        within(await read(k.norm(x)), norm, () => (values.length + 6) * U32 * norm[0], 'norm');
        // Vanished gradients: a norm whose square underflows float32 must survive.
        const tiny = values.map((v) => v * 2 ** -100);
        const tinyNorm = cpu.norm(ref64(tiny, shape)).toFloat64Array();
        within(await read(k.norm(k.fromValues(tiny, shape, 'float32'))), tinyNorm, () => (values.length + 6) * U32 * tinyNorm[0], 'norm of values ~1e-30');
      }),
      fcParams(RUNS),
    );
  });

  it('sumToShape (the gradient of broadcasting)', async () => {
    const k = await b.get();
    const cases = shapeArb(1, 3).chain((full) =>
      fc.tuple(fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }), fc.nat(full.length), valuesOf(numel(full))).map(([ones, drop, values]) => ({
        full, target: full.map((d, i) => (ones[i] ? 1 : d)).slice(drop), values,
      })));
    await fc.assert(
      fc.asyncProperty(cases, async ({ full, target, values }) => {
        const ref = cpu.sumToShape(ref64(values, full), target).toFloat64Array();
        const absRef = cpu.sumToShape(ref64(abs(values), full), target).toFloat64Array();
        const terms = numel(full) / numel(target);
        const got = k.sumToShape(k.fromValues(values, full, 'float32'), target);
        within(await read(got), ref, (i) => (terms + 1) * U32 * absRef[i], `sumToShape ${JSON.stringify(full)} -> ${JSON.stringify(target)}`);
      }),
      fcParams(RUNS),
    );
  });

  it('matmul in all four transpose layouts, and transpose2d', async () => {
    const k = await b.get();
    // Sizes across the 16-wide GEMM tiles' edges.
    const dim = fc.integer({ min: 1, max: 40 });
    await fc.assert(
      fc.asyncProperty(dim, dim, dim, fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), async (m, n, kk, tA, tB, seed) => {
        const [va, sa] = await checkMatmul(k, m, n, kk, tA, tB, seed);
        within(await read(k.transpose2d(k.fromValues(va, sa, 'float32'))), cpu.transpose2d(ref64(va, sa)).toFloat64Array(), () => 0, 'transpose2d');
      }),
      fcParams(RUNS),
    );
  });

  it('matmul above the direct kernel\'s size: the tiled GEMM (16 x 16 workgroup tiles), all layouts', async () => {
    const k = await b.get();
    const dim = fc.integer({ min: 90, max: 140 }); // m·n·k > 2^20 multiply-adds: the tiled path
    await fc.assert(
      fc.asyncProperty(dim, dim, dim, fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), async (m, n, kk, tA, tB, seed) => {
        await checkMatmul(k, m, n, kk, tA, tB, seed);
      }),
      fcParams(3),
    );
  });

  it('slice, sliceBackward, concat and reshape move values exactly', async () => {
    const k = await b.get();
    await fc.assert(
      fc.asyncProperty(shaped(), fc.nat(), fc.nat(), fc.nat(), async ({ shape, values }, axisPick, s0, s1) => {
        const axis = axisPick % shape.length;
        const [start, end] = [s0 % (shape[axis] + 1), s1 % (shape[axis] + 1)].sort((p, q) => p - q);
        const x = k.fromValues(values, shape, 'float32');
        const sliced = k.slice(x, axis, start, end);
        within(await read(sliced), cpu.slice(ref64(values, shape), axis, start, end).toFloat64Array(), () => 0, `slice ${axis} ${start}:${end}`);
        const back = k.sliceBackward(sliced, shape, axis, start);
        const backRef = cpu.sliceBackward(cpu.slice(ref64(values, shape), axis, start, end), shape, axis, start);
        within(await read(back), backRef.toFloat64Array(), () => 0, 'sliceBackward');
        const cat = k.concat([x, sliced, x], axis);
        const catRef = cpu.concat([ref64(values, shape), cpu.slice(ref64(values, shape), axis, start, end), ref64(values, shape)], axis);
        within(await read(cat), catRef.toFloat64Array(), () => 0, `concat axis ${axis}`);
        within(await read(k.reshape(x, [values.length])), values, () => 0, 'reshape');
      }),
      fcParams(RUNS),
    );
  });
});
