import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { runExperiment } from '../../src/experiment/runner.ts';

describe('a run that diverges on purpose', () => {
  it('is recorded as diverged at its step, with nulls, and the other runs go on', async () => {
    const exp = resolveExperiment({
      name: 'diverge-on-purpose',
      description: 'relu RNN with a huge recurrent init and a huge learning rate',
      task: { name: 'adding', T: 40, variant: 'arjovsky', testSize: 16 },
      steps: 50,
      seeds: [0],
      batchSize: 8,
      logEvery: 10,
      valSize: 8,
      defaults: { hiddenSize: 8, optimizer: { name: 'sgd', lr: 1e6 } },
      variants: [
        // radius ~40 per step over 40 steps: activations reach 40^40 = 1e64 and grads overflow float32.
        { name: 'explodes', cell: 'rnn_relu', init: { recurrentWeights: 'scaled_normal', gain: 40 } },
        { name: 'fine', cell: 'lstm', optimizer: { name: 'adam' } },
      ],
    });
    const results = await runExperiment(exp, { backend: cpu });
    const [bad, good] = results.runs;
    expect(bad.status).toBe('diverged');
    expect(bad.divergedAtStep).toBeTypeOf('number');
    expect(bad.log[bad.log.length - 1].step).toBe(bad.divergedAtStep);
    const last = bad.log[bad.log.length - 1];
    expect(last.loss === null || last.gradNorm === null).toBe(true);
    expect(bad.stepsRun).toBe(bad.divergedAtStep);
    expect(good.status).toBe('ok');
    expect(good.stepsRun).toBe(50);
    // JSON has no NaN/Infinity: the diverged entry serialises with nulls.
    expect(JSON.stringify(bad)).not.toMatch(/NaN|Infinity/);
  });
});
