/**
 * Forward + MSE on the head + backward (+ the dL/dh_t probe), ms per step, for the recurrent paths side by side in one
 * process (paths alternate within each round, so a neighbour process loading the cores slows
 * every path alike), after 10 warm-up steps per path: the sequence kernels are called a few
 * times per step with long loops, so V8 takes more steps to optimise them than the per-step
 * kernels (forcing a GC before every step, say, keeps them slow for ~20 steps).
 * Usage: npx tsx bench/seqBench.ts
 * Options: [--reps N] [--paths fused,sequence,reference] [--cells lstm,rnn_tanh] [--hidden 32,64]
 *   [--steps 100] [--dtype float32|float64]
 */
import { backward } from '../src/autograd/index.ts';
import { cpu } from '../src/backends/cpu/index.ts';
import { hiddenGradNormsOnDevice } from '../src/diagnostics/hiddenGradNorms.ts';
import type { CellKind } from '../src/cells/table.ts';
import { RecurrentNet, type CellPath } from '../src/nn/recurrentNet.ts';
import { mseLoss } from '../src/ops/index.ts';
import { tensor } from '../src/tensor/create.ts';
import type { DType } from '../src/tensor/dtype.ts';
import { setDefaultBackend } from '../src/tensor/defaultBackend.ts';
import { Rng } from '../src/tensor/rng.ts';

// The nets and data below are made on the default backend: the CPU's.
setDefaultBackend(cpu);

const args = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const reps = Number(arg('reps', '15'));
const paths = arg('paths', 'fused,sequence').split(',') as CellPath[];
const dtype = arg('dtype', 'float32') as DType;
const cells = arg('cells', 'lstm,rnn_tanh').split(',') as CellKind[];
const hiddens = arg('hidden', '32,64').split(',').map(Number);
const B = 32, T = Number(arg('steps', '100')), I = 2;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

for (const cell of cells) {
  for (const H of hiddens) {
    const rng = Rng.seeded(1);
    const net = RecurrentNet.create({ cell, inputSize: I, hiddenSize: H, numLayers: 1, outputSize: 1 }, rng, { dtype });
    const x = tensor(Float64Array.from({ length: B * T * I }, () => rng.uniform() * 2 - 1), [B, T, I], { dtype });
    const y = tensor(Float64Array.from({ length: B }, () => rng.uniform()), [B, 1], { dtype });
    const step = (path: CellPath): number => {
      for (const p of net.params.values()) p.grad = null;
      const t0 = performance.now();
      const { output, hidden } = net.forward(x, { path });
      backward(mseLoss(output, y));
      hiddenGradNormsOnDevice(hidden); // the probe's work (on the CPU the norms are computed here)
      return performance.now() - t0;
    };
    for (const p of paths) for (let i = 0; i < 10; i++) step(p); // warm-up
    const times = new Map<CellPath, number[]>(paths.map((p) => [p, []]));
    for (let r = 0; r < reps; r++) for (const p of paths) times.get(p)!.push(step(p));
    const base = median(times.get(paths[0])!);
    const cols = paths.map((p) => {
      const m = median(times.get(p)!);
      return `${p} ${m.toFixed(1)} ms (x${(base / m).toFixed(2)})`;
    });
    console.log(`${cell.padEnd(8)} B=${B} T=${T} I=${I} H=${String(H).padEnd(3)} ${dtype}: ${cols.join(' | ')}`);
  }
}
