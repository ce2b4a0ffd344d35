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
/**
 * A split needs this many columns (or, failing that, rows) per thread: every thread reads all of
 * the other operand, so thin parts only multiply the memory traffic. Measured: 64 x 64 x 3200
 * (dW_hh of the small tanh RNN) took 0.58 ms alone and 0.89 ms split into two 32-column halves;
 * 128 x 512 x 3200 ran 1.9x faster split in two.
 */
export const MIN_SPLIT_WIDTH = 64;

/** The GEMM the threads share: gemmBlocked of asm/gemm.ts, byte addresses, the same argument list. */
export type BlockedGemm = (a: number, ars: number, acs: number, b: number, ldb: number, c: number, ldc: number,
  m: number, n: number, k: number, accumulate: number, kc: number) => void;

/**
 * Ranges of 0..n for `parts` threads in multiples of `unit` (8 columns: the kernel's tile width,
 * so no thread gets a 4-column tail it would not have had alone; 4 rows: its tile height), the
 * first thread's first. Every element of C is still summed by one thread, in the same order as
 * without threads, so the result is bit for bit the same for any number of threads.
 */
export function splitRange(n: number, parts: number, unit: number): [number, number][] {
  const per = Math.ceil(n / unit / parts) * unit;
  const out: [number, number][] = [];
  for (let j0 = 0; j0 < n; j0 += per) out.push([j0, Math.min(n, j0 + per)]);
  return out;
}

/** How a product is shared: by columns when wide enough, else by rows when tall enough, else not. */
export function splitPlan(m: number, n: number, k: number, threads: number): { by: 'columns' | 'rows'; parts: [number, number][] } | null {
  if (threads < 2 || 2 * m * n * k < MIN_SPLIT_FLOPS) return null;
  if (n >= 2 * MIN_SPLIT_WIDTH) return { by: 'columns', parts: splitRange(n, Math.min(threads, Math.floor(n / MIN_SPLIT_WIDTH)), 8) };
  if (m >= 2 * MIN_SPLIT_WIDTH) return { by: 'rows', parts: splitRange(m, Math.min(threads, Math.floor(m / MIN_SPLIT_WIDTH)), 4) };
  return null;
}

/**
 * Helper threads for one module instance's GEMMs: each instantiates the same compiled module on
 * the same shared memory (gemmWorker.mjs) and runs the part (a range of columns or of rows) of
 * each product it is handed, while the owning thread runs the first part and then waits for the
 * rest. Synchronous for the caller, like the one-thread kernel. A helper that dies outside the
 * kernel (it catches the kernel's own traps and reports them) would leave the caller waiting: the
 * helper loop has nothing else in it that can throw.
 */
export class GemmThreads {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * SLOT * 64));
  private helpers: NodeWorker[] = [];
  /** Helpers in use: the others sleep until a later setThreads wants them (no thread churn). */
  private active = 0;
  /** Products split over threads so far (a diagnostic: the tests check that splitting happened). */
  split = 0;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly kernel: BlockedGemm,
  ) {}

  /** Threads a GEMM may use, the caller's included. */
  get threads(): number {
    return this.active + 1;
  }

  /**
   * Share the GEMMs between `threads` threads (1: the caller alone). Helpers are started when first
   * wanted and then kept: one not in use sleeps on its control word and costs nothing, while
   * starting one costs a Node isolate's boot (tens of ms of the other core), which a benchmark
   * alternating thread counts, or a worker taking job after job, would otherwise pay each time.
   */
  setThreads(threads: number): void {
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new Error(`GEMM threads: ${threads} is not an integer in 1..64`);
    if (threads > 1 && !workerThreads) throw new Error('GEMM threads: helper threads need Node\'s worker_threads');
    while (this.helpers.length < threads - 1) this.start(this.helpers.length);
    this.active = threads - 1;
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

  /** C (+)= op(A) B as gemmBlocked computes it, split over the threads by splitPlan when it pays. */
  gemm(a: number, ars: number, acs: number, b: number, ldb: number, c: number, ldc: number,
    m: number, n: number, k: number, accumulate: number, kc: number): void {
    const plan = splitPlan(m, n, k, this.active + 1);
    if (!plan) {
      this.kernel(a, ars, acs, b, ldb, c, ldc, m, n, k, accumulate, kc);
      return;
    }
    this.split++;
    // A part's arguments: columns j0..j1 (B and C move right), or rows i0..i1 (A and C move down).
    const args = ([p0, p1]: [number, number]): number[] => (plan.by === 'columns'
      ? [a, ars, acs, b + 4 * p0, ldb, c + 4 * p0, ldc, m, p1 - p0, k, accumulate, kc]
      : [a + 4 * p0 * ars, ars, acs, b, ldb, c + 4 * p0 * ldc, ldc, p1 - p0, n, k, accumulate, kc]);
    const { parts } = plan;
    const ctl = this.control;
    const jobs: number[] = [];
    for (let w = 1; w < parts.length; w++) {
      const base = (w - 1) * SLOT;
      ctl.set(args(parts[w]), base + 2);
      const job = (Atomics.load(ctl, base) + 1) & 0x3fffffff;
      jobs.push(job);
      Atomics.store(ctl, base, job);
      Atomics.notify(ctl, base);
    }
    const own = args(parts[0]);
    this.kernel(own[0], own[1], own[2], own[3], own[4], own[5], own[6], own[7], own[8], own[9], own[10], own[11]);
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
