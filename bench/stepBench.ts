/**
 * gradlab's own training step on the issue-6 shapes, no peers: the quick loop for kernel work
 * and for `node --cpu-prof`. Same step as bench/bench.ts (forward, MSE, BPTT, the dL/dh_t probe,
 * Adam), float32, after `--warmup` steps; prints the median of `--steps` and the kernel in use.
 *
 *   npx tsx bench/stepBench.ts [--shapes small,wide,long] [--cells lstm,rnn_tanh] [--warmup 20] [--steps 20]
 *   GRADLAB_WASM=off npx tsx bench/stepBench.ts      # the JavaScript kernels (GRADLAB_WASM=simd: no relaxed SIMD)
 */
import { backward, zeroGrad } from '../src/autograd/index.ts';
import { wasmStatus } from '../src/backends/cpu/wasm.ts';
import { hiddenGradNormsOnDevice } from '../src/diagnostics/hiddenGradNorms.ts';
import { RecurrentNet } from '../src/nn/recurrentNet.ts';
import { mseLoss } from '../src/ops/index.ts';
import { tensor } from '../src/tensor/create.ts';
import { Rng } from '../src/tensor/rng.ts';
import { createOptimizer } from '../src/train/optimizers.ts';
import { CELLS, SHAPES, flopsPerStep, gflops, median, type BenchCell } from './report.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const shapes = arg('shapes', SHAPES.map((s) => s.name).join(',')).split(',').map((n) => SHAPES.find((s) => s.name === n)!);
const cells = arg('cells', CELLS.join(',')).split(',') as BenchCell[];
const warmup = Number(arg('warmup', '20'));
const steps = Number(arg('steps', '20'));

console.log(`kernel: ${wasmStatus}`);
for (const s of shapes) {
  for (const cell of cells) {
    const rng = Rng.seeded(1);
    const net = RecurrentNet.create({ cell, inputSize: s.I, hiddenSize: s.H, numLayers: 1, outputSize: 1 }, rng, { dtype: 'float32' });
    const params = [...net.params.values()];
    const opt = createOptimizer(params, { name: 'adam', lr: 1e-3 });
    const x = tensor(Float64Array.from({ length: s.B * s.T * s.I }, () => rng.uniform() * 2 - 1), [s.B, s.T, s.I], { dtype: 'float32' });
    const y = tensor(Float64Array.from({ length: s.B }, () => rng.uniform()), [s.B, 1], { dtype: 'float32' });
    const step = (): void => {
      zeroGrad(params);
      const { output, hidden } = net.forward(x);
      backward(mseLoss(output, y));
      hiddenGradNormsOnDevice(hidden); // the probe's work (on the CPU the norms are computed here)
      opt.step(1e-3);
    };
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
