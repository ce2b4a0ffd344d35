import { describe, expect, it } from 'vitest';
import { experimentBaselines } from '../../src/experiment/baselines.ts';
import { loadExperiment } from '../../src/experiment/registry.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { prepareTasks } from '../../src/experiment/runner.ts';
import { baselinesFor } from '../../src/records/baselines.ts';

describe('experimentBaselines: each variant is held to its own task\'s baselines', () => {
  it('copy at T = 100 and 200: the loss baseline 10 log 8 / (T + 20) per T, the 1/8 accuracy shared', async () => {
    const exp = resolveExperiment(await loadExperiment('arjovsky-copy'));
    const baselines = experimentBaselines(exp, prepareTasks(exp));
    const loss = baselines.filter((b) => b.metric === 'loss');
    expect(loss.map((b) => [b.value, b.variants])).toEqual([
      [(10 * Math.log(8)) / 120, ['lstm T=100', 'rnn_tanh T=100']],
      [(10 * Math.log(8)) / 220, ['lstm T=200', 'rnn_tanh T=200']],
    ]);
    expect(baselines.filter((b) => b.metric === 'accuracy').map((b) => [b.value, b.variants])).toEqual([[1 / 8, undefined]]);
    expect(baselinesFor(baselines, 'rnn_tanh T=200').map((b) => b.value).sort()).toEqual([(10 * Math.log(8)) / 220, 1 / 8]);
  });

  it('adding at two lengths shares 1/6: one entry for every variant', async () => {
    const exp = resolveExperiment(await loadExperiment('arjovsky-adding'));
    expect(experimentBaselines(exp, prepareTasks(exp))).toEqual([{ metric: 'loss', value: 1 / 6, note: expect.stringContaining('1/6') }]);
  });

  it('a file written before baselines named variants: every baseline applies to every variant', () => {
    expect(baselinesFor([{ metric: 'loss', value: 1, note: '' }], 'any')).toHaveLength(1);
  });
});
