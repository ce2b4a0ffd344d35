import { defineExperiment } from '../src/experiment/resolve.ts';

const lengths = [30, 100];

/**
 * Bengio et al. 1994, Hochreiter & Schmidhuber 1997, on the adding problem in the form of
 * Arjovsky et al. 2016: a tanh RNN's gradient dies out going back in time; a gated cell's need
 * not. Same budget for every model: hidden 32, Adam 3e-3, batch 32, norm clipping at 1, 3000
 * steps. The LSTM runs twice: with torch's default init (forget gate ~ sigmoid(0) = 0.5, so the
 * cell state's gradient shrinks ~2x per step) and with the forget-gate bias at 3 (Gers et al.
 * 2000; Jozefowicz et al. 2015), where it shrinks ~5% per step.
 */
export default defineExperiment({
  name: 'vanishing',
  description: 'rnn_tanh vs lstm vs gru on the adding problem (Arjovsky et al. 2016) at T=30 and T=100, same budget',
  notes: 'MSE below 1/6 (predicting the mean) by more than two standard errors means the model found the two marked numbers; '
    + 'the verdicts count in how many of the 5 seeds that happened, because at this budget leaving the plateau is partly luck. '
    + 'Compare how far back ||dL/dh_t|| reaches for each cell and T, at the start and at the end of training.',
  task: { name: 'adding', T: 100, variant: 'arjovsky' },
  steps: 3000,
  seeds: [0, 1, 2, 3, 4],
  batchSize: 32,
  logEvery: 100,
  valSize: 256,
  defaults: { hiddenSize: 32, optimizer: { name: 'adam', lr: 3e-3 }, clip: { kind: 'norm', maxNorm: 1 } },
  variants: lengths.flatMap((T) => [
    { name: 'rnn_tanh T={T}', cell: 'rnn_tanh' as const, task: { T } },
    { name: 'lstm T={T}', cell: 'lstm' as const, task: { T }, description: 'torch default init' },
    { name: 'lstm, forget bias 3, T={T}', cell: 'lstm' as const, task: { T }, init: { forgetBias: 3 }, description: 'forget-gate bias 3' },
    { name: 'gru T={T}', cell: 'gru' as const, task: { T } },
  ]),
  quick: { steps: 30, seeds: [0], logEvery: 10, valSize: 32, batchSize: 8, hiddenSize: 8, task: { T: 12, testSize: 100 } },
});
