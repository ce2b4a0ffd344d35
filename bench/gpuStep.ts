import { backward, zeroGrad } from '../src/autograd/index.ts';
import type { Backend } from '../src/backends/backend.ts';
import { hiddenGradNorms } from '../src/diagnostics/hiddenGradNorms.ts';
import { sigmaMax } from '../src/diagnostics/sigmaMax.ts';
import { mseLoss } from '../src/ops/index.ts';
import { setDefaultBackend } from '../src/tensor/defaultBackend.ts';
import { keep, scope } from '../src/tensor/scope.ts';
import type { Tensor } from '../src/tensor/tensor.ts';
import { benchProblem } from './gradlabStep.ts';
import type { BenchCell, BenchShape } from './report.ts';

/** A gradlab training step on any backend, awaited to its end; and σ_max(W_hh) on its own. */
export interface AsyncStep {
  /** One step; resolves to the probe's norms ||dL/dh_t||, t = 1..T, once the device is done. */
  step(): Promise<number[]>;
  /** σ_max(W_hh) by the diagnostics' power iteration, read back (what a logged step adds per layer). */
  sigmaMax(): Promise<number>;
}

/**
 * bench/gradlabStep.ts's step (one layer, linear head on h_T, MSE, BPTT, the dL/dh_t probe, Adam)
 * made for a device backend, as the trainer runs it: each step in a tensor scope (everything it
 * makes goes back to the pool at its end, the optimizer's state is kept), and awaited until the
 * probe's norms are read back, which waits for every kernel queued before them, the update
 * included. On the CPU backend the same code runs synchronously.
 */
export function gradlabAsyncStep(s: BenchShape, cell: BenchCell, backend: Backend): AsyncStep {
  setDefaultBackend(backend);
  const { net, params, opt, x, y } = benchProblem(s, cell);
  const whh = net.params.get('rnn.weight_hh_l0');
  if (!whh) throw new Error(`gpu bench: the ${cell} net has no rnn.weight_hh_l0 (parameters: ${[...net.params.keys()].join(', ')})`);

  return {
    step: () => scope(async () => {
      zeroGrad(params);
      const { output, hidden } = net.forward(x);
      backward(mseLoss(output, y));
      opt.step(1e-3);
      // Made at the first update, inside this scope: it must outlive it.
      for (const st of opt.state()) for (const b of st?.buffers ?? []) keep(b);
      const norms = await hiddenGradNorms(hidden);
      return norms[0];
    }),
    sigmaMax: () => scope(async () => {
      const sigma: Tensor = sigmaMax(whh);
      return (await sigma.toFloat64ArrayAsync())[0];
    }),
  };
}
