import type { Kernel } from './runtime.ts';

/** The most invocations of the one workgroup (the default limit). */
const MAX_THREADS = 256;
/** The fewest: a warp or wavefront's worth. */
const MIN_THREADS = 32;

/**
 * The workgroup width for a [rows, cols] matrix: enough invocations for one row or column each
 * (a power of two, for the reduction tree), at most 256. A smaller matrix gets a narrower
 * workgroup, so that each of the 2·log2(width) + 5 barriers of a round waits on fewer invocations (on a
 * software adapter such as SwiftShader a barrier costs in proportion to the width). The width is
 * a function of the shape only, so a given W still gives the same bits every time.
 */
export function sigmaMaxThreads(rows: number, cols: number): number {
  let t = MIN_THREADS;
  while (t < MAX_THREADS && t < Math.max(rows, cols)) t *= 2;
  return t;
}

const kernels = new Map<number, Kernel>();

/**
 * σ_max by power iteration on WᵀW in ONE dispatch: one workgroup runs every round, the steps of a
 * round separated by barriers, where the generic path (src/diagnostics/sigmaMax.ts) queues two
 * products and a norm's four kernels per round. Same iteration as there: v = 1/sqrt(cols)
 * everywhere; each round next = Wᵀ(W v) (or u² ⊙ v for a diagonal W = diag(u)), norm = ‖next‖,
 * estimate = sqrt(norm), v = next / (norm + TINY).
 *
 * The norm is the backend's: m · sqrt(Σ (x/m)²) with m = max|x|, so that tiny vectors do not
 * underflow, NaN when any element is not finite (detected from the exponent bits). Every sum runs
 * in a fixed order: the products over k = 0..K-1, one invocation per output (as GEMM_DIRECT);
 * the norm's sum as each invocation's elements in index order, then a fixed pairwise tree over
 * the invocations' partials. No atomics: the same W gives the same bits.
 *
 * The vectors live in two scratch storage buffers (their length is the matrix's, unknown when the
 * shader is built); storageBarrier makes one step's writes visible to the whole workgroup.
 * P: rows, cols, rounds, diagonal (0/1), 1/sqrt(cols), TINY, NaN, +Infinity (WGSL rejects
 * non-finite constants, so their bits come in as parameters).
 * Bindings: W (read), V [cols] (scratch), U [rows] (scratch), OUT [1].
 */
export function sigmaMaxPowerKernel(threads: number): Kernel {
  let kernel = kernels.get(threads);
  if (kernel) return kernel;
  kernel = {
    code: `@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read_write> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> U: array<f32>;
@group(0) @binding(4) var<storage, read_write> OUT: array<f32>;
var<workgroup> partial: array<f32, ${threads}>;

fn pf(i: u32) -> f32 { return bitcast<f32>(P[i]); }
fn nonfinite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u; }

// The same value in every invocation: partial[0] after a fixed-order tree over the partials,
// max or sum. The tree's barriers sit in uniform control flow (the loop bound is a constant).
fn treeReduce(lid: u32, isMax: bool) -> f32 {
  for (var half = ${threads / 2}u; half > 0u; half = half / 2u) {
    workgroupBarrier();
    if (lid < half) {
      let a = partial[lid];
      let b = partial[lid + half];
      partial[lid] = select(a + b, max(a, b), isMax);
    }
  }
  return workgroupUniformLoad(&partial[0]);
}

@compute @workgroup_size(${threads})
fn main(@builtin(local_invocation_index) lid: u32) {
  let rows = P[0];
  let cols = P[1];
  let rounds = P[2];
  let diagonal = P[3] == 1u;
  for (var c = lid; c < cols; c += ${threads}u) { V[c] = pf(4u); }
  var estimate = 0.0;
  for (var round = 0u; round < rounds; round++) {
    storageBarrier();
    // U = W V (matrix only), one row per invocation.
    if (!diagonal) {
      for (var r = lid; r < rows; r += ${threads}u) {
        var s = 0.0;
        for (var p = 0u; p < cols; p++) { s += W[r * cols + p] * V[p]; }
        U[r] = s;
      }
    }
    storageBarrier();
    // next = Wᵀ U (or u² ⊙ V), into V: each invocation reads and writes its own columns only.
    var m = 0.0;
    var bad = false;
    for (var c = lid; c < cols; c += ${threads}u) {
      var s = 0.0;
      if (diagonal) {
        s = (W[c] * W[c]) * V[c];
      } else {
        for (var p = 0u; p < rows; p++) { s += W[p * cols + c] * U[p]; }
      }
      V[c] = s;
      if (nonfinite(s)) { bad = true; } else { m = max(m, abs(s)); }
    }
    // max |next|, +Infinity standing for "some element is not finite".
    partial[lid] = select(m, pf(7u), bad);
    let top = treeReduce(lid, true);
    var sq = 0.0;
    if (top > 0.0 && !nonfinite(top)) {
      for (var c = lid; c < cols; c += ${threads}u) { let x = V[c] / top; sq += x * x; }
    }
    workgroupBarrier();
    partial[lid] = sq;
    let sum = treeReduce(lid, false);
    let norm = select(top * sqrt(sum), pf(6u), nonfinite(top));
    estimate = sqrt(norm);
    let scale = norm + pf(5u);
    for (var c = lid; c < cols; c += ${threads}u) { V[c] = V[c] / scale; }
  }
  if (lid == 0u) { OUT[0] = estimate; }
}`,
  };
  kernels.set(threads, kernel);
  return kernel;
}
