import type { Worker as NodeWorker } from 'node:worker_threads';

// Taken at run time, as in wasm.ts: this file is also bundled for the browser, where no helper
// threads start and every GEMM runs on the calling thread.
const workerThreads = typeof process !== 'undefined' && typeof process.getBuiltinModule === 'function'
  ? process.getBuiltinModule('node:worker_threads')
  : null;

/** Ints per helper in the control buffer (gemmWorker.mjs has the layout). */
const SLOT = 16;
/** How long a helper spins for its next job before it sleeps (gemmWorker.mjs says why). */
const SPIN_MS = 0.5;
/**
 * Below this many flops a GEMM stays on one thread: handing half of it over costs a few
 * microseconds even when the helper is spinning, and a GEMM this small takes ~30 µs in all
 * (32 x 256 x 64 at ~30 GFLOP/s; bench/NOTES.md has the measurements).
 */
export const MIN_SPLIT_FLOPS = 2_000_000;

/** The GEMM the threads share: gemmBlocked of asm/gemm.ts, byte addresses, the same argument list. */
export type BlockedGemm = (a: number, ars: number, acs: number, b: number, ldb: number, c: number, ldc: number,
  m: number, n: number, k: number, accumulate: number, kc: number) => void;

/**
 * Column ranges of an n-column product for `parts` threads, in multiples of 8 (the kernel's tile
 * width, so no thread gets a 4-column tail it would not have had alone), the first thread's first.
 * Every element of C is still summed by one thread, in the same order as without threads, so the
 * result is bit for bit the same for any number of threads.
 */
export function columnSplit(n: number, parts: number): [number, number][] {
  const per = Math.ceil(n / 8 / parts) * 8;
  const out: [number, number][] = [];
  for (let j0 = 0; j0 < n; j0 += per) out.push([j0, Math.min(n, j0 + per)]);
  return out;
}

/**
 * Helper threads for one module instance's GEMMs: each instantiates the same compiled module on
 * the same shared memory (gemmWorker.mjs) and runs a column range of the products it is handed,
 * while the owning thread runs the first range and then waits for the rest. Synchronous for the
 * caller, like the one-thread kernel.
 */
export class GemmThreads {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * SLOT * 64));
  private helpers: NodeWorker[] = [];
  /** Products split over threads so far (a diagnostic: the tests check that splitting happened). */
  split = 0;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly kernel: BlockedGemm,
  ) {}

  /** Threads a GEMM may use, the caller's included. */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /** Start or stop helpers so that `threads` threads share the GEMMs (1: the caller alone). */
  setThreads(threads: number): void {
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new Error(`GEMM threads: ${threads} is not an integer in 1..64`);
    if (threads > 1 && !workerThreads) throw new Error('GEMM threads: helper threads need Node\'s worker_threads');
    while (this.helpers.length > threads - 1) this.stop(this.helpers.length - 1);
    while (this.helpers.length < threads - 1) this.start(this.helpers.length);
  }

  private start(slot: number): void {
    const base = slot * SLOT;
    this.control.fill(0, base, base + SLOT);
    const worker = new workerThreads!.Worker(new URL('./gemmWorker.mjs', import.meta.url), {
      workerData: { module: this.module, memory: this.memory, control: this.control.buffer, slot, spinMs: SPIN_MS },
    });
    // A helper never keeps the process alive: it only ever waits for the thread that owns it.
    worker.unref();
    // Its 'error' event would need this thread's event loop, which a synchronous caller never
    // returns to: the helper reports through its control slot instead (gemmWorker.mjs).
    worker.on('error', () => {});
    Atomics.wait(this.control, base + 15, 0, 30_000);
    if (Atomics.load(this.control, base + 15) !== 1) {
      void worker.terminate();
      throw new Error('GEMM threads: a helper thread did not start (is src/backends/cpu/gemmWorker.mjs there?)');
    }
    this.helpers.push(worker);
  }

  private stop(slot: number): void {
    Atomics.store(this.control, slot * SLOT, -1);
    Atomics.notify(this.control, slot * SLOT);
    void this.helpers[slot].terminate();
    this.helpers.splice(slot, 1);
  }

  /** C (+)= op(A) B as gemmBlocked computes it, split by columns over the threads when it pays. */
  gemm(a: number, ars: number, acs: number, b: number, ldb: number, c: number, ldc: number,
    m: number, n: number, k: number, accumulate: number, kc: number): void {
    if (this.helpers.length === 0 || 2 * m * n * k < MIN_SPLIT_FLOPS || n < 16) {
      this.kernel(a, ars, acs, b, ldb, c, ldc, m, n, k, accumulate, kc);
      return;
    }
    const parts = columnSplit(n, this.helpers.length + 1);
    this.split++;
    const ctl = this.control;
    const jobs: number[] = [];
    for (let w = 1; w < parts.length; w++) {
      const [j0, j1] = parts[w];
      const base = (w - 1) * SLOT;
      ctl.set([a, ars, acs, b + 4 * j0, ldb, c + 4 * j0, ldc, m, j1 - j0, k, accumulate, kc], base + 2);
      const job = (Atomics.load(ctl, base) + 1) & 0x3fffffff;
      jobs.push(job);
      Atomics.store(ctl, base, job);
      Atomics.notify(ctl, base);
    }
    const [j0, j1] = parts[0];
    this.kernel(a, ars, acs, b + 4 * j0, ldb, c + 4 * j0, ldc, m, j1 - j0, k, accumulate, kc);
    for (let w = 1; w < parts.length; w++) this.await((w - 1) * SLOT, jobs[w - 1]);
  }

  /** Wait until the helper of control slot `base` has finished job `job` (spinning first: it is
   * usually a few microseconds behind). */
  private await(base: number, job: number): void {
    const done = base + 1;
    for (let i = 0; i < 4096 && Atomics.load(this.control, done) !== job; i++);
    for (;;) {
      const seen = Atomics.load(this.control, done);
      if (seen === job) break;
      Atomics.wait(this.control, done, seen, 1000);
    }
    if (Atomics.load(this.control, base + 14) !== 0) throw new Error('GEMM threads: a helper thread failed in the kernel');
  }
}
