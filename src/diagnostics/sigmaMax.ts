import { SIGMA_MAX_TINY as TINY } from '../backends/backend.ts';
import type { Tensor } from '../tensor/tensor.ts';

/**
 * Largest singular value of a 2-D weight tensor, by power iteration on WᵀW from a fixed start
 * vector (so it is deterministic), computed with the tensor's own backend kernels so that on a
 * GPU it never leaves the device: one scalar to read back. A fixed number of rounds, because a
 * convergence test would need a read-back per round; 200 rounds shrink the error of the estimate
 * by (σ₂/σ₁)^(4·200) — below float64 rounding unless σ₂ is within a few tenths of a percent of σ₁.
 * Then the error also grows with how little of the start vector lies along the top singular
 * vector: at most 9.2e-4 · (1 − c₁²)/c₁² relative, c₁² that share (test/parity/probeParity.test.ts
 * derives it). An estimate never exceeds σ_max.
 * Returns a one-element tensor (NaN for a matrix with non-finite entries).
 *
 * A backend with `sigmaMaxPower` runs the same iteration as one kernel (on WebGPU one dispatch
 * instead of ~6 per round); the generic path below is the definition it follows.
 */
export function sigmaMax(w: Tensor, rounds = 200): Tensor {
  if (w.rank !== 1 && w.rank !== 2) throw new Error(`sigmaMax needs a 1-D (diagonal) or 2-D tensor, got ${w.toString()}`);
  const k = w.backend;
  if (k.sigmaMaxPower) return k.sigmaMaxPower(w, rounds);
  return sigmaMaxGeneric(w, rounds);
}

/** The iteration through the backend's core kernels (exported for tests that compare the two). */
export function sigmaMaxGeneric(w: Tensor, rounds = 200): Tensor {
  if (w.rank === 1) return sigmaMaxDiagonal(w, rounds);
  if (w.rank !== 2) throw new Error(`sigmaMax needs a 1-D (diagonal) or 2-D tensor, got ${w.toString()}`);
  const k = w.backend;
  const cols = w.shape[1];
  let v = k.full([cols, 1], w.dtype, 1 / Math.sqrt(cols));
  let estimate = k.full([], w.dtype, 0);
  const tiny = k.full([1, 1], w.dtype, TINY);
  for (let it = 0; it < rounds; it++) {
    const next = k.matmul(w, k.matmul(w, v, false, false), true, false); // WᵀW v
    const norm = k.cast(k.norm(next), w.dtype); // -> σ² for unit v
    estimate = k.unary('sqrt', norm);
    v = k.binary('div', next, k.binary('add', k.reshape(norm, [1, 1]), tiny));
  }
  return estimate;
}

/**
 * A vector u read as the diagonal matrix diag(u) (IndRNN's recurrent weights): σ_max = max|u_j|,
 * found by the same power iteration (v ← u² ⊙ v, normalised) so that it too stays on the device,
 * with the same fixed rounds and the same convergence caveat (two entries of nearly equal |u|).
 */
function sigmaMaxDiagonal(u: Tensor, rounds: number): Tensor {
  const k = u.backend;
  const n = u.shape[0];
  const u2 = k.binary('mul', u, u);
  let v = k.full([n], u.dtype, 1 / Math.sqrt(n));
  let estimate = k.full([], u.dtype, 0);
  const tiny = k.full([1], u.dtype, TINY);
  for (let it = 0; it < rounds; it++) {
    const next = k.binary('mul', u2, v); // diag(u)ᵀ diag(u) v
    const norm = k.cast(k.norm(next), u.dtype);
    estimate = k.unary('sqrt', norm);
    v = k.binary('div', next, k.binary('add', k.reshape(norm, [1]), tiny));
  }
  return estimate;
}
