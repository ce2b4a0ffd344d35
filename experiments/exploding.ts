import { defineExperiment } from '../src/experiment/resolve.ts';

/**
 * Pascanu, Mikolov & Bengio 2013: with sigma_max(W_hh) well above 1/gamma (= 1 for tanh), the
 * gradient can explode; rescaling it when its norm passes a threshold keeps training stable.
 * W_hh starts N(0, 3²/H) (spectral radius ~3), plain SGD with momentum.
 */
export default defineExperiment({
  name: 'exploding',
  description: 'rnn_tanh with a large recurrent init (radius ~3): no clipping vs norm clipping vs value clipping',
  notes: 'What this shows: with sigma_max(W_hh) far above the 1/gamma line (the necessary condition for explosion), the global gradient norm '
    + 'spikes by orders of magnitude without clipping, and clipping rescales every spike (markers). '
    + 'What it does not show: clipping helping the network learn. At this budget no variant beats the baseline 1/6 on the adding problem, '
    + 'clipped or not; the learning result Pascanu et al. are cited for is in the pascanu-clipping experiment (and the paper suite).',
  task: { name: 'adding', T: 50, variant: 'arjovsky' },
  steps: 1500,
  seeds: [0, 1, 2],
  batchSize: 32,
  logEvery: 25,
  valSize: 256,
  defaults: {
    cell: 'rnn_tanh',
    hiddenSize: 32,
    init: { recurrentWeights: 'scaled_normal', gain: 3 },
    optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9 },
  },
  variants: [
    { name: 'no clipping', clip: { kind: 'none' } },
    { name: 'clip norm 1', clip: { kind: 'norm', maxNorm: 1 } },
    { name: 'clip value 0.1', clip: { kind: 'value', clipValue: 0.1 } },
  ],
  quick: { steps: 30, seeds: [0], logEvery: 10, valSize: 32, batchSize: 8, hiddenSize: 8, task: { T: 12 } },
});
