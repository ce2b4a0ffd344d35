/**
 * Largest singular value of a row-major [rows, cols] matrix by power iteration on WᵀW, from a
 * fixed start vector (so it is deterministic), until the estimate changes by less than `tol`
 * relatively or `maxIter` rounds have run.
 */
export function sigmaMax(w: ArrayLike<number>, rows: number, cols: number, maxIter = 200, tol = 1e-10): number {
  let v = new Float64Array(cols).fill(1 / Math.sqrt(cols));
  const u = new Float64Array(rows);
  let sigma = 0;
  for (let it = 0; it < maxIter; it++) {
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += w[i * cols + j] * v[j];
      u[i] = s;
    }
    const next = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) next[j] += w[i * cols + j] * u[i];
    let norm = 0;
    for (let j = 0; j < cols; j++) norm += next[j] * next[j];
    norm = Math.sqrt(norm);
    if (norm === 0 || !Number.isFinite(norm)) return norm === 0 ? 0 : NaN;
    const estimate = Math.sqrt(norm); // ||WᵀW v|| -> sigma² for unit v
    for (let j = 0; j < cols; j++) next[j] /= norm;
    v = next;
    if (Math.abs(estimate - sigma) <= tol * estimate) return estimate;
    sigma = estimate;
  }
  return sigma;
}
