// A helper thread of the float32 GEMM (src/backends/cpu/gemmThreads.ts): it instantiates the same
// WebAssembly module on the same shared memory as the thread it helps, then runs the columns of
// each GEMM it is handed. Plain JavaScript, so a Worker loads it without a TypeScript loader.
//
// Its control slot (Int32Array over a SharedArrayBuffer, SLOT ints from slot * SLOT):
//   [0] job number, bumped by the owner for each job   [1] last job number done
//   [2..13] gemmBlocked's arguments (byte addresses, strides, m, n, k, accumulate, kc)
//   [14] 1 when a job failed (then the owner throws)   [15] 1 once started, 2 if it could not start
// The owner blocks on these flags, not on Worker events: its event loop is not running meanwhile.
import { workerData } from 'node:worker_threads';

const SLOT = 16;
const { module, memory, control, slot, spinMs } = workerData;
const c = new Int32Array(control);
const base = slot * SLOT;
let kernel;
try {
  kernel = new WebAssembly.Instance(module, { env: { memory } }).exports.gemmBlocked;
  Atomics.store(c, base + 15, 1);
} catch (e) {
  Atomics.store(c, base + 15, 2);
  throw e;
} finally {
  Atomics.notify(c, base + 15);
}

// Jobs come in bursts (one GEMM per time step, a fraction of a millisecond apart): spinning for a
// little while answers the next one in ~1 µs instead of a futex wake-up's ~50 µs; past that the
// thread sleeps. The owner never runs more helpers than cores are free (gemmThreads.ts).
function nextJob(seen) {
  const until = performance.now() + spinMs;
  for (let i = 0; ; i++) {
    const job = Atomics.load(c, base);
    if (job !== seen) return job;
    if ((i & 255) === 255 && performance.now() > until) break;
  }
  Atomics.wait(c, base, seen);
  return Atomics.load(c, base);
}

// The thread lives as long as the process (it is unref'd: it never keeps the process alive).
let seen = 0;
for (;;) {
  const job = nextJob(seen);
  if (job === seen) continue; // a spurious wake-up
  seen = job;
  try {
    kernel(c[base + 2], c[base + 3], c[base + 4], c[base + 5], c[base + 6], c[base + 7], c[base + 8],
      c[base + 9], c[base + 10], c[base + 11], c[base + 12], c[base + 13]);
  } catch {
    Atomics.store(c, base + 14, 1);
  }
  Atomics.store(c, base + 1, job);
  Atomics.notify(c, base + 1);
}
