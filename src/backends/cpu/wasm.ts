// Node's modules are taken at run time (process.getBuiltinModule), not imported: the CPU backend
// is also bundled for the browser (the WebGPU browser test), where this file must load and simply
// fall back to the JavaScript kernels.
const node = typeof process !== 'undefined' && typeof process.getBuiltinModule === 'function'
  ? {
    fs: process.getBuiltinModule('node:fs'),
    url: process.getBuiltinModule('node:url'),
    v8: process.getBuiltinModule('node:v8'),
  }
  : null;

/**
 * The float32 WebAssembly SIMD GEMM (asm/gemm.ts, built into asm/build/kernels.wasm by
 * `npm run build`, which `npm ci` runs through the `prepare` script), and the memory it works in.
 *
 * The module exports one kernel over its own linear memory:
 *   C[i*ldc + j] (+)= sum_p A[i*ars + p*acs] * B[p*ldb + j],  i < m, j < n, n a multiple of 4,
 * so every operand lives in that memory. Callers lay their working buffers out in it with
 * `layout` (16-byte aligned regions from a fixed base), call `reserve` once for the total, then
 * read and write through `f32` (a view that is replaced when the memory grows, so read it after
 * `reserve`, never keep it across calls). The memory only grows: a shape's buffers are allocated
 * once and reused by every later call of that size or smaller. Nothing here is shared between
 * calls, so a kernel may use the whole region from the base on.
 *
 * Two builds of the same source: plain SIMD, and relaxed SIMD (f32x4.relaxed_madd in the GEMM,
 * ~1.4x faster here, bench/NOTES.md), picked at load time with WebAssembly.validate. When the
 * .wasm is missing (a build that did not run) or cannot load, `loadWasmGemm()` gives null and a
 * status saying why, and the default CPU backend is the JavaScript one (backends/cpu/index.ts).
 */
export interface WasmGemm {
  /** Which build this is: 'wasm simd' or 'wasm relaxed-simd' (what a manifest records). */
  readonly build: string;
  /** float32 view of the whole memory; replaced by `reserve` when it grows. */
  readonly f32: Float32Array;
  /** Make sure `floats` float32 values from `BASE` on exist (grows the memory when needed). */
  reserve(floats: number): void;
  /** The kernel; offsets in float32 elements of `f32`, strides in elements. */
  gemm(a: number, ars: number, acs: number, b: number, ldb: number, c: number, ldc: number,
    m: number, n: number, k: number, accumulate: boolean): void;
  /** One LSTM step over B rows (asm/cells.ts): pre [B, ldp] becomes the activated gates. */
  lstmStep(pre: number, ldp: number, cPrev: number, cNext: number, tanhC: number, hNext: number, B: number, H: number): void;
  /** out[b*H + j] = tanh(pre[b*ldp + j]). */
  tanhRows(pre: number, ldp: number, out: number, B: number, H: number): void;
  /** out[i] = exp / sigmoid / tanh (kind 0 / 1 / 2) of x[i], for the tests. */
  apply(kind: number, x: number, out: number, n: number): void;
  /** One LSTM backward step over B rows (asm/cells.ts has the argument list). */
  lstmBackStep(dhIn: number, ldIn: number, useIn: boolean, ext: number, useExt: boolean, dhOut: number,
    gates: number, ldg: number, tanhC: number, cPrev: number, dc: number, dG: number, ldd: number, B: number, H: number): void;
  /** One tanh-RNN backward step over B rows. */
  tanhBackStep(dhIn: number, ldIn: number, useIn: boolean, ext: number, useExt: boolean, dhOut: number,
    y: number, dG: number, ldd: number, B: number, H: number): void;
}

/** First float32 index callers may use: the module's own static data sits below 64 KiB. */
export const BASE = 16384;

/** n rounded up to a multiple of 4 (the kernel's column granularity). */
export const pad4 = (n: number): number => (n + 3) & ~3;

/** Offsets (float32 elements) of consecutive regions of the given sizes, each 16-byte aligned,
 * from BASE; the last entry is the end of the last region. */
export function layout(sizes: readonly number[]): number[] {
  const offs: number[] = [];
  let o = BASE;
  for (const s of sizes) {
    offs.push(o);
    o += pad4(s);
  }
  offs.push(o);
  return offs;
}

interface Exports {
  memory: WebAssembly.Memory;
  gemm(a: number, ars: number, acs: number, b: number, ldb: number, c: number, ldc: number,
    m: number, n: number, k: number, accumulate: number): void;
  lstmStep(pre: number, ldp: number, cPrev: number, cNext: number, tanhC: number, hNext: number, B: number, H: number): void;
  tanhRows(pre: number, ldp: number, out: number, B: number, H: number): void;
  apply(kind: number, x: number, out: number, n: number): void;
  lstmBackStep(dhIn: number, ldIn: number, useIn: number, ext: number, useExt: number, dhOut: number,
    gates: number, ldg: number, tanhC: number, cPrev: number, dc: number, dG: number, ldd: number, B: number, H: number): void;
  tanhBackStep(dhIn: number, ldIn: number, useIn: number, ext: number, useExt: number, dhOut: number,
    y: number, dG: number, ldd: number, B: number, H: number): void;
}

/** Reduction chunk for long k (measured best of 32..512 on the weight-gradient shapes). */
const KC = 48;

/** The plain-SIMD build, and the relaxed-SIMD one (fused multiply-add), preferred when the engine takes it. */
export const WASM_PATH = node ? node.url.fileURLToPath(new URL('../../../asm/build/kernels.wasm', import.meta.url)) : '';
export const WASM_RELAXED_PATH = node ? node.url.fileURLToPath(new URL('../../../asm/build/kernels-relaxed.wasm', import.meta.url)) : '';

class Gemm implements WasmGemm {
  f32: Float32Array;
  private readonly kernel: Exports['gemm'];

  constructor(private readonly exports: Exports, readonly build: string) {
    this.kernel = exports.gemm;
    this.f32 = new Float32Array(exports.memory.buffer);
  }

  lstmStep(pre: number, ldp: number, cPrev: number, cNext: number, tanhC: number, hNext: number, B: number, H: number): void {
    this.exports.lstmStep(pre * 4, ldp, cPrev * 4, cNext * 4, tanhC * 4, hNext * 4, B, H);
  }

  tanhRows(pre: number, ldp: number, out: number, B: number, H: number): void {
    this.exports.tanhRows(pre * 4, ldp, out * 4, B, H);
  }

  apply(kind: number, x: number, out: number, n: number): void {
    this.exports.apply(kind, x * 4, out * 4, n);
  }

  lstmBackStep(dhIn: number, ldIn: number, useIn: boolean, ext: number, useExt: boolean, dhOut: number,
    gates: number, ldg: number, tanhC: number, cPrev: number, dc: number, dG: number, ldd: number, B: number, H: number): void {
    this.exports.lstmBackStep(dhIn * 4, ldIn, useIn ? 1 : 0, ext * 4, useExt ? 1 : 0, dhOut * 4,
      gates * 4, ldg, tanhC * 4, cPrev * 4, dc * 4, dG * 4, ldd, B, H);
  }

  tanhBackStep(dhIn: number, ldIn: number, useIn: boolean, ext: number, useExt: boolean, dhOut: number,
    y: number, dG: number, ldd: number, B: number, H: number): void {
    this.exports.tanhBackStep(dhIn * 4, ldIn, useIn ? 1 : 0, ext * 4, useExt ? 1 : 0, dhOut * 4, y * 4, dG * 4, ldd, B, H);
  }

  reserve(floats: number): void {
    const bytes = (BASE + floats) * 4;
    const have = this.exports.memory.buffer.byteLength;
    if (bytes > have) {
      this.exports.memory.grow(Math.ceil((bytes - have) / 65536));
    }
    if (this.f32.buffer !== this.exports.memory.buffer) this.f32 = new Float32Array(this.exports.memory.buffer);
  }

  gemm(a: number, ars: number, acs: number, b: number, ldb: number, c: number, ldc: number,
    m: number, n: number, k: number, accumulate: boolean): void {
    if (m <= 0 || n <= 0) return;
    if (k <= 2 * KC) {
      this.kernel(a * 4, ars, acs, b * 4, ldb, c * 4, ldc, m, n, k, accumulate ? 1 : 0);
      return;
    }
    // Long reductions (the weight gradients, k = B*T) in chunks of KC: each chunk's slices of A
    // and B stay in L1/L2 while the tiles pass over them (19 GFLOP/s against 7-9 unblocked,
    // bench/NOTES.md). C carries the float32 partial sums between chunks, so the sum is formed
    // in the same order, and rounds the same way, as in one call.
    for (let p0 = 0; p0 < k; p0 += KC) {
      this.kernel((a + p0 * acs) * 4, ars, acs, (b + p0 * ldb) * 4, ldb, c * 4, ldc, m, n, Math.min(KC, k - p0),
        accumulate || p0 > 0 ? 1 : 0);
    }
  }
}

/** Instantiates one build of the kernels (each instance has its own memory). */
export function instantiate(path: string): WasmGemm {
  if (!node) throw new Error('the wasm kernels load from files, in Node only');
  const instance = new WebAssembly.Instance(new WebAssembly.Module(node.fs.readFileSync(path)), {});
  return new Gemm(instance.exports as unknown as Exports, path === WASM_RELAXED_PATH ? 'wasm relaxed-simd' : 'wasm simd');
}

/**
 * Whether this engine compiles relaxed SIMD. Node 20's V8 (11.3) has it behind
 * --experimental-wasm-relaxed-simd, which is turned on here, once, for the
 * process, only when the engine refuses the module without it; later engines ship it on.
 */
function relaxedSupported(bytes: Buffer<ArrayBuffer>): boolean {
  if (WebAssembly.validate(bytes)) return true;
  node?.v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(bytes);
}

/** The kernels `loadWasmGemm` found, or null and why not. */
export interface WasmLoad {
  /** The float32 SIMD kernels, or null when they are unavailable. */
  readonly gemm: WasmGemm | null;
  /** The build that loaded ('wasm relaxed-simd', 'wasm simd', its `build`), or why none did. */
  readonly status: string;
}

function load(): WasmLoad {
  if (!node) return { gemm: null, status: 'not running in Node: JavaScript kernels' };
  const { existsSync, readFileSync } = node.fs;
  const want = process.env.GRADLAB_WASM ?? 'auto';
  if (want === 'off') return { gemm: null, status: 'disabled by GRADLAB_WASM=off' };
  if (!existsSync(WASM_PATH)) return { gemm: null, status: `${WASM_PATH} is missing: run npm run build` };
  try {
    if (want !== 'simd' && existsSync(WASM_RELAXED_PATH) && relaxedSupported(readFileSync(WASM_RELAXED_PATH))) {
      const gemm = instantiate(WASM_RELAXED_PATH);
      return { gemm, status: gemm.build };
    }
    const gemm = instantiate(WASM_PATH);
    return { gemm, status: gemm.build };
  } catch (e) {
    return { gemm: null, status: `cannot load ${WASM_PATH}: ${(e as Error).message}` };
  }
}

let loaded: WasmLoad | null = null;

/**
 * This thread's float32 SIMD kernels, loaded on the first call and the same instance (one memory)
 * on every later one: the relaxed-SIMD build where the engine takes it, else the plain-SIMD one,
 * else null with the reason. GRADLAB_WASM=simd picks the plain-SIMD build, GRADLAB_WASM=off none.
 * Nothing chooses the kernels from this globally: a CPU backend is given them (or null) when it
 * is made (backends/cpu/index.ts: cpuWasm, cpuJs, and cpu, the default).
 */
export function loadWasmGemm(): WasmLoad {
  loaded ??= load();
  return loaded;
}

/**
 * out [m, n] = op(A) op(B) in float32 on the SIMD kernel, for the backend's `matmul`: A is copied
 * as stored (the kernel reads A or Aᵀ through its strides), B is packed into K x N rows padded to
 * a multiple of 4, and C's real columns are copied out.
 */
export function matmulWasm(
  gm: WasmGemm, a: Float32Array, b: Float32Array, out: Float32Array,
  m: number, n: number, k: number, transA: boolean, transB: boolean,
): void {
  const np = pad4(n);
  const [oA, oB, oC, end] = layout([m * k, k * np, m * np]);
  gm.reserve(end);
  const f = gm.f32;
  f.set(a.subarray(0, m * k), oA);
  if (transB) {
    f.fill(0, oB, oB + k * np);
    for (let j = 0; j < n; j++) {
      const s = j * k;
      for (let p = 0; p < k; p++) f[oB + p * np + j] = b[s + p];
    }
  } else if (np === n) {
    f.set(b.subarray(0, k * n), oB);
  } else {
    for (let p = 0; p < k; p++) {
      f.set(b.subarray(p * n, (p + 1) * n), oB + p * np);
      f.fill(0, oB + p * np + n, oB + (p + 1) * np);
    }
  }
  gm.gemm(oA, transA ? 1 : k, transA ? m : 1, oB, np, oC, np, m, np, k, false);
  if (np === n) out.set(f.subarray(oC, oC + m * n));
  else for (let i = 0; i < m; i++) out.set(f.subarray(oC + i * np, oC + i * np + n), i * n);
}
