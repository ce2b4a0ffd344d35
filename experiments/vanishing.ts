import { defineExperiment } from '../src/experiment/resolve.ts';

const cells = ['rnn_tanh', 'lstm', 'gru'] as const;
const lengths = [30, 100];

/**
 * Hochreiter & Schmidhuber 1997 / Bengio et al. 1994, on the adding problem in the form of
 * Arjovsky et al. 2016: a tanh RNN's gradient dies out going back in time, a gated cell's does
 * not have to. Same budget for every model: hidden 32, Adam 1e-3, batch 32, norm clipping at 1.
 */
export default defineExperiment({
  name: 'vanishing',
  description: 'rnn_tanh vs lstm vs gru on the adding problem (Arjovsky et al. 2016) at T=30 and T=100, same budget',
  notes: 'Beating MSE 1/6 (predict the mean) means the model found the two marked numbers. Compare how far back ||dL/dh_t|| reaches per cell and T.',
  task: { name: 'adding', T: 100, variant: 'arjovsky' },
  steps: 3000,
  seeds: [0, 1, 2],
  batchSize: 32,
  logEvery: 100,
  valSize: 256,
  defaults: { hiddenSize: 32, optimizer: { name: 'adam', lr: 1e-3 }, clip: { kind: 'norm', maxNorm: 1 } },
  variants: lengths.flatMap((T) => cells.map((cell) => ({ name: `${cell} T={T}`, cell, task: { T } }))),
  quick: { steps: 30, seeds: [0], logEvery: 10, valSize: 32, batchSize: 8, hiddenSize: 8, task: { T: 12, testSize: 100 } },
});
