// AssemblyScript source of gradlab's float32 WebAssembly SIMD GEMM (built by `npm run build`
// into asm/build/kernels.wasm, which is git-ignored; src/backends/cpu/wasm.ts loads it).
//
// One kernel for every layout the CPU backend needs:
//
//   C[i*ldc + j] (+)= sum_{p<k} A[i*ars + p*acs] * B[p*ldb + j]      for i < m, j < n
//
// A is read one scalar at a time through two strides (ars, acs), so A and Aᵀ cost the same;
// B is read four columns at a time, so it must be "K x N" row-major: callers pack a Bᵀ operand
// into that form once (panels of the weights, once per training step). n must be a multiple of 4
// (callers pad N), and columns n_real..n of B must be readable and of C writable (padding).
// Pointers are byte addresses in this module's memory; strides count float32 elements.
//
// Micro-tiles of 4 rows x 8 columns keep 8 f32x4 accumulators in registers: per p, 2 vector loads
// of B and 4 scalar loads + splats of A feed 8 vector multiply-adds (64 flops). Columns are the
// outer loop, so one 8-column panel of B (k x 32 bytes) stays in L1 while every row block of A
// passes over it. Sums are formed in float32 in increasing p, with one rounding per multiply and
// per add (plain SIMD) or one per fused multiply-add (relaxed SIMD on FMA hardware), so
// |error| <= ~k 2^-24 sum|a b| either way (test/backends/wasmGemm.test.ts).

// acc + a b. The relaxed-SIMD build (asm/build/kernels-relaxed.wasm, `--enable relaxed-simd`)
// uses f32x4.relaxed_madd: one instruction, fused (one rounding) on CPUs with FMA, which the
// engine picks per machine; the plain build rounds the product and the sum separately.
// @ts-ignore: decorator
@inline
function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

export function gemm(
  a: usize, ars: i32, acs: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  m: i32, n: i32, k: i32, accumulate: i32,
): void {
  const ar = <usize>ars << 2;
  const ac = <usize>acs << 2;
  const bs = <usize>ldb << 2;
  const cs = <usize>ldc << 2;
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const bj = b + (<usize>j << 2);
    const cj = c + (<usize>j << 2);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = a + <usize>i * ar;
      const a1 = a0 + ar;
      const a2 = a1 + ar;
      const a3 = a2 + ar;
      const c0 = cj + <usize>i * cs;
      const c1 = c0 + cs;
      const c2 = c1 + cs;
      const c3 = c2 + cs;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0);
      let s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      if (accumulate) {
        s00 = v128.load(c0); s01 = v128.load(c0, 16);
        s10 = v128.load(c1); s11 = v128.load(c1, 16);
        s20 = v128.load(c2); s21 = v128.load(c2, 16);
        s30 = v128.load(c3); s31 = v128.load(c3, 16);
      }
      let pb = bj;
      let pa: usize = 0;
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        let x = v128.load32_splat(a0 + pa);
        s00 = madd(s00, x, b0); s01 = madd(s01, x, b1);
        x = v128.load32_splat(a1 + pa);
        s10 = madd(s10, x, b0); s11 = madd(s11, x, b1);
        x = v128.load32_splat(a2 + pa);
        s20 = madd(s20, x, b0); s21 = madd(s21, x, b1);
        x = v128.load32_splat(a3 + pa);
        s30 = madd(s30, x, b0); s31 = madd(s31, x, b1);
        pb += bs;
        pa += ac;
      }
      v128.store(c0, s00); v128.store(c0, s01, 16);
      v128.store(c1, s10); v128.store(c1, s11, 16);
      v128.store(c2, s20); v128.store(c2, s21, 16);
      v128.store(c3, s30); v128.store(c3, s31, 16);
    }
    for (; i < m; i++) {
      const a0 = a + <usize>i * ar;
      const c0 = cj + <usize>i * cs;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      if (accumulate) { s0 = v128.load(c0); s1 = v128.load(c0, 16); }
      let pb = bj;
      let pa: usize = 0;
      for (let p = 0; p < k; p++) {
        const x = v128.load32_splat(a0 + pa);
        s0 = madd(s0, x, v128.load(pb));
        s1 = madd(s1, x, v128.load(pb, 16));
        pb += bs;
        pa += ac;
      }
      v128.store(c0, s0); v128.store(c0, s1, 16);
    }
  }
  if (j < n) { // the last 4 columns (n is a multiple of 4)
    const bj = b + (<usize>j << 2);
    const cj = c + (<usize>j << 2);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = a + <usize>i * ar;
      const a1 = a0 + ar;
      const a2 = a1 + ar;
      const a3 = a2 + ar;
      const c0 = cj + <usize>i * cs;
      const c1 = c0 + cs;
      const c2 = c1 + cs;
      const c3 = c2 + cs;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      if (accumulate) { s0 = v128.load(c0); s1 = v128.load(c1); s2 = v128.load(c2); s3 = v128.load(c3); }
      let pb = bj;
      let pa: usize = 0;
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(pb);
        s0 = madd(s0, v128.load32_splat(a0 + pa), b0);
        s1 = madd(s1, v128.load32_splat(a1 + pa), b0);
        s2 = madd(s2, v128.load32_splat(a2 + pa), b0);
        s3 = madd(s3, v128.load32_splat(a3 + pa), b0);
        pb += bs;
        pa += ac;
      }
      v128.store(c0, s0); v128.store(c1, s1); v128.store(c2, s2); v128.store(c3, s3);
    }
    for (; i < m; i++) {
      const a0 = a + <usize>i * ar;
      const c0 = cj + <usize>i * cs;
      let s0 = f32x4.splat(0);
      if (accumulate) s0 = v128.load(c0);
      let pb = bj;
      let pa: usize = 0;
      for (let p = 0; p < k; p++) {
        s0 = madd(s0, v128.load32_splat(a0 + pa), v128.load(pb));
        pb += bs;
        pa += ac;
      }
      v128.store(c0, s0);
    }
  }
}

/**
 * `gemm` with the reduction in chunks of `kc` (when k > 2 kc): each chunk's slices of A and B stay
 * in L1/L2 while the tiles pass over them (the weight gradients, k = B*T: 19 GFLOP/s against 7-9
 * unblocked, bench/NOTES.md). C carries the float32 partial sums between chunks, so every element is
 * summed in the same order, and rounds the same way, as in one call. The callers on every thread
 * (src/backends/cpu/wasm.ts, gemmWorker.mjs) run this one loop, so a split over threads sums alike.
 */
export function gemmBlocked(
  a: usize, ars: i32, acs: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  m: i32, n: i32, k: i32, accumulate: i32, kc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 2 * kc) {
    gemm(a, ars, acs, b, ldb, c, ldc, m, n, k, accumulate);
    return;
  }
  for (let p0 = 0; p0 < k; p0 += kc) {
    const step = min(kc, k - p0);
    gemm(a + (<usize>(p0 * acs) << 2), ars, acs, b + (<usize>(p0 * ldb) << 2), ldb, c, ldc, m, n, step, accumulate || p0 > 0 ? 1 : 0);
  }
}
