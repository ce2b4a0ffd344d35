import { asCellFingerprint, asKernelNames } from '../../cells/generateAs.ts';
import type { CellSpec } from '../../cells/spec.ts';
import { GemmThreads, type BlockedGemm } from './gemmThreads.ts';

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
 * The module's GEMM (gemmBlocked: the kernel, with long reductions in chunks) works in the
 * module's memory, a shared WebAssembly.Memory this file creates so that GEMM helper threads
 * (gemmThreads.ts) can work in it too:
 *   C[i*ldc + j] (+)= sum_p A[i*ars + p*acs] * B[p*ldb + j],  i < m, j < n, n a multiple of 4,
 * so every operand lives in that memory. The cells' step kernels (asm/cells.ts, and those
 * generated from the cell specs) work there as well. Callers lay their working buffers out in it with
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
  /** Threads the GEMMs are split over (1: this thread alone); results are the same for any. */
  readonly threads: number;
  /** Share the GEMMs with `threads` − 1 helper threads (gemmThreads.ts); 1 stops them. */
  setThreads(threads: number): void;
  /** Products split over threads so far (a diagnostic). */
  readonly productsSplit: number;
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
  /**
   * The step kernels generated from `spec` (src/cells/generateAs.ts), or null when this build has
   * none for it or was made from other equations (an older build: its fingerprint differs).
   */
  generatedCell(spec: CellSpec): GeneratedCell | null;
}

/** One cell's generated step kernels; offsets in float32 elements (generateAs.ts has the contract). */
export interface GeneratedCell {
  forward(xi: number, xiLd: number, xb: number, hh: number, hhLd: number, hb: number, hp: number, cp: number,
    sv: number, ho: number, co: number, B: number, H: number): void;
  backward(dhIn: number, ldIn: number, useIn: boolean, ext: number, useExt: boolean, dhOut: number, carry: number,
    sv: number, hp: number, cp: number, hn: number, dc: number, dxi: number, dxiLd: number, dhh: number, dhhLd: number,
    B: number, H: number): void;
}

type RawForward = (...args: number[]) => void;

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
  gemmBlocked: BlockedGemm;
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
/** The module's memory: shared (so helper threads can work in it), at most 4 GiB (wasm32's reach). */
const MAX_PAGES = 65536;

/** The plain-SIMD build, and the relaxed-SIMD one (fused multiply-add), preferred when the engine takes it. */
export const WASM_PATH = node ? node.url.fileURLToPath(new URL('../../../asm/build/kernels.wasm', import.meta.url)) : '';
export const WASM_RELAXED_PATH = node ? node.url.fileURLToPath(new URL('../../../asm/build/kernels-relaxed.wasm', import.meta.url)) : '';

class Gemm implements WasmGemm {
  f32: Float32Array;
  private readonly pool: GemmThreads;
  private readonly generated = new WeakMap<CellSpec, GeneratedCell | null>(); // by identity: a spec is a constant

  constructor(module: WebAssembly.Module, private readonly memory: WebAssembly.Memory, private readonly exports: Exports, readonly build: string) {
    this.pool = new GemmThreads(module, memory, exports.gemmBlocked);
    this.f32 = new Float32Array(memory.buffer);
  }

  get threads(): number {
    return this.pool.threads;
  }

  setThreads(threads: number): void {
    this.pool.setThreads(threads);
  }

  get productsSplit(): number {
    return this.pool.split;
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

  generatedCell(spec: CellSpec): GeneratedCell | null {
    let cell = this.generated.get(spec);
    if (cell === undefined) {
      cell = this.bindGenerated(spec);
      this.generated.set(spec, cell);
    }
    return cell;
  }

  private bindGenerated(spec: CellSpec): GeneratedCell | null {
    const ex = this.exports as unknown as Record<string, unknown>;
    const names = asKernelNames(spec.kind);
    const fp = ex[names.fingerprint];
    const fwd = ex[names.forward];
    const bwd = ex[names.backward];
    if (typeof fp !== 'function' || typeof fwd !== 'function' || typeof bwd !== 'function') return null;
    if ((fp as () => number)() >>> 0 !== asCellFingerprint(spec)) return null;
    const f = fwd as RawForward;
    const g = bwd as RawForward;
    return {
      forward: (xi, xiLd, xb, hh, hhLd, hb, hp, cp, sv, ho, co, B, H) =>
        f(xi * 4, xiLd, xb * 4, hh * 4, hhLd, hb * 4, hp * 4, cp * 4, sv * 4, ho * 4, co * 4, B, H),
      backward: (dhIn, ldIn, useIn, ext, useExt, dhOut, carry, sv, hp, cp, hn, dc, dxi, dxiLd, dhh, dhhLd, B, H) =>
        g(dhIn * 4, ldIn, useIn ? 1 : 0, ext * 4, useExt ? 1 : 0, dhOut * 4, carry * 4, sv * 4, hp * 4, cp * 4, hn * 4, dc * 4,
          dxi * 4, dxiLd, dhh * 4, dhhLd, B, H),
    };
  }

  reserve(floats: number): void {
    const bytes = (BASE + floats) * 4;
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      if (bytes > MAX_PAGES * 65536) throw new Error(`wasm kernels: ${bytes} bytes of working memory is past the 4 GiB a wasm32 module can address`);
      this.memory.grow(Math.ceil((bytes - have) / 65536));
    }
    // A shared memory's buffer is a new object after it grows (and may be on any call): compare lengths.
    if (this.f32.byteLength !== this.memory.buffer.byteLength) this.f32 = new Float32Array(this.memory.buffer);
  }

  gemm(a: number, ars: number, acs: number, b: number, ldb: number, c: number, ldc: number,
    m: number, n: number, k: number, accumulate: boolean): void {
    if (m <= 0 || n <= 0) return;
    // Long reductions in chunks of KC (asm/gemm.ts gemmBlocked), split by columns over the threads.
    this.pool.gemm(a * 4, ars, acs, b * 4, ldb, c * 4, ldc, m, n, k, accumulate ? 1 : 0, KC);
  }
}

/** Instantiates one build of the kernels (each instance has its own memory). */
export function instantiate(path: string): WasmGemm {
  if (!node) throw new Error('the wasm kernels load from files, in Node only');
  const module = new WebAssembly.Module(node.fs.readFileSync(path));
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return new Gemm(module, memory, instance.exports as unknown as Exports, path === WASM_RELAXED_PATH ? 'wasm relaxed-simd' : 'wasm simd');
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
