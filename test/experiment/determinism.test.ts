import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { loadExperiment } from '../../src/experiment/registry.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { runExperiment } from '../../src/experiment/runner.ts';

/** results without wall-clock fields */
function withoutTimes(r: Awaited<ReturnType<typeof runExperiment>>): unknown {
  return { ...r, runs: r.runs.map(({ durationMs: _d, ...run }) => run) };
}

describe('determinism', () => {
  it('the same experiment and seeds give identical results (ignoring durations)', async () => {
    const exp = resolveExperiment(await loadExperiment('residual'), { quick: true });
    const a = await runExperiment(exp, { backend: cpu });
    const b = await runExperiment(exp, { backend: cpu });
    expect(JSON.stringify(withoutTimes(a))).toBe(JSON.stringify(withoutTimes(b)));
  });

  it('a different seed gives different numbers', async () => {
    const def = await loadExperiment('residual');
    const a = await runExperiment(resolveExperiment(def, { quick: true, seeds: [0] }), { backend: cpu });
    const b = await runExperiment(resolveExperiment(def, { quick: true, seeds: [1] }), { backend: cpu });
    expect(a.runs[0].log[0].loss).not.toBe(b.runs[0].log[0].loss);
  });
});
