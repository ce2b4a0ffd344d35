import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { loadExperiment } from '../../src/experiment/registry.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { runExperiment, runExperimentInWorkers } from '../../src/experiment/runner.ts';

describe('--workers', () => {
  it('two worker threads give the same results, in the same order, as one thread', async () => {
    const exp = resolveExperiment(await loadExperiment('accumulation'), { quick: true, seeds: [0, 1] });
    const serial = await runExperiment(exp, { backend: cpu });
    const parallel = await runExperimentInWorkers(exp, { backend: cpu, workers: 2 });
    const strip = (r: typeof serial) => JSON.stringify({ ...r, runs: r.runs.map(({ durationMs: _d, ...run }) => run) });
    expect(parallel.runs.map((r) => `${r.variant}/${r.seed}`)).toEqual(serial.runs.map((r) => `${r.variant}/${r.seed}`));
    expect(strip(parallel)).toBe(strip(serial));
  });
});
