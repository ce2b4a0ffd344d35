import { describe, expect, it } from 'vitest';
import { cpu, cpuJs } from '../../src/backends/cpu/index.ts';
import type { ResolvedExperiment } from '../../src/experiment/config.ts';
import { ExperimentError, resolveExperiment } from '../../src/experiment/resolve.ts';
import type { RunResult } from '../../src/experiment/results.ts';
import { prepareTasks, runExperiment, runExperimentInWorkers, type ProgressSink } from '../../src/experiment/runner.ts';
import { StopFlag } from '../../src/experiment/stopFlag.ts';
import { runNumbers, TINY } from '../helpers/durable.ts';

/** What the runner owes its callers besides the numbers: errors that name the variant, progress
 * as the bar shows it, a failed run's record, stops that reach a run training in this thread. */

const exp: ResolvedExperiment = resolveExperiment({ ...TINY, steps: 6, logEvery: 2 });

interface Started {
  label: string;
  index: number;
  total: number;
  steps: number;
  stepsSeen: number;
  ended: RunResult | null;
}

function recorder(): { sink: ProgressSink; started: Started[] } {
  const started: Started[] = [];
  return {
    started,
    sink: {
      startRun: (label, index, total, steps) => {
        const s: Started = { label, index, total, steps, stepsSeen: 0, ended: null };
        started.push(s);
        return { step: () => void s.stepsSeen++, end: (r) => void (s.ended = r) };
      },
    },
  };
}

describe('the runner', () => {
  it('refuses a task it cannot build before any run, naming where it is set', () => {
    const catchMessage = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ExperimentError);
        return (e as Error).message;
      }
      return 'no error';
    };
    // Within the schema's range (T >= 2), below this variant's own minimum, which createTask checks.
    const bad = { name: 'adding', T: 10, variant: 'hochreiter' };
    expect(catchMessage(() => prepareTasks(resolveExperiment({ ...TINY, task: bad }))))
      .toBe("experiment.variants[0].task.T must be an integer >= 20 for variant 'hochreiter', got 10");
    const second = { ...TINY, variants: [TINY.variants[0], { ...TINY.variants[1], task: bad }] };
    expect(catchMessage(() => prepareTasks(resolveExperiment(second))))
      .toBe("experiment.variants[1].task.T must be an integer >= 20 for variant 'hochreiter', got 10");
    // The experiment's own task is built too (baselines are drawn from it) even when every variant sets its own.
    const good = { ...TINY.task, variant: 'arjovsky' };
    const top = { ...TINY, task: bad, variants: TINY.variants.map((v) => ({ ...v, task: good })) };
    expect(catchMessage(() => prepareTasks(resolveExperiment(top))))
      .toBe("experiment.task.T must be an integer >= 20 for variant 'hochreiter', got 10");
  });

  it('builds each distinct task once: variants with the same task settings share it (and its test set)', () => {
    const get = prepareTasks(exp);
    expect(get(exp.variants[0].task)).toBe(get(exp.variants[1].task));
    expect(get({ ...exp.variants[0].task })).toBe(get(exp.variants[0].task));
  });

  it.each([1, 2])('reports every run to the progress sink: "<variant> seed <seed>", its index, the total and the steps (%i worker(s))', async (workers) => {
    const { sink, started } = recorder();
    const results = await runExperimentInWorkers(exp, { backend: cpu, workers, progress: sink });
    expect(started.map(({ label, index, total, steps }) => ({ label, index, total, steps })).sort((a, b) => a.index - b.index)).toEqual([
      { label: 'lstm seed 0', index: 0, total: 4, steps: 6 },
      { label: 'lstm seed 1', index: 1, total: 4, steps: 6 },
      { label: 'gru seed 0', index: 2, total: 4, steps: 6 },
      { label: 'gru seed 1', index: 3, total: 4, steps: 6 },
    ]);
    for (const s of started) {
      // Worker threads send a run's steps at most every so often: some, not all, arrive.
      if (workers === 1) expect(s.stepsSeen).toBe(6);
      else expect(s.stepsSeen).toBeGreaterThan(0);
      expect(s.ended).toEqual(results.runs[s.index]);
    }
  });

  it('--shard\'s `only` in worker threads: just those runs, in results order, and the progress counts the whole experiment', async () => {
    const { sink, started } = recorder();
    const some = await runExperimentInWorkers(exp, { backend: cpu, workers: 2, only: new Set([1, 3]), progress: sink });
    const all = await runExperiment(exp, { backend: cpu });
    expect(runNumbers(some.runs)).toEqual(runNumbers([all.runs[1], all.runs[3]]));
    expect(started.map((s) => [s.index, s.total]).sort()).toEqual([[1, 4], [3, 4]]);
  });

  it('passes every variant setting to the net: a temporal skip changes the numbers', async () => {
    const withSkip = resolveExperiment({ ...TINY, steps: 3, seeds: [0], variants: [{ name: 'skip', cell: 'rnn_tanh', skipDelay: 2 }] });
    const without = resolveExperiment({ ...TINY, steps: 3, seeds: [0], variants: [{ name: 'skip', cell: 'rnn_tanh' }] });
    expect(runNumbers((await runExperiment(withSkip, { backend: cpu })).runs)).not.toEqual(runNumbers((await runExperiment(without, { backend: cpu })).runs));
  });

  it('worker threads: without a count, the runs stay in this thread (every step reported), with or without wasm kernels; a non-CPU backend is refused', async () => {
    const { sink, started } = recorder();
    await runExperimentInWorkers(exp, { backend: cpu, progress: sink });
    expect(started.map((s) => s.stepsSeen)).toEqual([6, 6, 6, 6]);
    // A CPU backend without wasm kernels (nothing to set threads on) runs in this thread too.
    const js = recorder();
    const inThread = await runExperimentInWorkers(exp, { backend: cpuJs, workers: 1, progress: js.sink });
    expect(js.started.map((s) => s.stepsSeen)).toEqual([6, 6, 6, 6]);
    expect(runNumbers(inThread.runs)).toEqual(runNumbers((await runExperiment(exp, { backend: cpuJs })).runs));
    // Refused before anything runs, so a stand-in with only a name is enough.
    const gpuLike = { name: 'webgpu' } as unknown as typeof cpu;
    await expect(runExperimentInWorkers(exp, { backend: gpuLike, workers: 2 })).rejects.toThrow('worker threads run the cpu backends only, not webgpu');
  });

  it('records a run that throws as failed, with its error and none of its partial numbers, and goes on', async () => {
    const sink: ProgressSink = {
      startRun: (_label, index) => ({
        step: (step) => {
          if (index === 2 && step === 3) throw new Error('injected after step 3');
        },
        end: () => {},
      }),
    };
    const { runs } = await runExperiment(exp, { backend: cpu, progress: sink });
    expect(runs.map((r) => r.status)).toEqual(['ok', 'ok', 'failed', 'ok']);
    const { durationMs, ...failed } = runs[2];
    expect(durationMs).toBeGreaterThanOrEqual(0);
    expect(durationMs).toBeLessThan(600_000);
    expect(failed).toEqual({ variant: 'gru', seed: 0, status: 'failed', error: 'injected after step 3', stepsRun: 0, log: [], metrics: {}, summary: null });
  });

  it('a stop raised by an event (a signal handler) while a run trains in this thread stops it at a step boundary', async () => {
    const stop = new StopFlag();
    const long = resolveExperiment({ ...TINY, steps: 100_000, logEvery: 1000 });
    // Raised from the event loop (a timer set after step 3, as a signal handler would run): only a
    // run that lets the event loop turn between steps sees it, within a step or two.
    const progress: ProgressSink = {
      startRun: () => ({ step: (step) => void (step === 3 && setTimeout(() => stop.raise(), 0)), end: () => {} }),
    };
    const { runs } = await runExperiment(long, { backend: cpu, stop, progress });
    expect(runs.map((r) => r.status)).toEqual(['interrupted', 'interrupted', 'interrupted', 'interrupted']);
    expect(runs[0].stepsRun).toBeGreaterThanOrEqual(4);
    expect(runs[0].stepsRun).toBeLessThan(20);
    expect(runs.slice(1).map((r) => r.stepsRun)).toEqual([0, 0, 0]);
  });
});
