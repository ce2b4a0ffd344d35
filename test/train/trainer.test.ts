import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { runExperiment } from '../../src/experiment/runner.ts';

const base = {
  name: 'trainer-probe',
  description: 'small runs that exercise the training loop',
  task: { name: 'adding', T: 8, variant: 'arjovsky', testSize: 64 },
  steps: 40,
  seeds: [3],
  batchSize: 8,
  logEvery: 7,
  valSize: 32,
  defaults: { cell: 'gru', hiddenSize: 4, optimizer: { name: 'adam', lr: 0.01 } },
} as const;

describe('the training loop', () => {
  it('logs at step 0, every logEvery steps and the last step, with the diagnostics', async () => {
    const [run] = (await runExperiment(resolveExperiment({ ...base, variants: [{ name: 'a' }] }), { backend: cpu })).runs;
    expect(run.log.map((e) => e.step)).toEqual([0, 7, 14, 21, 28, 35, 39]);
    for (const e of run.log) {
      expect(e.valLoss).toBeTypeOf('number');
      expect(e.updateRatio! > 0).toBe(true);
      expect(Object.keys(e.paramGradNorms)).toContain('rnn.weight_hh_l0');
      // The global norm is the root of the per-parameter norms' squares.
      const sq = Object.values(e.paramGradNorms).reduce<number>((s, v) => s + (v ?? NaN) ** 2, 0);
      expect(Math.abs(Math.sqrt(sq) - e.gradNorm!)).toBeLessThan(1e-9 * e.gradNorm!);
    }
    expect(run.clipPerStep).toBeUndefined();
  });

  it('records every step\'s clipping factor; clipped steps are exactly those whose norm passed the threshold', async () => {
    const exp = resolveExperiment({ ...base, logEvery: 1, variants: [{ name: 'clip', clip: { kind: 'norm', maxNorm: 0.05 } }] });
    const [run] = (await runExperiment(exp, { backend: cpu })).runs;
    expect(run.clipPerStep).toHaveLength(40);
    run.log.forEach((e) => {
      const f = run.clipPerStep![e.step];
      expect(e.clipFactor).toBe(f);
      expect(e.clipped).toBe(e.gradNorm! + 1e-6 > 0.05);
      if (e.clipped) expect(Math.abs(f - 0.05 / (e.gradNorm! + 1e-6))).toBeLessThan(1e-12);
      else expect(f).toBe(1);
    });
  });

  it('stops early once the target metric crosses its threshold, and says so', async () => {
    const exp = resolveExperiment({ ...base, steps: 500, logEvery: 5, earlyStop: { metric: 'loss', below: 0.5 }, variants: [{ name: 'a' }] });
    const [run] = (await runExperiment(exp, { backend: cpu })).runs;
    expect(run.earlyStopped).toBe(true);
    expect(run.stepsRun).toBeLessThan(500);
    const last = run.log[run.log.length - 1];
    expect(last.step).toBe(run.stepsRun - 1);
    expect(last.valLoss!).toBeLessThan(0.5);
    // ...and not at the log step before.
    expect(run.log[run.log.length - 2].valLoss!).toBeGreaterThanOrEqual(0.5);
  });
});
