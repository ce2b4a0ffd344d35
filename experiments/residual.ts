import { defineExperiment } from '../src/experiment/resolve.ts';

/**
 * Depth, not only time: in a stack of 6 tanh RNN layers the gradient reaching the bottom layer
 * passes through 6 Jacobians per timestep. GNMT-style residual connections (Wu et al. 2016) give
 * it an identity path across layers; NARX-style temporal skips (Lin et al. 1996) shorten the
 * path back in time instead.
 */
export default defineExperiment({
  name: 'residual',
  description: '6-layer tanh RNN stacks on the adding problem: plain vs residual connections vs temporal skip connections',
  notes: 'Compare ||dL/dh_t|| of layer 0 (the bottom) across variants, and how far back in time it reaches.',
  task: { name: 'adding', T: 30, variant: 'arjovsky' },
  steps: 1500,
  seeds: [0, 1],
  batchSize: 32,
  logEvery: 25,
  valSize: 256,
  defaults: { cell: 'rnn_tanh', hiddenSize: 32, numLayers: 6, optimizer: { name: 'adam', lr: 1e-3 }, clip: { kind: 'norm', maxNorm: 1 } },
  variants: [
    { name: 'plain stack' },
    { name: 'residual', residual: true },
    { name: 'temporal skip d=5', skipDelay: 5 },
  ],
  quick: { steps: 20, seeds: [0], logEvery: 10, valSize: 32, batchSize: 8, hiddenSize: 8, task: { T: 10 } },
});
