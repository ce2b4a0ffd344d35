import { defineExperiment } from '../src/experiment/resolve.ts';

/**
 * Arjovsky, Shah & Bengio 2016, "Unitary Evolution Recurrent Neural Networks", section 4.2 (the
 * adding problem, their Figure 2) and their gradient-flow figure: ||dC/dh_t|| against t at
 * initialisation and after 100 iterations, per model (drawn here in "Gradient flow back through
 * time", at steps 0 and 100).
 *
 * Task as theirs: values U[0,1], one marker in each half, target X1 + X2, baseline MSE 1/6
 * (always predicting 1). Optimizer as theirs: RMSprop, learning rate 1e-3, batches of 20.
 * Where we differ, and why:
 * - 32 hidden units for both cells (they used more: 80 for the RNN, 128 for the LSTM), and 8000
 *   iterations (their curves run to ~10^4): the budget of a 2-core machine, ~10 minutes for all
 *   20 runs. At 2500 iterations no LSTM seed had left the baseline in our trials; at 8000 the
 *   T = 100 ones do. Norm clipping at 1 for both, so that a tanh RNN's rare explosion does not
 *   end a run.
 * - T = 100 and 200 (they also ran 400 and 750); 500 test sequences (the margin of two standard
 *   errors is then ~0.018 near the baseline), so that four runs at T = 200 fit in half of a
 *   4 GiB machine.
 */
export default defineExperiment({
  name: 'arjovsky-adding',
  description: 'Arjovsky et al. 2016, sec. 4.2: LSTM vs tanh RNN on the adding problem at T=100 and T=200, RMSprop',
  notes: 'Test MSE against the baseline 1/6 (predicting 1): a model beats it only by more than two standard errors of the test estimate (500 test sequences). '
    + 'The gradient-flow charts show ||dL/dh_t|| at initialisation and after 100 iterations, as the paper\'s figure does.',
  task: { name: 'adding', variant: 'arjovsky', T: 100, testSize: 500 },
  steps: 8000,
  seeds: [0, 1, 2, 3, 4],
  batchSize: 20,
  logEvery: 100,
  valSize: 256,
  flowSteps: [0, 100],
  defaults: { hiddenSize: 32, optimizer: { name: 'rmsprop', lr: 1e-3 }, clip: { kind: 'norm', maxNorm: 1 } },
  variants: [
    { name: 'lstm T=100', cell: 'lstm', task: { T: 100 } },
    { name: 'rnn_tanh T=100', cell: 'rnn_tanh', task: { T: 100 } },
    { name: 'lstm T=200', cell: 'lstm', task: { T: 200 } },
    { name: 'rnn_tanh T=200', cell: 'rnn_tanh', task: { T: 200 } },
  ],
  claims: [
    {
      id: 'lstm-beats-baseline',
      claim: 'The LSTM learns the adding problem: its MSE falls below the baseline 1/6 at T = 100 and T = 200.',
      source: 'Arjovsky, Shah & Bengio 2016, sec. 4.2, Figure 2',
      rules: [
        { kind: 'final', variant: 'lstm T=100', metric: 'loss', direction: 'below', than: 'baseline', expect: 'success' },
        { kind: 'final', variant: 'lstm T=200', metric: 'loss', direction: 'below', than: 'baseline', expect: 'success' },
      ],
    },
    {
      id: 'rnn-at-baseline',
      claim: 'The tanh RNN does not beat the baseline at these lengths.',
      source: 'Arjovsky, Shah & Bengio 2016, sec. 4.2, Figure 2',
      rules: [
        { kind: 'final', variant: 'rnn_tanh T=100', metric: 'loss', direction: 'below', than: 'baseline', expect: 'failure' },
        { kind: 'final', variant: 'rnn_tanh T=200', metric: 'loss', direction: 'below', than: 'baseline', expect: 'failure' },
      ],
    },
  ],
  quick: { steps: 30, seeds: [0, 1, 2], logEvery: 10, valSize: 32, batchSize: 8, hiddenSize: 8, task: { testSize: 256 } },
});
