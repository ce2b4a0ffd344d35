import type { Kernel } from './runtime.ts';
import { elementwise } from './wgsl.ts';

/** Tile edge of the GEMM: 16 x 16 = 256 invocations per workgroup (the default limit). */
export const TILE = 16;

/**
 * C[M, N] (+)= op(A) @ op(B), op transposing when asked; one invocation per element of C,
 * 16 x 16 tiles of A and B staged in workgroup memory. Each element's sum runs over k in order
 * 0..K-1 (fixed, so results repeat bit for bit). P: M, N, K, transA, transB, accumulate.
 */
export const GEMM: Kernel = {
  code: `@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
var<workgroup> As: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> Bs: array<array<f32, ${TILE}>, ${TILE}>;

@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = P[0];
  let N = P[1];
  let K = P[2];
  let transA = P[3] == 1u;
  let transB = P[4] == 1u;
  let row = wg.y * ${TILE}u + lid.y;
  let col = wg.x * ${TILE}u + lid.x;
  var s = 0.0;
  let tiles = (K + ${TILE - 1}u) / ${TILE}u;
  for (var t = 0u; t < tiles; t++) {
    let ka = t * ${TILE}u + lid.x;
    var av = 0.0;
    if (row < M && ka < K) { av = select(A[row * K + ka], A[ka * M + row], transA); }
    As[lid.y][lid.x] = av;
    let kb = t * ${TILE}u + lid.y;
    var bv = 0.0;
    if (kb < K && col < N) { bv = select(B[kb * N + col], B[col * K + kb], transB); }
    Bs[lid.y][lid.x] = bv;
    workgroupBarrier();
    for (var p = 0u; p < ${TILE}u; p++) { s += As[lid.y][p] * Bs[p][lid.x]; }
    workgroupBarrier();
  }
  if (row < M && col < N) {
    let at = row * N + col;
    if (P[5] == 1u) { C[at] = C[at] + s; } else { C[at] = s; }
  }
}`,
};

/**
 * The same product without workgroup memory: one invocation per element of C, reading A and B
 * straight from storage, k in order 0..K-1.
 * Small products are cheaper this way: no barriers, which software rasterizers such as
 * SwiftShader run slowly (measured: 1.6 ms per 16 x 16 tiled dispatch against 0.3 ms for a
 * plain one). The sums run in the same order as GEMM's. P: M * N, N, K, transA, transB, accumulate, M.
 */
export const GEMM_DIRECT: Kernel = elementwise(
  [['A', 'read'], ['B', 'read'], ['C', 'read_write']],
  `  let N = P[1];
  let K = P[2];
  let M = P[6];
  let row = i / N;
  let col = i % N;
  var s = 0.0;
  for (var p = 0u; p < K; p++) {
    let av = select(A[row * K + p], A[p * M + row], P[3] == 1u);
    let bv = select(B[p * N + col], B[col * K + p], P[4] == 1u);
    s += av * bv;
  }
  if (P[5] == 1u) { C[i] = C[i] + s; } else { C[i] = s; }`,
);

/** Products up to this many multiply-adds use GEMM_DIRECT. */
export const DIRECT_GEMM_MAX_WORK = 1 << 20;
