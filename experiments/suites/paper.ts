import { defineSuite } from '../../src/experiment/suites.ts';

/**
 * The classic results, each held against our measurement: `npm run experiment paper` trains
 * them one after another into reports/paper/<experiment>/ and writes reports/paper/index.html,
 * one table of every claim with its computed verdict and a link to its report.
 */
export default defineSuite({
  name: 'paper',
  description: 'Hochreiter & Schmidhuber 1997, Arjovsky et al. 2016, Pascanu et al. 2013, Le et al. 2015 and the seed regression example: every claim against our measurement',
  experiments: ['hochreiter-adding', 'arjovsky-adding', 'arjovsky-copy', 'pascanu-clipping', 'irnn-adding', 'seed-regression'],
});
