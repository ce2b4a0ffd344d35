import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { runExperiment } from '../../src/experiment/runner.ts';
import { runNumbers, tempDir } from '../helpers/durable.ts';

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
        { name: 'explodes-clipped', cell: 'rnn_relu', init: { recurrentWeights: 'scaled_normal', gain: 40 }, clip: { kind: 'norm', maxNorm: 1 } },
      ],
    });
    const store = { dir: tempDir('gradlab-diverge-'), checkpointEveryLogged: 1, resume: false };
    const results = await runExperiment(exp, { backend: cpu, store });
    const [bad, good, clipped] = results.runs;
    expect(bad.status).toBe('diverged');
    expect(bad.divergedAtStep).toBeTypeOf('number');
    expect(bad.log[bad.log.length - 1].step).toBe(bad.divergedAtStep);
    const last = bad.log[bad.log.length - 1];
    expect(last.loss === null || last.gradNorm === null).toBe(true);
    expect(bad.stepsRun).toBe(bad.divergedAtStep);
    // sigma_max(W_hh) at the weights that diverged is still recorded (finite: it is the loss that overflowed).
    expect(last.sigmaMaxWhh).toHaveLength(1);
    expect(last.sigmaMaxWhh![0]).toBeGreaterThan(1);
    // It overflows at once, so its first step is its last: no gate views of a diverged net.
    expect(bad.divergedAtStep).toBe(0);
    expect(last.gates).toBeUndefined();
    // Clipping records a factor for every step that was clipped or not, never for the step that diverged.
    expect(clipped.status).toBe('diverged');
    expect(clipped.clipPerStep).toHaveLength(clipped.divergedAtStep!);
    expect(good.status).toBe('ok');
    expect(good.stepsRun).toBe(50);
    // JSON has no NaN/Infinity: the diverged entry serialises with nulls.
    expect(JSON.stringify(bad)).not.toMatch(/NaN|Infinity/);
    // Without an output folder (no journal to stream to) it diverges the same way.
    const bare = await runExperiment(exp, { backend: cpu });
    expect(bare.runs.map((r) => r.status)).toEqual(['diverged', 'ok', 'diverged']);
    // A diverged run is finished: resuming reads it back from its journal, the diverged step's entry included.
    const again = await runExperiment(exp, { backend: cpu, store: { ...store, resume: true }, progress: { startRun: () => expect.fail('no run should start again') } });
    expect(runNumbers(again.runs)).toEqual(runNumbers(results.runs));
  });

  it('at a step that is not logged: that step is logged with its numbers as nulls and no gradient profile', async () => {
    const exp = resolveExperiment({
      name: 'diverge-later',
      description: 'relu RNN and a learning rate of 1e3: the first updates blow the weights up',
      task: { name: 'adding', T: 40, variant: 'arjovsky', testSize: 16 },
      steps: 50, seeds: [0], batchSize: 8, logEvery: 10, valSize: 8,
      defaults: { hiddenSize: 8, optimizer: { name: 'sgd', lr: 1e3 } },
      variants: [{ name: 'explodes', cell: 'rnn_relu' }],
    });
    const [run] = (await runExperiment(exp, { backend: cpu })).runs;
    expect(run.status).toBe('diverged');
    const at = run.divergedAtStep!;
    expect(at % 10).not.toBe(0);
    expect(run.log.map((e) => e.step)).toEqual([0, at]);
    const last = run.log[1];
    expect(last.loss).toBeNull();
    // Profiles are taken on logged steps only (this step is not one of them): none to record.
    expect(last.dLdh).toEqual([]);
    expect(run.log[0].dLdh).toHaveLength(1);
  });
});
