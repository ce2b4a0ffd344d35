/**
 * The WebGPU whole-sequence kernels (src/backends/webgpu/sequence.ts) at the kernel interface,
 * against the CPU backend's: the float64 JavaScript kernels (src/backends/cpu/sequence.ts) as the
 * reference, and the CPU backend's own float32 sequence kernels. Every output of the forward
 * (h_1..h_T) and of the backward (every dx_t, dh0, dc0, the four weight and bias gradients, every
 * total dL/dh_t), for every cell, on random shapes B ≤ 4, T ≤ 6, I ≤ 4, H ≤ 8 (SwiftShader is
 * slow), with external gradients at a random subset of the steps and input gradients asked for
 * or not; plus the contract's edges, and how many dispatches a layer costs.
 *
 * The bound. Inputs are float32 values, so the float32 run differs from the float64 one only by
 * float32 rounding. Every output is reached through a chain of at most
 *   S = T · (I + G·H + 8) + B·T
 * float32 operations: T steps, each a dot product of at most max(I + H, G·H) terms (the input and
 * recurrent projections forward, dG_t W_hh backward) and at most 8 pointwise operations, then the
 * B·T-row sum of a weight gradient. A sum of K terms errs by at most K·u·Σ|terms|, u = 2^-24, and
 * each other operation by u of its result. Every term is a product of at most two of {an input,
 * a weight, a state} — each at most A = max(1, their largest magnitude) — and, backward, one
 * gradient, at most Gmax = the largest external or reference gradient. So an element errs by at
 * most GAIN · S · u · A² forward and GAIN · S · u · Gmax · A² backward, where GAIN = 8 bounds the
 * amplification along the recurrence (weights U(-1/sqrt(H), 1/sqrt(H)), torch's init: the
 * per-step Jacobian has norm about 1). Each float32 path is within the bound of the float64
 * reference, so the two float32 paths are within twice it of each other. The measured worst was
 * about 2% of the bound over 40 cases per cell (each property prints its own).
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Backend, CellWeights, SequenceGrads, SequenceKernels } from '../../src/backends/backend.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import * as js from '../../src/backends/cpu/sequence.ts';
import { webgpuBackend, type WebGpuBackend } from '../../src/backends/webgpu/index.ts';
import { CELL_KINDS, cellSpec, type CellKind } from '../../src/cells/table.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { scope } from '../../src/tensor/scope.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { fcParams } from '../helpers/fc.ts';
import { U32 } from './backends.ts';
import { f32s } from './netOutcome.ts';

const GAIN = 8;

interface Case {
  cell: CellKind;
  B: number;
  T: number;
  I: number;
  H: number;
  seed: number;
  /** Which steps get an external dL/dh_t. */
  external: boolean[];
  inputGrads: boolean;
}

const caseArb = (cell: CellKind): fc.Arbitrary<Case> =>
  fc.record({
    B: fc.integer({ min: 1, max: 4 }),
    T: fc.integer({ min: 1, max: 6 }),
    I: fc.integer({ min: 1, max: 4 }),
    H: fc.integer({ min: 1, max: 8 }),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    inputGrads: fc.boolean(),
    mask: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  }).map(({ mask, ...c }) => ({ ...c, cell, external: mask.slice(0, c.T) }));

/** Every value of a case, float32-representable, drawn from its seed in a fixed order. */
function caseValues(c: Case) {
  const spec = cellSpec(c.cell);
  const { B, T, I, H } = c;
  const GH = spec.gates.length * H;
  const rng = Rng.seeded(c.seed);
  const u = (n: number, s: number): number[] => f32s(Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * s));
  const s = 1 / Math.sqrt(H);
  return {
    wIh: u(GH * I, s), wHh: u(spec.recurrent === 'matrix' ? GH * H : GH, s), bIh: u(GH, s), bHh: u(GH, s),
    xs: Array.from({ length: T }, () => u(B * I, 1)),
    h0: u(B * H, 0.5), c0: u(B * H, 0.5),
    dhs: c.external.map((e) => (e ? u(B * H, 1) : null)),
  };
}
type Values = ReturnType<typeof caseValues>;

interface Outcome {
  forward: Map<string, number[]>;
  grads: Map<string, number[]>;
  raw: SequenceGrads;
}

const maxAbs = (a: Iterable<number>): number => {
  let m = 0;
  for (const x of a) m = Math.max(m, Math.abs(x));
  return m;
};

/** The reference: the CPU backend's float64 JavaScript kernels. */
const float64Kernels: SequenceKernels = {
  sequenceForward: (spec, xs, h0, c0, w) => js.sequenceForward(cpu, spec, xs, h0, c0, w),
  sequenceBackward: js.sequenceBackward,
};

async function run(c: Case, v: Values, backend: Backend, kernels: SequenceKernels, dtype: 'float32' | 'float64'): Promise<Outcome> {
  const spec = cellSpec(c.cell);
  const { B, I, H } = c;
  const GH = spec.gates.length * H;
  const t = (vals: readonly number[], shape: number[]): Tensor => backend.fromValues(vals, shape, dtype);
  const w: CellWeights = {
    wIh: t(v.wIh, [GH, I]), wHh: t(v.wHh, spec.recurrent === 'matrix' ? [GH, H] : [GH]), bIh: t(v.bIh, [GH]), bHh: t(v.bHh, [GH]),
  };
  const f = kernels.sequenceForward(spec, v.xs.map((x) => t(x, [B, I])), t(v.h0, [B, H]), spec.cellState ? t(v.c0, [B, H]) : null, w);
  const g = kernels.sequenceBackward(f.tape, v.dhs.map((d) => d && t(d, [B, H])), c.inputGrads);
  const read = async (x: Tensor): Promise<number[]> => [...(await x.toFloat64ArrayAsync())];
  const forward = new Map<string, number[]>();
  for (const [i, h] of f.hs.entries()) forward.set(`h_${i + 1}`, await read(h));
  const grads = new Map<string, number[]>([
    ['dh0', await read(g.dh0)], ['dW_ih', await read(g.dWIh)], ['dW_hh', await read(g.dWHh)],
    ['db_ih', await read(g.dBIh)], ['db_hh', await read(g.dBHh)],
  ]);
  if (g.dc0) grads.set('dc0', await read(g.dc0));
  for (const [i, d] of (g.dxs ?? []).entries()) grads.set(`dx_${i + 1}`, await read(d));
  for (const [i, d] of g.dhs.entries()) if (d) grads.set(`dL/dh_${i + 1} (total)`, await read(d));
  return { forward, grads, raw: g };
}

/** The bound of the header for one case, forward and backward. */
function bounds(c: Case, v: Values, ref: Outcome): { forward: number; grads: number } {
  const G = cellSpec(c.cell).gates.length;
  const S = c.T * (c.I + G * c.H + 8) + c.B * c.T;
  const A = Math.max(1, maxAbs([...v.wIh, ...v.wHh, ...v.bIh, ...v.bHh, ...v.xs.flat(), ...v.h0, ...v.c0]), ...[...ref.forward.values()].map(maxAbs));
  const gMax = Math.max(maxAbs(v.dhs.flatMap((d) => d ?? [])), ...[...ref.grads.values()].map(maxAbs));
  return { forward: GAIN * S * U32 * A * A, grads: GAIN * S * U32 * gMax * A * A };
}

/** Every element within `bound`; returns the worst |got - want| / bound. */
function expectWithin(got: Map<string, number[]>, want: Map<string, number[]>, bound: number, label: string): number {
  expect([...got.keys()], `${label}: outputs`).toEqual([...want.keys()]);
  let worst = 0;
  for (const [name, r] of want) {
    const g = got.get(name)!;
    expect(g.length, `${label} ${name}: length`).toBe(r.length);
    r.forEach((x, i) => {
      const err = Math.abs(g[i] - x);
      if (!(err <= bound)) expect.fail(`${label} ${name}[${i}]: ${g[i]}, expected ${x} ± ${bound.toExponential(3)}`);
      if (bound > 0) worst = Math.max(worst, err / bound);
    });
  }
  return worst;
}

/** The contract beyond the values: which outputs exist, and every one is a tensor of its own. */
function expectContract(c: Case, g: SequenceGrads): void {
  let last = c.T - 1;
  while (last >= 0 && !c.external[last]) last--;
  g.dhs.forEach((d, t) => expect(d === null, `dL/dh_${t + 1} is null exactly after the last external gradient`).toBe(t > last));
  expect(g.dxs === null).toBe(!c.inputGrads);
  expect(g.dc0 === null).toBe(!cellSpec(c.cell).cellState);
  const returned = [g.dh0, g.dc0, g.dWIh, g.dWHh, g.dBIh, g.dBHh, ...(g.dxs ?? []), ...g.dhs].filter((t): t is Tensor => t !== null);
  expect(new Set(returned.map((t) => t.storage)).size, 'fresh storage for every returned tensor').toBe(returned.length);
}

async function checkCase(k: WebGpuBackend, c: Case): Promise<number> {
  return scope(async () => {
    const v = caseValues(c);
    const ref = await run(c, v, cpu, float64Kernels, 'float64');
    const gpu = await run(c, v, k, k.sequences, 'float32');
    const cpu32 = await run(c, v, cpu, cpu.sequences!, 'float32');
    expectContract(c, gpu.raw);
    const b = bounds(c, v, ref);
    const label = JSON.stringify(c);
    const worst = Math.max(
      expectWithin(gpu.forward, ref.forward, b.forward, `${label} webgpu vs float64`),
      expectWithin(gpu.grads, ref.grads, b.grads, `${label} webgpu vs float64`),
    );
    expectWithin(gpu.forward, cpu32.forward, 2 * b.forward, `${label} webgpu vs cpu float32`);
    expectWithin(gpu.grads, cpu32.grads, 2 * b.grads, `${label} webgpu vs cpu float32`);
    return worst;
  });
}

describe.each(CELL_KINDS)('webgpu sequence kernels: %s', (cell) => {
  it('equal the CPU backend\'s (float64 and float32) within the float32 bound, forward and every gradient', async () => {
    const k = await webgpuBackend();
    let worst = 0;
    await fc.assert(fc.asyncProperty(caseArb(cell), async (c) => {
      worst = Math.max(worst, await checkCase(k, c));
    }), fcParams(40));
    console.log(`${cell}: worst error ${(100 * worst).toFixed(3)}% of the bound`);
  }, 120_000);

  it('keep the contract at its edges: no external gradient at all, none at the end, input gradients not asked', async () => {
    const k = await webgpuBackend();
    const base = { cell, B: 2, T: 5, I: 3, H: 4, seed: 7 };
    for (const c of [
      { ...base, external: [false, false, false, false, false], inputGrads: true },
      { ...base, external: [true, false, true, false, false], inputGrads: false },
      { ...base, external: [true, false, false, false, false], inputGrads: true },
      { ...base, T: 1, external: [true], inputGrads: true },
    ]) await checkCase(k, c);
  }, 120_000);
});

describe('webgpu sequence kernels: dispatches and bind groups', () => {
  it('a layer costs 2 dispatches per step each way (1 forward for a diagonal recurrence) plus a fixed few, and repeats without new bind groups', async () => {
    const k = await webgpuBackend();
    const T = 6;
    for (const cell of ['lstm', 'gru', 'indrnn'] as const) {
      const spec = cellSpec(cell);
      const c: Case = { cell, B: 3, T, I: 2, H: 5, seed: 3, external: new Array<boolean>(T).fill(true), inputGrads: true };
      const v = caseValues(c);
      const once = () => scope(async () => {
        k.runtime.flush(); // the same parameter slots, hence the same bind groups, each time
        const spy = vi.spyOn(k.runtime, 'dispatchGroups');
        const { B, I, H } = c;
        const GH = spec.gates.length * H;
        const t = (vals: readonly number[], shape: number[]): Tensor => k.fromValues(vals, shape, 'float32');
        const w: CellWeights = {
          wIh: t(v.wIh, [GH, I]), wHh: t(v.wHh, spec.recurrent === 'matrix' ? [GH, H] : [GH]), bIh: t(v.bIh, [GH]), bHh: t(v.bHh, [GH]),
        };
        const xs = v.xs.map((x) => t(x, [B, I]));
        const dhs = v.dhs.map((d) => d && t(d, [B, H]));
        const h0 = t(v.h0, [B, H]);
        const c0 = spec.cellState ? t(v.c0, [B, H]) : null;
        const before = spy.mock.calls.length;
        const f = k.sequences.sequenceForward(spec, xs, h0, c0, w);
        const forward = spy.mock.calls.length - before;
        k.sequences.sequenceBackward(f.tape, dhs, true);
        const backward = spy.mock.calls.length - before - forward;
        spy.mockRestore();
        await f.hs[T - 1].toFloat64ArrayAsync();
        return { forward, backward };
      });
      const first = await once();
      const created = k.runtime.stats().bindGroupsCreated;
      const second = await once();
      expect(second).toEqual(first);
      expect(k.runtime.stats().bindGroupsCreated, `${cell}: bind groups made by a repeat`).toBe(created);
      // Forward: bias broadcast + input-projection GEMM, then per step the recurrent projection
      // (matrix) and the pointwise shader. Backward: per step the pointwise shader and the carry
      // to step t-1; then dW_ih, dW_hh, two bias sums, dX (and zeroing dL/dc for the LSTM).
      const perStep = spec.recurrent === 'matrix' ? 2 : 1;
      expect(first.forward, `${cell} forward`).toBe(2 + perStep * T);
      expect(first.backward, `${cell} backward`).toBe(2 * T + 5 + (spec.cellState ? 1 : 0));
    }
  }, 120_000);
});
