/**
 * σ_max(W_hh) on WebGPU in one dispatch (src/backends/webgpu/sigmaMaxPower.ts, used by
 * src/diagnostics/sigmaMax.ts) against the generic power iteration it replaces: the same
 * iteration run through the WebGPU core kernels, and through the CPU backend in float64.
 *
 * The bound. Both float32 runs follow the float64 iteration from the same start, differing only
 * by rounding. In one round next = Wᵀ(W v) for a [r, c] matrix is two sums of c and r terms, so it
 * errs by at most (r + c)·u·|W|ᵀ|W||v| elementwise, u = 2^-24: in norm (r + c)·u·σ(|W|)² for a
 * unit v, against ‖next‖ ≈ σ². The norm adds (c + 4)·u relatively (c squares summed, a division,
 * a square root, a product) and the square root halves the relative error of σ² while adding u of
 * its own. Earlier rounds' errors do not pile up: v is renormalised every round and, near
 * convergence, ‖WᵀW v‖ is stationary in v's direction. So |σ32 − σ64| ≤ GAIN·((r + c)·σ(|W|)²/σ²
 * + c + 6)·u·σ, with GAIN = 4 as slack for iterations not yet converged; the two float32 runs are
 * within twice that of each other. A diagonal W = diag(u) (IndRNN) is the same with r = 0 and two
 * roundings for u²·v: GAIN·(n + 8)·u·σ.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { webgpuBackend } from '../../src/backends/webgpu/index.ts';
import { sigmaMax, sigmaMaxGeneric } from '../../src/diagnostics/sigmaMax.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { scope } from '../../src/tensor/scope.ts';
import { fcParams } from '../helpers/fc.ts';
import { U32 } from './backends.ts';
import { f32s } from './netOutcome.ts';

const GAIN = 4;

interface Matrix {
  /** [rows, cols], or [n] for a diagonal. */
  shape: number[];
  values: number[];
}

const matrixArb: fc.Arbitrary<Matrix> = fc.record({
  diagonal: fc.boolean(),
  rows: fc.integer({ min: 1, max: 12 }),
  cols: fc.integer({ min: 1, max: 12 }),
  // Magnitudes from 1e-3 to 1e1, so the norm's scaling is exercised.
  log10Scale: fc.double({ min: -3, max: 1, noNaN: true }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
}).map(({ diagonal, rows, cols, log10Scale, seed }) => {
  const rng = Rng.seeded(seed);
  const shape = diagonal ? [cols] : [rows, cols];
  const n = diagonal ? cols : rows * cols;
  return { shape, values: f32s(Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * 10 ** log10Scale)) };
});

/** σ on the one-kernel path and in float64 on the CPU, and (when asked: on a software adapter it
 * is ~1200 dispatches) the generic path on WebGPU. */
async function sigmas(m: Matrix, rounds = 200, withGeneric = true): Promise<{ one: number; generic: number | null; f64: number }> {
  const k = await webgpuBackend();
  return scope(async () => ({
    one: await sigmaMax(k.fromValues(m.values, m.shape, 'float32'), rounds).itemAsync(),
    generic: withGeneric ? await sigmaMaxGeneric(k.fromValues(m.values, m.shape, 'float32'), rounds).itemAsync() : null,
    f64: sigmaMax(cpu.fromValues(m.values, m.shape, 'float64'), rounds).item(),
  }));
}

function bound(m: Matrix, sigma: number): number {
  if (m.shape.length === 1) return GAIN * (m.shape[0] + 8) * U32 * sigma;
  const [r, c] = m.shape;
  const sigmaAbs = sigmaMax(cpu.fromValues(m.values.map(Math.abs), m.shape, 'float64')).item();
  if (sigma === 0) return 0;
  return GAIN * ((r + c) * (sigmaAbs / sigma) ** 2 + c + 6) * U32 * sigma;
}

function expectClose(m: Matrix, s: { one: number; generic: number | null; f64: number }): number {
  const b = bound(m, s.f64);
  const label = `${JSON.stringify(m.shape)}${m.values.length <= 64 ? ` ${JSON.stringify(m.values)}` : ''}`;
  if (!(Math.abs(s.one - s.f64) <= b)) expect.fail(`${label}: one kernel ${s.one}, float64 ${s.f64} ± ${b}`);
  if (s.generic !== null && !(Math.abs(s.one - s.generic) <= 2 * b)) expect.fail(`${label}: one kernel ${s.one}, generic webgpu ${s.generic} ± ${2 * b}`);
  return b > 0 ? Math.abs(s.one - s.f64) / b : 0;
}

describe('sigmaMax on webgpu: one kernel', () => {
  it('equals the generic iteration in float64 (cpu) within the float32 bound on random matrices and diagonals', async () => {
    let worst = 0;
    await fc.assert(fc.asyncProperty(matrixArb, async (m) => {
      worst = Math.max(worst, expectClose(m, await sigmas(m, 200, false)));
    }), fcParams(100));
    console.log(`worst error ${(100 * worst).toFixed(3)}% of the bound`);
  }, 120_000);

  it('equals the generic iteration on webgpu (float32) within twice the bound', async () => {
    await fc.assert(fc.asyncProperty(matrixArb, async (m) => {
      expectClose(m, await sigmas(m));
    }), fcParams(12));
  }, 120_000);

  it('covers shapes past one workgroup\'s width (each invocation takes several rows or columns)', async () => {
    const rng = Rng.seeded(5);
    const u = (n: number): number[] => f32s(Array.from({ length: n }, () => rng.uniform() * 2 - 1));
    for (const shape of [[300, 20], [20, 300], [513, 3], [600]]) {
      const m = { shape, values: u(shape.reduce((a, b) => a * b, 1)) };
      expectClose(m, await sigmas(m));
    }
  }, 120_000);

  it('gives what the generic iteration gives at the edges: 0 for a zero matrix and after 0 rounds, NaN with a NaN or an infinity, and after few rounds', async () => {
    const zero = { shape: [3, 4], values: new Array<number>(12).fill(0) };
    expect(await sigmas(zero)).toEqual({ one: 0, generic: 0, f64: 0 });
    expect(await sigmas({ shape: [5], values: [0, 0, 0, 0, 0] })).toEqual({ one: 0, generic: 0, f64: 0 });
    const some = { shape: [2, 3], values: [1, -2, 0.5, 3, 0.25, -1] };
    expect(await sigmas(some, 0)).toEqual({ one: 0, generic: 0, f64: 0 });
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const m of [{ shape: [2, 3], values: [1, -2, bad, 3, 0.25, -1] }, { shape: [3], values: [1, bad, 2] }]) {
        const s = await sigmas(m, 3); // NaN from the first round on
        expect([s.one, s.generic, s.f64].map(Number.isNaN), `${bad} in ${JSON.stringify(m.shape)}`).toEqual([true, true, true]);
      }
    }
    // An iteration stopped early (not converged) is still the same iteration.
    for (const rounds of [1, 2, 5]) expectClose(some, await sigmas(some, rounds));
  }, 120_000);

  it('is one dispatch, and a repeat makes no new bind groups', async () => {
    const k = await webgpuBackend();
    const w = k.fromValues([1, 2, 3, 4, 5, 6], [3, 2], 'float32');
    const once = (): Promise<number> => scope(async () => {
      k.runtime.flush(); // the same parameter slots, hence the same bind groups, each time
      const spy = vi.spyOn(k.runtime, 'dispatchGroups');
      const s = sigmaMax(w);
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
      return s.itemAsync();
    });
    const first = await once();
    const created = k.runtime.stats().bindGroupsCreated;
    expect(await once()).toBe(first);
    expect(k.runtime.stats().bindGroupsCreated).toBe(created);
    w.dispose();
  });
});
