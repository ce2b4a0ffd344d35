import type { Tensor } from '../tensor/tensor.ts';

/** Keeps a zero matrix's iteration at v = 0 (and sigma = 0) instead of 0/0 = NaN; far below any
 * norm a float32 weight matrix can have. */
const TINY = 1e-30;

/**
 * Largest singular value of a 2-D weight tensor, by power iteration on WᵀW from a fixed start
 * vector (so it is deterministic), computed with the tensor's own backend kernels so that on a
 * GPU it never leaves the device: one scalar to read back. A fixed number of rounds, because a
 * convergence test would need a read-back per round; 200 rounds shrink the error of the estimate
 * by (σ₂/σ₁)^(4·200) — below float64 rounding unless σ₂ is within a few tenths of a percent of σ₁.
 * Returns a one-element tensor (NaN for a matrix with non-finite entries).
 */
export function sigmaMax(w: Tensor, rounds = 200): Tensor {
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
