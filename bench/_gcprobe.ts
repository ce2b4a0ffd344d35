import { backward } from '../src/autograd/index.ts';
import { hiddenGradNorms } from '../src/diagnostics/hiddenGradNorms.ts';
import { RecurrentNet, type CellPath } from '../src/nn/recurrentNet.ts';
import { mseLoss } from '../src/ops/index.ts';
import { tensor } from '../src/tensor/create.ts';
import { Rng } from '../src/tensor/rng.ts';
const B = 32, T = 100, I = 2, H = 32;
const rng = Rng.seeded(1);
const net = RecurrentNet.create({ cell: 'rnn_tanh', inputSize: I, hiddenSize: H, numLayers: 1, outputSize: 1 }, rng, { dtype: 'float32' });
const x = tensor(Float64Array.from({ length: B * T * I }, () => rng.uniform() * 2 - 1), [B, T, I], { dtype: 'float32' });
const y = tensor(Float64Array.from({ length: B }, () => rng.uniform()), [B, 1], { dtype: 'float32' });
const gc = (globalThis as any).gc;
for (const useGc of (process.env.ORDER ?? "01").split("").map((c) => c === "1")) {
  const f: number[] = [], b: number[] = [], n: number[] = [];
  for (let r = 0; r < 20; r++) {
    for (const p of net.params.values()) p.grad = null;
    if (useGc) gc();
    const t0 = performance.now();
    const { output, hidden } = net.forward(x, { path: 'sequence' as CellPath });
    const t1 = performance.now();
    backward(mseLoss(output, y));
    const t2 = performance.now();
    hiddenGradNorms(hidden);
    const t3 = performance.now();
    f.push(t1 - t0); b.push(t2 - t1); n.push(t3 - t2);
  }
  const med = (a: number[]) => a.sort((p, q) => p - q)[10].toFixed(1);
  console.log(`gc=${useGc} fwd ${med(f)} bwd ${med(b)} norms ${med(n)}`);
}
