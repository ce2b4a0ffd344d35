/**
 * spectralRadius (src/nn/spectralRadius.ts): Gelfand's formula by repeated squaring.
 *
 * Tolerances. In exact arithmetic the estimate e of ρ satisfies ρ ≤ e ≤ ρ (√n κ(V))^{1/2^m} for a
 * non-defective matrix (κ(V): eigenvector condition number, m = SPECTRAL_RADIUS_SQUARINGS), so
 * each check is one-sided: e/ρ - 1 must lie in [-slack, spectralRadiusErrorBound(n, κ) + slack].
 * The slack covers rounding only, in our squarings and in LAPACK's eigenvalues (both backward
 * stable, each moving ρ by ~κ n 2^-53): 16 κ n 2^-53, at most ~4e-9 for the matrices here. A wrong
 * formula (no 1/2^m root, a lost factor in L, power iteration that oscillates on a complex pair)
 * is off by far more than the bound (>= 1e-2); a too-small m exceeds the bound itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPECTRAL_RADIUS_SQUARINGS, spectralRadius, spectralRadiusErrorBound } from '../../src/nn/spectralRadius.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';
import { runPython } from '../helpers/python.ts';

const K = 2 ** SPECTRAL_RADIUS_SQUARINGS;
const EPS = 2 ** -53;

/** e within [ρ (1 - slack), ρ (1 + bound + slack)]: Gelfand's estimate never undershoots. */
function expectEstimate(e: number, rho: number, bound: number, slack: number, what: string): void {
  const rel = e / rho - 1;
  if (!(rel >= -slack && rel <= bound + slack)) {
    throw new Error(`${what}: estimate ${e} vs ρ ${rho}: relative error ${rel.toExponential(3)} outside [${-slack}, ${bound + slack}]`);
  }
}

function matrix(rows: number[][]): Float64Array {
  return Float64Array.from(rows.flat());
}

describe('spectralRadius: known cases', () => {
  it('m gives the stated accuracy: <= 1e-3 for n <= 1024 and eigenvector condition number <= 1e6', () => {
    expect(spectralRadiusErrorBound(1024, 1e6)).toBeLessThan(1e-3);
    // ≈ ln(√1024 · 1e6) / 2^m = 2.64e-4.
    expect(Math.abs(spectralRadiusErrorBound(1024, 1e6) - Math.log(32e6) / K)).toBeLessThan(1e-7);
  });

  it('diagonal: max |d_i|, within the normal-matrix bound (κ = 1)', () => {
    const d = [0.5, -3, 2, 0.1];
    const a = new Float64Array(16);
    d.forEach((x, i) => (a[i * 5] = x));
    expectEstimate(spectralRadius(a, 4), 3, spectralRadiusErrorBound(4, 1), 16 * 4 * EPS, 'diag(0.5, -3, 2, 0.1)');
    // A 1x1 matrix is its eigenvalue: exact up to exp/log rounding.
    expect(spectralRadius(Float64Array.of(-0.7), 1)).toBeCloseTo(0.7, 14);
  });

  it('r times a rotation: complex eigenvalues r e^{±iθ}, so power iteration never settles; ρ = r', () => {
    // (r R)^k = r^k R(kθ), whose Frobenius norm is exactly r^k √2: the estimate is r 2^{1/(2k)}.
    for (const [r, theta] of [[0.95, 0.3], [2, 2], [1e-3, Math.PI / 2], [7, 3.1]]) {
      const a = matrix([[r * Math.cos(theta), -r * Math.sin(theta)], [r * Math.sin(theta), r * Math.cos(theta)]]);
      const e = spectralRadius(a, 2);
      expectEstimate(e, r, spectralRadiusErrorBound(2, 1), 1e-12, `r = ${r}, θ = ${theta}`);
      expect(e / r).toBeCloseTo(2 ** (1 / (2 * K)), 12);
    }
  });

  it('triangular: the eigenvalues are the diagonal, whatever lies above it', () => {
    const a = matrix([[0.3, 5, -2, 1], [0, -1.2, 3, 4], [0, 0, 0.7, -6], [0, 0, 0, 1.1]]);
    // Eigenvalues distinct, so non-defective; κ(V) = 5.7e2 by numpy, the bound taken at 1e4.
    expectEstimate(spectralRadius(a, 4), 1.2, spectralRadiusErrorBound(4, 1e4), 1e-12, 'upper triangular');
    const lower = new Float64Array(16);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) lower[i * 4 + j] = a[j * 4 + i];
    expectEstimate(spectralRadius(lower, 4), 1.2, spectralRadiusErrorBound(4, 1e4), 1e-12, 'lower triangular');
  });

  it('a defective Jordan block J_3(0.5): converges like (k²)^{1/k}, still within 4e-4', () => {
    // ‖J^k‖_F² = 3λ^{2k} + 2 (kλ^{k-1})² + (C(k,2) λ^{k-2})², so the estimate is exactly
    // λ (3 + 2k²/λ² + C(k,2)²/λ⁴)^{1/(2k)}.
    const lambda = 0.5;
    const e = spectralRadius(matrix([[lambda, 1, 0], [0, lambda, 1], [0, 0, lambda]]), 3);
    const c2 = (K * (K - 1)) / 2;
    const predicted = lambda * Math.exp(Math.log(3 + (2 * K * K) / lambda ** 2 + (c2 * c2) / lambda ** 4) / (2 * K));
    expect(e / predicted - 1).toBeLessThan(1e-12);
    expect(e / predicted - 1).toBeGreaterThan(-1e-12);
    expectEstimate(e, lambda, 4e-4, 0, 'J_3(0.5)');
  });

  it('zero, empty and nilpotent matrices: exactly 0', () => {
    expect(spectralRadius(new Float64Array(9), 3)).toBe(0);
    expect(spectralRadius(new Float64Array(0), 0)).toBe(0);
    // Strictly upper triangular: A^4 = 0.
    expect(spectralRadius(matrix([[0, 1, 2, 3], [0, 0, 4, 5], [0, 0, 0, 6], [0, 0, 0, 0]]), 4)).toBe(0);
    // Not triangular: [[1, 1], [-1, -1]]² = 0, and a strictly triangular one in permuted order.
    expect(spectralRadius(matrix([[1, 1], [-1, -1]]), 2)).toBe(0);
    expect(spectralRadius(matrix([[0, 0, 0], [2, 0, 3], [5, 0, 0]]), 3)).toBe(0);
  });

  it('scales: ρ(cA) = |c| ρ(A), without overflow or underflow for |c| up to 1e300 and down to 1e-300', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 0x7fffffff }), fc.constantFrom(1e300, -1e-300, 3, -1e-5), (n, seed, c) => {
      const r = Rng.seeded(seed);
      const a = Float64Array.from({ length: n * n }, () => r.normal());
      const base = spectralRadius(a, n);
      const scaled = spectralRadius(a.map((x) => c * x), n);
      // Only the initial normalisation sees c; relative difference from its rounding, ~1e-15.
      expect(Math.abs(scaled / (Math.abs(c) * base) - 1)).toBeLessThan(1e-12);
    }), fcParams(50));
  });

  it('refuses non-finite input and a wrong size with a one-line error', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const a = matrix([[1, 2], [3, bad]]);
      expect(() => spectralRadius(a, 2)).toThrow(`spectralRadius: entry [1, 1] is ${bad}; the matrix must be finite`);
    }
    expect(() => spectralRadius(new Float64Array(5), 2)).toThrow('spectralRadius: expected 2×2 = 4 values, got 5');
    expect(() => spectralRadius(new Float64Array(0), -1)).toThrow(/^spectralRadius: n must be an integer >= 0/);
  });
});

/** max |λ| by LAPACK (np.linalg.eigvals) and κ(V) = cond(V) of np.linalg.eig's eigenvectors. */
const NUMPY_SCRIPT = `
import json, sys, numpy as np
out = []
for c in json.load(sys.stdin):
    n = c['n']; a = np.array(c['values'], dtype=np.float64).reshape(n, n)
    w, v = np.linalg.eig(a)
    assert np.allclose(np.sort(np.abs(w)), np.sort(np.abs(np.linalg.eigvals(a))))
    out.append({'rho': float(np.max(np.abs(np.linalg.eigvals(a)))), 'kappa': float(np.linalg.cond(v))})
print(json.dumps(out))
`;

describe('spectralRadius against numpy.linalg.eigvals', () => {
  it('random Gaussian, strongly non-normal and near-defective matrices of several sizes', () => {
    const cases: { label: string; n: number; values: Float64Array }[] = [];
    // Gaussian N(0, 1/n): ρ ≈ 1 (circular law), the dominant eigenvalue often a complex pair.
    for (const n of [1, 2, 3, 7, 16, 50, 128, 257]) {
      for (const seed of n <= 16 ? [1, 2, 3] : [1]) {
        const r = Rng.seeded(1000 * n + seed);
        cases.push({ label: `Gaussian ${n}x${n} seed ${seed}`, n, values: Float64Array.from({ length: n * n }, () => r.normal() / Math.sqrt(n)) });
      }
    }
    // Upper-triangular-dominated: diagonal U(-1, 1), large entries above, small ones below
    // (κ(V) ~ 1e2..1e4).
    for (const [n, s] of [[8, 1], [20, 4], [40, 6], [60, 3]]) {
      const r = Rng.seeded(n * 10 + s);
      cases.push({
        label: `non-normal ${n}x${n} s ${s}`, n,
        values: Float64Array.from({ length: n * n }, (_, k) => {
          const i = Math.floor(k / n);
          const j = k % n;
          return i === j ? r.uniformIn(-1, 1) : ((i < j ? s : 0.01) * r.normal()) / Math.sqrt(n);
        }),
      });
    }
    // Two nearly equal dominant eigenvalues, 1 and 1 + 4e-6, with nearly parallel eigenvectors:
    // κ(V) = 5e5, the edge of the stated domain.
    cases.push({ label: 'near-defective 2x2', n: 2, values: matrix([[1, 1], [0, 1 + 4e-6]]) });
    cases.push({ label: 'near-defective 3x3', n: 3, values: matrix([[0.9, 1, 0], [0, 0.9 + 4e-6, 0.2], [0, -0.3, 0.1]]) });

    const ref = JSON.parse(runPython(['-c', NUMPY_SCRIPT], JSON.stringify(cases.map((c) => ({ n: c.n, values: Array.from(c.values) }))))) as { rho: number; kappa: number }[];
    expect(ref).toHaveLength(cases.length);
    let worst = 0;
    cases.forEach((c, i) => {
      const { rho, kappa } = ref[i];
      const bound = spectralRadiusErrorBound(c.n, kappa);
      expect(kappa, `${c.label}: κ(V) = ${kappa} is outside the domain the bound is stated for`).toBeLessThanOrEqual(1e6);
      expect(bound).toBeLessThan(1e-3);
      const e = spectralRadius(c.values, c.n);
      expectEstimate(e, rho, bound, 16 * kappa * c.n * EPS, `${c.label} (κ(V) ${kappa.toExponential(2)})`);
      worst = Math.max(worst, Math.abs(e / rho - 1));
    });
    // Measured at the time of writing: 1.7e-4 worst (the near-defective 2x2, κ(V) = 5e5, bound
    // 2.1e-4), the other non-normal ones <= 8e-5, the Gaussian ones ~2e-5.
    expect(worst).toBeLessThan(2.5e-4);
  });
});
