import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import { sigmaMax, sigmaMaxGeneric } from '../../src/diagnostics/sigmaMax.ts';
import { full, tensor } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

/**
 * The power iteration round by round, with hand-worked literals (the torch comparison in
 * diagnostics.test.ts only sees the converged value, where the start vector's length and one
 * round more or less no longer show).
 *
 * W = diag(2, 1) as a matrix, and u = (2, 1) as IndRNN's diagonal: WᵀW = diag(4, 1), and the
 * start vector is the unit vector v₀ = (1, 1)/√2.
 *   round 1: WᵀW v₀ = (4, 1)/√2, norm √17/√2, estimate √(that) = (17/2)^(1/4) = 1.7075...
 *            v₁ = (4, 1)/√17
 *   round 2: WᵀW v₁ = (16, 1)/√17, norm √257/√17, estimate (257/17)^(1/4) = 1.9718...
 * Both stay below σ_max = 2, as every estimate from a unit start vector must.
 */
const ROUND_1 = (17 / 2) ** 0.25;
const ROUND_2 = (257 / 17) ** 0.25;

const matrix = (): Tensor => tensor([2, 0, 0, 1], [2, 2], { dtype: 'float64' });
const diagonal = (): Tensor => tensor([2, 1], [2], { dtype: 'float64' });

describe('sigmaMax: the power iteration round by round', () => {
  it.each([
    ['a matrix', matrix],
    ['a diagonal (IndRNN)', diagonal],
  ])('%s: one round from the unit start vector gives (17/2)^(1/4), two give (257/17)^(1/4)', (_name, w) => {
    expect(sigmaMaxGeneric(w(), 1).item()).toBeCloseTo(ROUND_1, 14);
    expect(sigmaMaxGeneric(w(), 2).item()).toBeCloseTo(ROUND_2, 14);
    expect(sigmaMax(w(), 1).item()).toBeCloseTo(ROUND_1, 14);
    expect(sigmaMax(w(), 200).item()).toBeCloseTo(2, 14);
  });

  it('the start vector is (1, ..., 1)/√n for every n: one round on the identity gives exactly 1', () => {
    // WᵀW v₀ = v₀, whose norm is 1 only if v₀ is a unit vector.
    for (const n of [1, 3, 4, 9]) {
      const eye = Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
      expect(sigmaMaxGeneric(tensor(eye, [n, n], { dtype: 'float64' }), 1).item(), `n = ${n}`).toBeCloseTo(1, 14);
      expect(sigmaMaxGeneric(full([n], 1, { dtype: 'float64' }), 1).item(), `diagonal n = ${n}`).toBeCloseTo(1, 14);
    }
  });

  it('refuses tensors that are neither a vector nor a matrix, naming the shape', () => {
    const scalar = tensor([3], [], { dtype: 'float64' });
    const cube = tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], { dtype: 'float64' });
    for (const f of [sigmaMax, sigmaMaxGeneric]) {
      expect(() => f(scalar)).toThrow(/^sigmaMax needs a 1-D \(diagonal\) or 2-D tensor, got .*\[\]/);
      expect(() => f(cube)).toThrow(/^sigmaMax needs a 1-D \(diagonal\) or 2-D tensor, got .*\[2, 2, 2\]/);
    }
  });

  it('hands the whole iteration to a backend that has sigmaMaxPower (one kernel on WebGPU)', () => {
    const calls: number[] = [];
    const answer = tensor([42], [], { dtype: 'float64' });
    const withKernel: Backend = Object.assign(Object.create(cpu) as Backend, {
      sigmaMaxPower: (_w: Tensor, rounds: number): Tensor => (calls.push(rounds), answer),
    });
    const w = tensor([2, 0, 0, 1], [2, 2], { dtype: 'float64', backend: withKernel });
    expect(sigmaMax(w, 7)).toBe(answer);
    expect(calls).toEqual([7]);
    // The shape is checked before the kernel sees the tensor.
    const cube = tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], { dtype: 'float64', backend: withKernel });
    expect(() => sigmaMax(cube)).toThrow(/^sigmaMax needs a 1-D \(diagonal\) or 2-D tensor/);
    expect(calls).toEqual([7]);
  });
});
