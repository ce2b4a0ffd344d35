/**
 * The float32 GEMM split over threads (src/backends/cpu/gemmThreads.ts): column ranges that cover
 * the product exactly once, and results bit for bit equal to one thread's for every layout the
 * sequence kernels use (A or Aᵀ, accumulating or not, long reductions in chunks), on shapes past
 * the size where splitting starts; then whole sequence kernels, forward and backward.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CellWeights } from '../../src/backends/backend.ts';
import { cpu, requireCpuWasm } from '../../src/backends/cpu/index.ts';
import { columnSplit, MIN_SPLIT_FLOPS } from '../../src/backends/cpu/gemmThreads.ts';
import { sequenceBackwardWasm, sequenceForwardWasm } from '../../src/backends/cpu/sequenceWasm.ts';
import { instantiate, layout, WASM_PATH, WASM_RELAXED_PATH } from '../../src/backends/cpu/wasm.ts';
import { cellSpec, type CellKind } from '../../src/cells/table.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';

describe('columnSplit', () => {
  it('covers 0..n once, in ranges of multiples of 8 (bar the last), at most `parts` of them', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 500 }).map((q) => 4 * q), fc.integer({ min: 1, max: 9 }), (n, parts) => {
      const r = columnSplit(n, parts);
      expect(r.length).toBeLessThanOrEqual(parts);
      expect(r[0][0]).toBe(0);
      expect(r[r.length - 1][1]).toBe(n);
      r.forEach(([a, b], i) => {
        expect(b).toBeGreaterThan(a);
        if (i > 0) expect(a).toBe(r[i - 1][1]);
        if (i < r.length - 1) expect((b - a) % 8).toBe(0);
      });
    }), fcParams(200));
  });
});

// A fresh instance of the build the backend runs (its own memory and helpers).
const gm = instantiate(requireCpuWasm().wasm.build === 'wasm relaxed-simd' ? WASM_RELAXED_PATH : WASM_PATH);

interface Product {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  accumulate: boolean;
  seed: number;
}

const productArb: fc.Arbitrary<Product> = fc.record({
  m: fc.integer({ min: 1, max: 80 }),
  n: fc.integer({ min: 4, max: 80 }).map((q) => 4 * q),
  k: fc.integer({ min: 1, max: 400 }),
  transA: fc.boolean(),
  accumulate: fc.boolean(),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
}).filter((p) => 2 * p.m * p.n * p.k >= MIN_SPLIT_FLOPS);

function product(p: Product, threads: number): Float32Array {
  const { m, n, k } = p;
  const rng = Rng.seeded(p.seed);
  const [oA, oB, oC, end] = layout([m * k, k * n, m * n]);
  gm.reserve(end);
  const f = gm.f32;
  for (let i = oA; i < end; i++) f[i] = rng.uniform() * 2 - 1; // C too: accumulate adds onto it
  gm.setThreads(threads);
  gm.gemm(oA, p.transA ? 1 : k, p.transA ? m : 1, oB, n, oC, n, m, n, k, p.accumulate);
  return gm.f32.slice(oC, oC + m * n);
}

describe('the GEMM on 2 and 3 threads', () => {
  it('equals one thread bit for bit (A or Aᵀ, accumulating or not, long k in chunks)', () => {
    const before = gm.productsSplit;
    fc.assert(fc.property(productArb, (p) => {
      const one = product(p, 1);
      for (const threads of [2, 3]) {
        const many = product(p, threads);
        const at = one.findIndex((v, i) => !Object.is(v, many[i]));
        if (at >= 0) throw new Error(`${JSON.stringify(p)}, ${threads} threads: element ${at} is ${many[at]}, one thread gave ${one[at]}`);
      }
    }), fcParams(25));
    expect(gm.productsSplit).toBeGreaterThan(before);
    gm.setThreads(1);
  });
});

describe('sequence kernels on 2 threads', () => {
  it.each<CellKind>(['lstm', 'gru'])('%s: forward and backward equal one thread bit for bit', (kind) => {
    const spec = cellSpec(kind);
    const B = 16, T = 24, I = 16, H = 48; // the input projection and weight gradients split
    const G = spec.gates.length;
    const rng = Rng.seeded(3);
    const t = (n: number, s: number, shape: number[]) => cpu.fromValues(Float64Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * s), shape, 'float32');
    const s = 1 / Math.sqrt(H);
    const w: CellWeights = { wIh: t(G * H * I, s, [G * H, I]), wHh: t(G * H * H, s, [G * H, H]), bIh: t(G * H, s, [G * H]), bHh: t(G * H, s, [G * H]) };
    const xs = Array.from({ length: T }, () => t(B * I, 1, [B, I]));
    const h0 = t(B * H, 0.5, [B, H]);
    const c0 = spec.cellState ? t(B * H, 0.5, [B, H]) : null;
    const dhs = Array.from({ length: T }, () => t(B * H, 1, [B, H]));
    const run = (threads: number): Float32Array[] => {
      gm.setThreads(threads);
      const f = sequenceForwardWasm(gm, cpu, spec, xs, h0, c0, w);
      const g = sequenceBackwardWasm(gm, f.tape, dhs, true);
      return [...f.hs, g.dh0, g.dWIh, g.dWHh, g.dBIh, g.dBHh, ...g.dxs!, ...g.dhs.map((d) => d!)].map((x) => x.data as Float32Array);
    };
    const before = gm.productsSplit;
    const one = run(1);
    const two = run(2);
    expect(gm.productsSplit).toBeGreaterThan(before);
    gm.setThreads(1);
    two.forEach((a, i) => expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(one[i].buffer, one[i].byteOffset, one[i].byteLength)), `output ${i}`).toBe(true));
  });
});
