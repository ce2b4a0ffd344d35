import type { TypedArray } from '../../tensor/dtype.ts';

/**
 * C[M, N] (+)= op(A) @ op(B) over row-major arrays, where op(A) is [M, K] and op(B) is [K, N].
 * Each layout gets the loop order whose innermost loop walks memory contiguously. Sums are
 * formed in float64 (JS numbers) and rounded once when stored, so float32 results carry a
 * single rounding per element instead of one per multiply-add.
 */
export function gemm(
  a: TypedArray, b: TypedArray, c: TypedArray,
  m: number, n: number, k: number,
  transA: boolean, transB: boolean, accumulate: boolean,
): void {
  if (transB) {
    gemmTransB(a, b, c, m, n, k, transA, accumulate);
  } else if (transA) {
    gemmTransA(a, b, c, m, n, k, accumulate);
  } else {
    gemmPlain(a, b, c, m, n, k, accumulate);
  }
}

/** C = A B: row i of C is a combination of rows of B, accumulated in a float64 row. */
function gemmPlain(a: TypedArray, b: TypedArray, c: TypedArray, m: number, n: number, k: number, accumulate: boolean): void {
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    if (accumulate) for (let j = 0; j < n; j++) row[j] = c[i * n + j];
    else row.fill(0);
    const aOff = i * k;
    for (let p = 0; p < k; p++) {
      const av = a[aOff + p];
      if (av === 0) continue;
      const bOff = p * n;
      for (let j = 0; j < n; j++) row[j] += av * b[bOff + j];
    }
    for (let j = 0; j < n; j++) c[i * n + j] = row[j];
  }
}

/** C = Aᵀ B (weight gradients: dW = dGᵀ X): rank-1 updates, one per row p of A and B, into a
 * float64 copy of C; the inner loop runs over a row of B. */
function gemmTransA(a: TypedArray, b: TypedArray, c: TypedArray, m: number, n: number, k: number, accumulate: boolean): void {
  const acc = new Float64Array(m * n);
  if (accumulate) for (let i = 0; i < m * n; i++) acc[i] = c[i];
  for (let p = 0; p < k; p++) {
    const aOff = p * m;
    const bOff = p * n;
    for (let i = 0; i < m; i++) {
      const av = a[aOff + i];
      if (av === 0) continue;
      const cOff = i * n;
      for (let j = 0; j < n; j++) acc[cOff + j] += av * b[bOff + j];
    }
  }
  for (let i = 0; i < m * n; i++) c[i] = acc[i];
}

/** C = op(A) Bᵀ: C[i, j] is a dot product of row i of op(A) with row j of B. */
function gemmTransB(a: TypedArray, b: TypedArray, c: TypedArray, m: number, n: number, k: number, transA: boolean, accumulate: boolean): void {
  const aRow = new Float64Array(k);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) aRow[p] = transA ? a[p * m + i] : a[i * k + p];
    for (let j = 0; j < n; j++) {
      const bOff = j * k;
      let s = accumulate ? c[i * n + j] : 0;
      for (let p = 0; p < k; p++) s += aRow[p] * b[bOff + p];
      c[i * n + j] = s;
    }
  }
}
