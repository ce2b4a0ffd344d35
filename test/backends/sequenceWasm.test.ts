/**
 * The float32 whole-sequence kernels on WebAssembly (src/backends/cpu/sequenceWasm.ts) against
 * the JavaScript kernels (sequence.ts) run in float64 on the same float32-representable values,
 * at the kernel interface: every output of the forward (h_1..h_T) and of the backward (dx, dh0,
 * dc0, the four weight and bias gradients, every total dL/dh_t), for all four cells.
 *
 * Shapes reach past what test/nn/sequencePath.test.ts covers: B up to 37 and H up to 37 (every
 * 4x8 / 4x4 / 1-row tile and every H % 4 tail of the gate kernels) and B*T up to 296 rows (the
 * weight-gradient GEMMs then run in reduction chunks, k > 96). External gradients arrive at a
 * random subset of steps, the last ones included or not.
 *
 * Tolerance. Each float32 GEMM errs by <= (k+2) 2^-24 sum|a b| (test/backends/wasmGemm.test.ts),
 * k <= max(G*H, B*T) = 296 here: <= 1.8e-5 of the magnitudes summed; the gate math adds a few
 * ulps (wasmCells.test.ts), and T <= 8 steps with weights U(-1/sqrt(H), 1/sqrt(H)) (torch's
 * init; the recurrence does not amplify) carry it through. So every tensor must be within
 * 1e-4 of its group's scale (the largest magnitude among the forward outputs, or among the
 * gradients), and within 1e-2 of its own largest magnitude (a small tensor cannot hide). The
 * measured worst over 300 cases (75 per cell) was 9e-7 of the group scale.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CellWeights } from '../../src/backends/backend.ts';
import { CELL_KINDS, cellSpec, type CellKind } from '../../src/cells/table.ts';
import { cpu, requireCpuWasm } from '../../src/backends/cpu/index.ts';
import * as js from '../../src/backends/cpu/sequence.ts';
import { sequenceBackwardWasm, sequenceForwardWasm, wasmRuns } from '../../src/backends/cpu/sequenceWasm.ts';
import type { DType } from '../../src/tensor/dtype.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { fcParams } from '../helpers/fc.ts';
import type { WasmGemm } from '../../src/backends/cpu/wasm.ts';

/** Every cell the wasm path runs (a diagonal recurrence takes the JavaScript kernel). */
const CELLS: CellKind[] = CELL_KINDS.filter((k) => wasmRuns(cellSpec(k)));

interface Case {
  cell: CellKind;
  B: number;
  T: number;
  I: number;
  H: number;
  seed: number;
  inputGrads: boolean;
}

const caseArb = (cell: CellKind): fc.Arbitrary<Case> => fc.record({
  cell: fc.constant(cell),
  B: fc.integer({ min: 1, max: 37 }),
  T: fc.integer({ min: 1, max: 8 }),
  I: fc.integer({ min: 1, max: 9 }),
  H: fc.integer({ min: 1, max: 37 }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  inputGrads: fc.boolean(),
});

function run(c: Case, dtype: DType, gm: WasmGemm = requireCpuWasm().wasm) {
  const { B, T, I, H } = c;
  const cell = cellSpec(c.cell);
  const G = cell.gates.length;
  const rng = Rng.seeded(c.seed);
  const u = (n: number, s: number): Float64Array => Float64Array.from({ length: n }, () => Math.fround((rng.uniform() * 2 - 1) * s));
  const t = (v: Float64Array, shape: number[]): Tensor => cpu.fromValues(v, shape, dtype);
  const s = 1 / Math.sqrt(H);
  const w: CellWeights = {
    wIh: t(u(G * H * I, s), [G * H, I]), wHh: t(u(G * H * H, s), [G * H, H]), bIh: t(u(G * H, s), [G * H]), bHh: t(u(G * H, s), [G * H]),
  };
  const xs = Array.from({ length: T }, () => t(u(B * I, 1), [B, I]));
  const h0 = t(u(B * H, 0.5), [B, H]);
  const c0 = cell.cellState ? t(u(B * H, 0.5), [B, H]) : null;
  const dhs = Array.from({ length: T }, () => (rng.uniform() < 0.6 ? t(u(B * H, 1), [B, H]) : null));
  const fwd = dtype === 'float32' ? sequenceForwardWasm(gm, cpu, cell, xs, h0, c0, w) : js.sequenceForward(cpu, cell, xs, h0, c0, w);
  const g = dtype === 'float32' ? sequenceBackwardWasm(gm, fwd.tape, dhs, c.inputGrads) : js.sequenceBackward(fwd.tape, dhs, c.inputGrads);
  const forward = new Map<string, Float64Array>(fwd.hs.map((h, i) => [`h_${i + 1}`, h.toFloat64Array()]));
  const grads = new Map<string, Float64Array>([
    ['dh0', g.dh0.toFloat64Array()], ['dW_ih', g.dWIh.toFloat64Array()], ['dW_hh', g.dWHh.toFloat64Array()],
    ['db_ih', g.dBIh.toFloat64Array()], ['db_hh', g.dBHh.toFloat64Array()],
  ]);
  if (g.dc0) grads.set('dc0', g.dc0.toFloat64Array());
  g.dxs?.forEach((d, i) => grads.set(`dx_${i + 1}`, d.toFloat64Array()));
  g.dhs.forEach((d, i) => grads.set(`dL/dh_${i + 1}`, d ? d.toFloat64Array() : new Float64Array(0)));
  return { forward, grads };
}

const maxAbs = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function compare(ref: Map<string, Float64Array>, got: Map<string, Float64Array>, what: string): number {
  expect([...got.keys()]).toEqual([...ref.keys()]);
  const scale = Math.max(...[...ref.values()].map(maxAbs));
  let worst = 0;
  for (const [name, r] of ref) {
    const s = got.get(name)!;
    expect(s.length, `${what} ${name} length`).toBe(r.length);
    let err = 0;
    for (let i = 0; i < r.length; i++) err = Math.max(err, Math.abs(s[i] - r[i]));
    if (!(err <= 1e-4 * scale)) throw new Error(`${what} ${name}: max diff ${err} > 1e-4 * group scale ${scale}`);
    if (!(err <= 1e-2 * maxAbs(r) + 1e-30)) throw new Error(`${what} ${name}: max diff ${err} > 1e-2 * own scale ${maxAbs(r)}`);
    if (scale > 0) worst = Math.max(worst, err / scale);
  }
  return worst;
}

describe.each(CELLS)('wasm sequence kernels: %s', (cell) => {
  it('equal the float64 JavaScript kernels to 1e-4 of the scale (forward and backward)', () => {
    fc.assert(fc.property(caseArb(cell), (c) => {
      const ref = run(c, 'float64');
      const got = run(c, 'float32');
      compare(ref.forward, got.forward, `${JSON.stringify(c)} forward`);
      compare(ref.grads, got.grads, `${JSON.stringify(c)} gradients`);
    }), fcParams(40));
  });
});

/** The same kernels as a build without generated cell kernels (or one made from older equations)
 * sees them: every cell that is not hand-written falls back to its generated JavaScript kernel. */
const withoutGenerated = (): WasmGemm => Object.assign(Object.create(requireCpuWasm().wasm) as WasmGemm, { generatedCell: () => null });

describe.each(CELLS.filter((k) => k === 'gru' || k === 'rnn_relu'))('wasm sequence kernels without generated cell kernels: %s', (cell) => {
  it('fall back to the JavaScript step kernels, equal to the float64 kernels to 1e-4 of the scale', () => {
    const gm = withoutGenerated();
    fc.assert(fc.property(caseArb(cell), (c) => {
      const ref = run(c, 'float64');
      const got = run(c, 'float32', gm);
      compare(ref.forward, got.forward, `${JSON.stringify(c)} forward`);
      compare(ref.grads, got.grads, `${JSON.stringify(c)} gradients`);
    }), fcParams(10));
  });
});

describe('wasm sequence kernels: flush to zero', () => {
  it('a gradient that vanishes below 2^-126 becomes 0 there and is exact to float32 above', () => {
    // tanh RNN with tiny recurrent weights: dL/dh_t shrinks by ~1e-3 per step back from T.
    const B = 4, T = 30, H = 8;
    const rng = Rng.seeded(7);
    const u = (n: number, s: number): Float64Array => Float64Array.from({ length: n }, () => Math.fround((rng.uniform() * 2 - 1) * s));
    const vals = { wIh: u(H, 0.5), wHh: u(H * H, 1e-3), bIh: u(H, 0.1), bHh: u(H, 0.1), xs: Array.from({ length: T }, () => u(B, 1)), dh: u(B * H, 1) };
    const out = (dtype: DType) => {
      const t = (v: Float64Array, shape: number[]): Tensor => cpu.fromValues(v, shape, dtype);
      const w: CellWeights = { wIh: t(vals.wIh, [H, 1]), wHh: t(vals.wHh, [H, H]), bIh: t(vals.bIh, [H]), bHh: t(vals.bHh, [H]) };
      const xs = vals.xs.map((x) => t(x, [B, 1]));
      const h0 = t(new Float64Array(B * H), [B, H]);
      const dhs = Array.from({ length: T }, (_, i) => (i === T - 1 ? t(vals.dh, [B, H]) : null));
      const f = dtype === 'float32' ? sequenceForwardWasm(requireCpuWasm().wasm, cpu, cellSpec('rnn_tanh'), xs, h0, null, w) : js.sequenceForward(cpu, cellSpec('rnn_tanh'), xs, h0, null, w);
      const g = dtype === 'float32' ? sequenceBackwardWasm(requireCpuWasm().wasm, f.tape, dhs, false) : js.sequenceBackward(f.tape, dhs, false);
      return g.dhs.map((d) => maxAbs(d!.toFloat64Array()));
    };
    const n32 = out('float32');
    const n64 = out('float64');
    let flushed = 0;
    for (let t = 0; t < T; t++) {
      if (n64[t] < 2 ** -126 * 1e-3) {
        expect(n32[t]).toBe(0);
        flushed++;
      } else if (n64[t] > 2 ** -100) {
        expect(Math.abs(n32[t] - n64[t])).toBeLessThanOrEqual(1e-4 * n64[t]);
      }
    }
    expect(flushed).toBeGreaterThan(5); // the case does reach below float32's normal range
  });
});

describe('wasm sequence kernels: tape arrays reused across steps', () => {
  const spec = cellSpec('gru');
  const B = 3, T = 4, I = 2, H = 5;
  const make = (seed: number) => {
    const rng = Rng.seeded(seed);
    const t = (n: number, shape: number[]): Tensor => cpu.fromValues(Float64Array.from({ length: n }, () => rng.uniform() - 0.5), shape, 'float32');
    const w: CellWeights = { wIh: t(3 * H * I, [3 * H, I]), wHh: t(3 * H * H, [3 * H, H]), bIh: t(3 * H, [3 * H]), bHh: t(3 * H, [3 * H]) };
    return { w, xs: Array.from({ length: T }, () => t(B * I, [B, I])), h0: t(B * H, [B, H]), dhs: Array.from({ length: T }, () => t(B * H, [B, H])) };
  };
  const flat = (g: ReturnType<typeof sequenceBackwardWasm>): number[] => [g.dh0, g.dWIh, g.dWHh, g.dBIh, g.dBHh, ...g.dxs!].flatMap((x) => [...x.data]);

  it('a second backward before the next forward gives the same gradients; after it, a later forward of the same shape reuses the arrays and the old tape is refused', () => {
    const gm = requireCpuWasm().wasm;
    const a = make(1);
    const fa = sequenceForwardWasm(gm, cpu, spec, a.xs, a.h0, null, a.w);
    const first = flat(sequenceBackwardWasm(gm, fa.tape, a.dhs, true));
    expect(flat(sequenceBackwardWasm(gm, fa.tape, a.dhs, true))).toEqual(first);
    const b = make(2);
    const fb = sequenceForwardWasm(gm, cpu, spec, b.xs, b.h0, null, b.w); // takes fa's arrays
    expect(() => sequenceBackwardWasm(gm, fa.tape, a.dhs, true)).toThrow(/reused by a later forward of the same shape/);
    // The reused arrays hold b's step: its gradients equal those of a fresh computation.
    const fromReused = flat(sequenceBackwardWasm(gm, fb.tape, b.dhs, true));
    const other = sequenceForwardWasm(gm, cpu, spec, b.xs, b.h0, null, b.w);
    expect(flat(sequenceBackwardWasm(gm, other.tape, b.dhs, true))).toEqual(fromReused);
    expect(fa.hs[0].data).not.toBe(fb.hs[0].data); // outputs are never pooled arrays
  });

  it('a tape whose backward has not run keeps its arrays however many forwards follow', () => {
    const gm = requireCpuWasm().wasm;
    const a = make(3);
    const fa = sequenceForwardWasm(gm, cpu, spec, a.xs, a.h0, null, a.w);
    const fresh = sequenceForwardWasm(gm, cpu, spec, a.xs, a.h0, null, a.w);
    for (let i = 0; i < 3; i++) sequenceForwardWasm(gm, cpu, spec, make(10 + i).xs, a.h0, null, a.w);
    expect(flat(sequenceBackwardWasm(gm, fa.tape, a.dhs, true))).toEqual(flat(sequenceBackwardWasm(gm, fresh.tape, a.dhs, true)));
  });
});
