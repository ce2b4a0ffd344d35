import { describe, expect, it } from 'vitest';
import { cpu, requireCpuWasm } from '../../src/backends/cpu/index.ts';
import { autoThreads } from '../../src/experiment/workerPool.ts';
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

describe('--threads', () => {
  it('runs whose products are split over 2 or 3 threads give the same results as one thread, in this thread and in workers', async () => {
    // Full size (the --quick sizes are below where products are split), a few steps.
    const exp = resolveExperiment(await loadExperiment('accumulation'), { steps: 4, seeds: [0] });
    const wasm = requireCpuWasm();
    const strip = (r: Awaited<ReturnType<typeof runExperiment>>) => JSON.stringify({ ...r, runs: r.runs.map(({ durationMs: _d, ...run }) => run) });
    const one = strip(await runExperiment(exp, { backend: wasm }));
    const splitBefore = wasm.wasm.productsSplit;
    expect(strip(await runExperimentInWorkers(exp, { backend: wasm, workers: 1, threads: 3 }))).toBe(one);
    expect(wasm.wasm.productsSplit).toBeGreaterThan(splitBefore); // the products were split
    expect(wasm.wasm.threads).toBe(1); // the helpers are stopped again afterwards
    expect(strip(await runExperimentInWorkers(exp, { backend: wasm, workers: 2, threads: 2 }))).toBe(one);
  });

  it('by default, each run gets the cores the workers leave it', () => {
    expect(autoThreads(2, 2, 10)).toBe(1);
    expect(autoThreads(2, 2, 1)).toBe(2); // one run left: both cores
    expect(autoThreads(8, 3, 10)).toBe(2);
    expect(autoThreads(8, 1, 10)).toBe(8);
    expect(autoThreads(2, 1, 0)).toBe(2);
    expect(autoThreads(1, 4, 4)).toBe(1);
  });
});
