import { backward } from '../src/autograd/index.ts';
import type { Backend } from '../src/backends/backend.ts';
import { cpu } from '../src/backends/cpu/index.ts';
import { hiddenGradNorms } from '../src/diagnostics/hiddenGradNorms.ts';
import type { CellKind } from '../src/nn/cellKinds.ts';
import { RecurrentNet, type CellPath } from '../src/nn/recurrentNet.ts';
import { mseLoss } from '../src/ops/index.ts';
import { tensor } from '../src/tensor/create.ts';
import { Rng } from '../src/tensor/rng.ts';
import * as naive from './_seqNaive.ts';
const own = cpu as unknown as Record<string, unknown>;
const variants: Record<string, [CellPath, boolean]> = { fused: ['fused', false], 'sequence+naive-gemm': ['sequence', true], sequence: ['sequence', false] };
const B = 32, T = 100, I = 2;
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const cell of ['lstm', 'rnn_tanh'] as CellKind[]) for (const H of [32, 64]) {
  const rng = Rng.seeded(1);
  const net = RecurrentNet.create({ cell, inputSize: I, hiddenSize: H, numLayers: 1, outputSize: 1 }, rng, { dtype: 'float32' });
  const x = tensor(Float64Array.from({ length: B * T * I }, () => rng.uniform() * 2 - 1), [B, T, I], { dtype: 'float32' });
  const y = tensor(Float64Array.from({ length: B }, () => rng.uniform()), [B, 1], { dtype: 'float32' });
  const step = (v: string) => {
    const [path, useNaive] = variants[v];
    if (useNaive) {
      own.sequenceForward = (...a: Parameters<Backend['sequenceForward']>) => naive.sequenceForward(cpu, ...a);
      own.sequenceBackward = (...a: Parameters<Backend['sequenceBackward']>) => naive.sequenceBackward(...a);
    }
    for (const p of net.params.values()) p.grad = null;
    const t0 = performance.now();
    const { output, hidden } = net.forward(x, { path });
    backward(mseLoss(output, y));
    hiddenGradNorms(hidden);
    const dt = performance.now() - t0;
    delete own.sequenceForward; delete own.sequenceBackward;
    return dt;
  };
  const names = Object.keys(variants);
  for (const v of names) for (let i = 0; i < 10; i++) step(v);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < Number(process.argv[2] ?? 11); r++) for (const v of names) times[v].push(step(v));
  const base = med(times.fused);
  console.log(`${cell} H=${H}: ` + names.map((n) => `${n} ${med(times[n]).toFixed(1)} ms (x${(base / med(times[n])).toFixed(2)})`).join(' | '));
}
