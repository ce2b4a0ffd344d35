/**
 * gradlab's own training step on the issue-6 shapes, no peers: the quick loop for kernel work
 * and for `node --cpu-prof`. Same step as bench/bench.ts (forward, MSE, BPTT, the dL/dh_t probe,
 * Adam), float32, after `--warmup` steps; prints the median of `--steps` and the kernel in use.
 *
 *   npx tsx bench/stepBench.ts [--shapes small,wide,long] [--cells lstm,rnn_tanh] [--warmup 20] [--steps 20] [--threads 1]
 *   GRADLAB_WASM=off npx tsx bench/stepBench.ts      # the JavaScript kernels (GRADLAB_WASM=simd: no relaxed SIMD)
 */
import { cpu, cpuWasmStatus as wasmStatus } from '../src/backends/cpu/index.ts';
import { setDefaultBackend } from '../src/tensor/defaultBackend.ts';
import { gradlabStep } from './gradlabStep.ts';
import { CELLS, SHAPES, flopsPerStep, gflops, median, type BenchCell } from './report.ts';

// gradlab's step runs on the default backend: the CPU's.
setDefaultBackend(cpu);

const args = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const shapes = arg('shapes', SHAPES.map((s) => s.name).join(',')).split(',').map((n) => SHAPES.find((s) => s.name === n)!);
const cells = arg('cells', CELLS.join(',')).split(',') as BenchCell[];
const warmup = Number(arg('warmup', '20'));
const steps = Number(arg('steps', '20'));
const threads = Number(arg('threads', '1'));
cpu.wasm?.setThreads(threads);

console.log(`kernel: ${wasmStatus}, ${cpu.wasm?.threads ?? 1} thread(s)`);
for (const s of shapes) {
  for (const cell of cells) {
    const step = gradlabStep(s, cell);
    for (let i = 0; i < warmup; i++) step();
    const ms: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      step();
      ms.push(performance.now() - t0);
    }
    const m = median(ms);
    console.log(`${s.name} (${s.B},${s.T},${s.I},${s.H}) ${cell}: ${m.toFixed(2)} ms/step, ${gflops(flopsPerStep(s, cell), m).toFixed(2)} GFLOP/s`);
  }
}
