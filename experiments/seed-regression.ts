import { defineExperiment } from '../src/experiment/resolve.ts';

/**
 * The example the project grew from (shared/000_679c7ae67a4d2780.txt): LSTMNet — one LSTM layer,
 * hidden 10, a Linear head on h_T — trained with Adam (lr 0.01), batch 64, 100 epochs of MSE on
 * sklearn's make_regression(n_samples=1000, n_features=1, noise=10) after np.random.seed(0)
 * (bit-identical data), the last 20% held out. 800 samples / 64 = 13 batches an epoch: 1300 steps.
 *
 * The article feeds raw targets, which reach about ±250, into a model whose hidden state is
 * bounded by 1: only the head's weights can carry the scale, and Adam moves each weight by about
 * lr = 0.01 per step. The standardized variant trains on z-scored x and y (training-split
 * statistics) and is scored on the original scale, so the two rows compare directly.
 */
export default defineExperiment({
  name: 'seed-regression',
  description: 'The original LSTMNet regression example: raw targets (as the article) vs standardized, next to the least-squares optimum',
  notes: 'lstsqMse / lstsqR2 are the closed-form least-squares fit on the same split: the bar a model should reach. '
    + 'With raw targets the head must grow to |w| ~ 100 at ~0.01 per Adam step; standardizing removes that handicap.',
  task: { name: 'regression', standardize: false },
  steps: 1300,
  seeds: [0, 1, 2],
  batchSize: 64,
  logEvery: 13,
  valSize: 200,
  defaults: { cell: 'lstm', hiddenSize: 10, optimizer: { name: 'adam', lr: 0.01 } },
  variants: [
    { name: 'article (raw targets)', description: 'exactly the article: y in its original scale (std ~ 80)', task: { standardize: false } },
    { name: 'standardized targets', description: 'x and y z-scored with training statistics; metrics on the original scale', task: { standardize: true } },
  ],
  quick: { steps: 26, seeds: [0], logEvery: 13 },
});
