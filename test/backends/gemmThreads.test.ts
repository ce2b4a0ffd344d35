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
import { MIN_SPLIT_FLOPS, MIN_SPLIT_WIDTH, splitPlan, splitRange } from '../../src/backends/cpu/gemmThreads.ts';
import { sequenceBackwardWasm, sequenceForwardWasm } from '../../src/backends/cpu/sequenceWasm.ts';
import { instantiate, layout, WASM_PATH, WASM_RELAXED_PATH } from '../../src/backends/cpu/wasm.ts';
import { cellSpec, type CellKind } from '../../src/cells/table.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';

describe('splitRange and splitPlan', () => {
  it('cover 0..n once, in ranges of multiples of the unit (bar the last), at most `parts` of them', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(4, 8), (n, parts, unit) => {
      const r = splitRange(n, parts, unit);
      expect(r.length).toBeLessThanOrEqual(parts);
      expect(r[0][0]).toBe(0);
      expect(r[r.length - 1][1]).toBe(n);
      r.forEach(([a, b], i) => {
        expect(b).toBeGreaterThan(a);
        if (i > 0) expect(a).toBe(r[i - 1][1]);
        if (i < r.length - 1) expect((b - a) % unit).toBe(0);
      });
    }), fcParams(200));
  });

  it('split only products of 2 MFLOP and more, by columns when wide, else by rows when tall, parts never thinner than 64 but the last', () => {
    expect(splitPlan(32, 512, 128, 2)).toEqual({ by: 'columns', parts: [[0, 256], [256, 512]] }); // a wide step's h W_hhᵀ
    expect(splitPlan(3200, 64, 32, 2)).toEqual({ by: 'rows', parts: [[0, 1600], [1600, 3200]] }); // a small input projection
    expect(splitPlan(64, 64, 3200, 2)).toBeNull(); // 26 MFLOP, but thin both ways (measured slower split)
    expect(splitPlan(32, 256, 64, 2)).toBeNull(); // 1 MFLOP
    expect(splitPlan(32, 512, 128, 1)).toBeNull();
    expect(splitPlan(8, 136, 2000, 4)!.parts).toEqual([[0, 72], [72, 136]]); // 136 columns: 2 parts, not 4
    fc.assert(fc.property(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 200 }).map((q) => 4 * q), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 8 }), (m, n, k, threads) => {
      const plan = splitPlan(m, n, k, threads);
      if (!plan) return;
      expect(2 * m * n * k).toBeGreaterThanOrEqual(MIN_SPLIT_FLOPS);
      expect(plan.parts.length).toBeLessThanOrEqual(threads);
      expect(plan.parts.length).toBeGreaterThanOrEqual(2);
      plan.parts.slice(0, -1).forEach(([a, b]) => expect(b - a).toBeGreaterThanOrEqual(MIN_SPLIT_WIDTH));
    }), fcParams(300));
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
  m: fc.integer({ min: 1, max: 300 }),
  n: fc.integer({ min: 1, max: 80 }).map((q) => 4 * q),
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

  it.each<[string, Product]>([
    ['rows (a tall, thin input projection)', { m: 300, n: 64, k: 100, transA: false, accumulate: false, seed: 1 }],
    ['columns (a wide step\'s h W_hhᵀ)', { m: 32, n: 512, k: 128, transA: false, accumulate: true, seed: 2 }],
    ['columns, k in chunks (a weight gradient, Aᵀ)', { m: 128, n: 512, k: 3200, transA: true, accumulate: false, seed: 3 }],
  ])('split by %s: equal to one thread bit for bit', (_what, p) => {
    expect(splitPlan(p.m, p.n, p.k, 2)?.by).toBe(_what.startsWith('rows') ? 'rows' : 'columns');
    const one = product(p, 1);
    const two = product(p, 2);
    gm.setThreads(1);
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
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
