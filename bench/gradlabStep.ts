import { backward, zeroGrad } from '../src/autograd/index.ts';
import { hiddenGradNormsOnDevice } from '../src/diagnostics/hiddenGradNorms.ts';
import { RecurrentNet } from '../src/nn/recurrentNet.ts';
import { mseLoss } from '../src/ops/index.ts';
import { tensor } from '../src/tensor/create.ts';
import { Rng } from '../src/tensor/rng.ts';
import { createOptimizer } from '../src/train/optimizers.ts';
import type { Tensor } from '../src/tensor/tensor.ts';
import type { Optimizer } from '../src/train/optimizers.ts';
import type { BenchCell, BenchShape } from './report.ts';

/** The benchmarked problem, on the default backend: a seeded one-layer float32 net with a
 * linear head and Adam, and fixed seeded data x [B, T, I], y [B, 1]. */
export function benchProblem(s: BenchShape, cell: BenchCell): { net: RecurrentNet; params: Tensor[]; opt: Optimizer; x: Tensor; y: Tensor } {
  const rng = Rng.seeded(1);
  const net = RecurrentNet.create({ cell, inputSize: s.I, hiddenSize: s.H, numLayers: 1, outputSize: 1 }, rng, { dtype: 'float32' });
  const params = [...net.params.values()];
  const opt = createOptimizer(params, { name: 'adam', lr: 1e-3 });
  const x = tensor(Float64Array.from({ length: s.B * s.T * s.I }, () => rng.uniform() * 2 - 1), [s.B, s.T, s.I], { dtype: 'float32' });
  const y = tensor(Float64Array.from({ length: s.B }, () => rng.uniform()), [s.B, 1], { dtype: 'float32' });
  return { net, params, opt, x, y };
}

/**
 * gradlab's benchmarked training step (bench.ts and stepBench.ts time the same thing): a
 * one-layer float32 net with a linear head on h_T, forward, MSE, BPTT, the dL/dh_t probe and an
 * Adam update, on fixed seeded data.
 */
export function gradlabStep(s: BenchShape, cell: BenchCell): () => void {
  const { net, params, opt, x, y } = benchProblem(s, cell);
  return () => {
    zeroGrad(params);
    const { output, hidden } = net.forward(x);
    backward(mseLoss(output, y));
    hiddenGradNormsOnDevice(hidden); // the probe's work (on the CPU the norms are computed here)
    opt.step(1e-3);
  };
}
