import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradientReach, REACH_THRESHOLD } from '../../src/diagnostics/gradientReach.ts';
import { hiddenGradNorms } from '../../src/diagnostics/hiddenGradNorms.ts';
import { sigmaMax } from '../../src/diagnostics/sigmaMax.ts';
import { tensor } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { fcParams } from '../helpers/fc.ts';
import { runPython } from '../helpers/python.ts';

/** sigma_max of a row-major float64 matrix, read back (the CPU backend reads synchronously). */
const sigmaOf = (w: number[], rows: number, cols: number): number => sigmaMax(tensor(w, [rows, cols], { dtype: 'float64' })).item();

describe('sigmaMax (power iteration)', () => {
  it('is exact on a diagonal matrix and scale-covariant', () => {
    expect(sigmaOf([3, 0, 0, 0, -5, 0, 0, 0, 1], 3, 3)).toBeCloseTo(5, 9);
    expect(sigmaOf([0, 0, 0, 0], 2, 2)).toBe(0);
  });

  it('equals torch.linalg.svdvals(W)[0] on random rectangular matrices ([G*H, H] like W_hh)', () => {
    const rng = Rng.seeded(7);
    const cases = Array.from({ length: 20 }, (_, i) => {
      const H = 1 + (i % 6);
      const rows = [1, 3, 4][i % 3] * H;
      return { rows, cols: H, w: Array.from({ length: rows * H }, () => rng.normal() * (1 + i / 5)) };
    });
    const script = 'import json,sys,torch\nfor c in json.load(sys.stdin):\n  w=torch.tensor(c["w"],dtype=torch.float64).reshape(c["rows"],c["cols"])\n  print(repr(torch.linalg.svdvals(w)[0].item()))';
    const expected = runPython(['-c', script], JSON.stringify(cases)).trim().split('\n').map(Number);
    cases.forEach((c, i) => {
      // 200 rounds of power iteration on WᵀW: the estimate's relative error shrinks like
      // (σ₂/σ₁)^(4·200), far below 1e-8 for random matrices (which have a spectral gap); only
      // float64 rounding of the iterates remains.
      expect(Math.abs(sigmaOf(c.w, c.rows, c.cols) - expected[i])).toBeLessThan(1e-8 * expected[i]);
    });
  });
});

describe('gradientReach', () => {
  it('on a geometric profile g_t = r^(T-t): slope log10(1/r) per step, reach where r^k drops below 1e-6', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 200 }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), (T, r) => {
        const profile = Array.from({ length: T }, (_, t) => r ** (T - 1 - t));
        const s = gradientReach(profile);
        expect(s.decadesPerStep!).toBeCloseTo(-Math.log10(r), 9);
        // steps back k = 0.. with r^k >= 1e-6: k <= log(1e-6)/log(r)
        const expected = Math.min(T, Math.floor(Math.log(REACH_THRESHOLD) / Math.log(r) + 1e-9) + 1);
        expect(s.reach).toBe(expected);
        expect(s.firstToLast!).toBeCloseTo(r ** (T - 1), 12);
      }),
      fcParams(100),
    );
  });

  it('a flat profile reaches all the way back; zeros and nulls stop the reach', () => {
    expect(gradientReach([1, 1, 1, 1]).reach).toBe(4);
    expect(gradientReach([1, 0, 1, 1]).reach).toBe(2);
    expect(gradientReach([1, null, 1, 1]).reach).toBe(2);
    expect(gradientReach([1, 2, 0]).reach).toBe(0);
    expect(gradientReach([1, 2, 0]).decadesPerStep).toBeNull();
  });
});

describe('hiddenGradNorms', () => {
  it('reads ||dL/dh_t|| per layer and step, and 0 for a state that got no gradient', async () => {
    const state = (grad: number[] | null): Tensor => {
      const h = tensor([0, 0], [1, 2], { dtype: 'float64' });
      h.grad = grad ? tensor(grad, [1, 2], { dtype: 'float64' }) : null;
      return h;
    };
    // ||(3, 4)|| = 5, ||(0, 2)|| = 2, ||(1, 0)|| = 1.
    expect(await hiddenGradNorms([[state([3, 4]), state(null)], [state(null), state([0, 2]), state([1, 0])]]))
      .toEqual([[5, 0], [0, 2, 1]]);
  });
});
