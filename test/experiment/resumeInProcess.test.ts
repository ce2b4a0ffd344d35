import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import type { ResolvedExperiment } from '../../src/experiment/config.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import type { RunResult } from '../../src/experiment/results.ts';
import { checkpointPath, journalPath, readJournal } from '../../src/experiment/runFiles.ts';
import { runExperiment, runExperimentInWorkers, type ProgressSink, type RunnerOptions, type RunStore } from '../../src/experiment/runner.ts';
import { weightsPath } from '../../src/experiment/runWeights.ts';
import { StopFlag } from '../../src/experiment/stopFlag.ts';
import { readSafetensorsFile } from '../../src/io/safetensors.ts';
import { runNumbers, tempDir, TINY } from '../helpers/durable.ts';

/**
 * The runner's side of resuming, in this process (the binary's kill-and-resume suites drive the
 * same code through signals; these run in the mutation suite too): a stop raised after some step
 * of some run, then --resume, equals the uninterrupted experiment; runs already finished are not
 * run again; a failed run is tried again from its checkpoint; weights are written for finished
 * runs only.
 */

const STEPS = 10;
const exp: ResolvedExperiment = resolveExperiment({ ...TINY, steps: STEPS, logEvery: 2 });
/** Logged every step: a checkpoint (every second logged step) is then often behind the journal. */
const everyStep: ResolvedExperiment = resolveExperiment({ ...TINY, steps: STEPS, logEvery: 1 });
const RUNS = exp.variants.length * exp.seeds.length;


/** A progress sink that records which runs start, the first step each takes (a resumed run
 * continues at its checkpoint), and calls `atStep` after each step. */
function watch(atStep: (run: number, step: number) => void = () => {}): { sink: ProgressSink; started: number[]; firstStep: Map<number, number> } {
  const started: number[] = [];
  const firstStep = new Map<number, number>();
  const sink: ProgressSink = {
    startRun: (_label, index) => {
      started.push(index);
      return {
        step: (step) => {
          if (!firstStep.has(index)) firstStep.set(index, step);
          atStep(index, step);
        },
        end: () => {},
      };
    },
  };
  return { sink, started, firstStep };
}

const store = (dir: string, resume: boolean): RunStore => ({ dir, checkpointEveryLogged: 2, resume, saveWeights: 'both' });

/** Run `e` into `dir` from scratch, stopped (as by a signal) after step `step` of run `run`. */
async function stopAfter(e: ResolvedExperiment, dir: string, run: number, step: number): Promise<void> {
  const stop = new StopFlag();
  await runExperiment(e, { backend: cpu, store: store(dir, false), stop, progress: watch((r, s) => r === run && s === step && stop.raise()).sink });
}

describe('stopping and resuming runExperiment with an output folder', () => {
  let reference: RunResult[] = [];
  let referenceEveryStep: RunResult[] = [];
  beforeAll(async () => {
    reference = (await runExperiment(exp, { backend: cpu })).runs;
    referenceEveryStep = (await runExperiment(everyStep, { backend: cpu })).runs;
  });

  it.each([
    [0, 0], [1, 3], [2, STEPS - 1], [3, 5],
  ])('a stop after run %i, step %i, then a resume, gives the uninterrupted results', async (run, step) => {
    const dir = tempDir('gradlab-resume-');
    const stop = new StopFlag();
    const first = watch((r, s) => {
      if (r === run && s === step) stop.raise();
    });
    const opts: RunnerOptions = { backend: cpu, store: store(dir, false), stop, progress: first.sink };
    const stopped = await runExperiment(exp, opts);
    // The run stops at its next step boundary: a stop after its last step lets it finish.
    const finishedRuns = step === STEPS - 1 ? run + 1 : run;
    expect(stopped.runs.map((r) => r.status)).toEqual(Array.from({ length: RUNS }, (_, i) => (i < finishedRuns ? 'ok' : 'interrupted')));
    expect(first.started).toEqual(Array.from({ length: run + 1 }, (_, i) => i));
    // Runs never started say so, with nothing of their own.
    for (const r of stopped.runs.slice(run + 1)) expect([r.stepsRun, r.durationMs, r.log, r.metrics, r.summary]).toEqual([0, 0, [], {}, null]);
    // A run's duration is its own time (well under ten minutes here).
    for (const r of stopped.runs) expect(r.durationMs).toBeLessThan(600_000);
    const HOUR = 3_600_000;
    if (finishedRuns === run) {
      expect(stopped.runs[run].stepsRun).toBe(step + 1);
      expect(existsSync(weightsPath(dir, run, 'final'))).toBe(false);
      // A resumed run's duration counts the time before the stop, as its checkpoint recorded it
      // (made an hour here, so the resumed part cannot account for it).
      const c = JSON.parse(readFileSync(checkpointPath(dir, run), 'utf8')) as { elapsedMs: number };
      writeFileSync(checkpointPath(dir, run), JSON.stringify({ ...c, elapsedMs: HOUR }));
    }
    for (let i = 0; i < RUNS; i++) expect(existsSync(weightsPath(dir, i, 'initial')), `run ${i}`).toBe(i <= run);

    const second = watch();
    const resumed = await runExperiment(exp, { backend: cpu, store: store(dir, true), progress: second.sink });
    expect(runNumbers(resumed.runs)).toEqual(runNumbers(reference));
    // Finished runs come from their journals; only the others run, the stopped one from where it stopped.
    expect(second.started).toEqual(Array.from({ length: RUNS - finishedRuns }, (_, i) => finishedRuns + i));
    expect(second.firstStep.get(run)).toBe(finishedRuns === run ? step + 1 : undefined);
    if (finishedRuns === run) {
      expect(resumed.runs[run].durationMs).toBeGreaterThanOrEqual(HOUR);
      expect(resumed.runs[run].durationMs).toBeLessThan(HOUR + 600_000);
    }
    for (let i = 0; i < RUNS; i++) {
      expect(existsSync(weightsPath(dir, i, 'final')), `run ${i}`).toBe(true);
      expect(existsSync(checkpointPath(dir, i)), `run ${i}`).toBe(false);
    }
    // Once more: every run is read back from its journal, whole (the resumed run's included).
    const third = watch();
    const fromDisk = await runExperiment(exp, { backend: cpu, store: store(dir, true), progress: third.sink });
    expect(third.started).toEqual([]);
    expect(runNumbers(fromDisk.runs)).toEqual(runNumbers(reference));
    // The weights files say which run and which weights they hold.
    const about = (which: 'initial' | 'final') => {
      const m = readSafetensorsFile(weightsPath(dir, run, which)).metadata;
      return [m['gradlab.variant'], m['gradlab.seed'], m['gradlab.step'], m['gradlab.status']];
    };
    const { variant, seed } = reference[run];
    expect(about('initial')).toEqual([variant, String(seed), '0', 'initial']);
    expect(about('final')).toEqual([variant, String(seed), String(STEPS), 'ok']);
  });

  it('a folder whose runs are another experiment\'s (seeds in another order) is neither resumed nor read back', async () => {
    const dir = tempDir('gradlab-resume-');
    await stopAfter(exp, dir, 1, 4);
    const swapped = resolveExperiment({ ...TINY, steps: STEPS, logEvery: 2, seeds: [1, 0] });
    const again = watch();
    const resumed = await runExperiment(swapped, { backend: cpu, store: store(dir, true), progress: again.sink });
    expect(again.started).toEqual([0, 1, 2, 3]);
    expect([...again.firstStep.values()]).toEqual([0, 0, 0, 0]);
    expect(runNumbers(resumed.runs)).toEqual(runNumbers((await runExperiment(swapped, { backend: cpu })).runs));
  });

  it('a run that fails is recorded as failed with its error, the others go on, and a resume tries it again from its checkpoint', async () => {
    const dir = tempDir('gradlab-resume-');
    const failing = watch((r, s) => {
      if (r === 1 && s === 7) throw new Error('injected after step 7');
    });
    const once = await runExperiment(everyStep, { backend: cpu, store: store(dir, false), progress: failing.sink });
    expect(once.runs.map((r) => r.status)).toEqual(['ok', 'failed', 'ok', 'ok']);
    expect(once.runs[1].error).toBe('injected after step 7');
    // The journal says so; steps 0..6 were logged, the last checkpoint (every 2 logged) is at step 6.
    const journal = readJournal(dir, 1);
    expect([journal.end?.status, journal.end?.error]).toEqual(['failed', 'injected after step 7']);
    expect(journal.log.map((e) => e.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(existsSync(weightsPath(dir, 1, 'final'))).toBe(false);
    // Resumed and failing again at once, before a checkpoint of its own: the one it resumed from
    // stays, and the next resume starts from it again.
    const failsAgain = watch((r, s) => {
      if (r === 1 && s === 6) throw new Error('injected after step 6');
    });
    const twice = await runExperiment(everyStep, { backend: cpu, store: store(dir, true), progress: failsAgain.sink });
    expect(twice.runs[1].status).toBe('failed');
    expect(failsAgain.firstStep.get(1)).toBe(6);
    expect(existsSync(checkpointPath(dir, 1))).toBe(true);
    const again = watch();
    const resumed = await runExperiment(everyStep, { backend: cpu, store: store(dir, true), progress: again.sink });
    expect(again.started).toEqual([1]);
    // From the checkpoint, step 6 logged again.
    expect(again.firstStep.get(1)).toBe(6);
    expect(runNumbers(resumed.runs)).toEqual(runNumbers(referenceEveryStep));
  });

  it('a checkpoint whose log lines the journal lost (a crash before they reached the disk) is not resumed from: the run starts over', async () => {
    const dir = tempDir('gradlab-resume-');
    await stopAfter(everyStep, dir, 2, 5);
    const lines = readFileSync(journalPath(dir, 2), 'utf8').split('\n');
    writeFileSync(journalPath(dir, 2), `${lines.slice(0, 3).join('\n')}\n`);
    const again = watch();
    const resumed = await runExperiment(everyStep, { backend: cpu, store: store(dir, true), progress: again.sink });
    expect(again.firstStep.get(2)).toBe(0);
    expect(runNumbers(resumed.runs)).toEqual(runNumbers(referenceEveryStep));
  });

  it('without resume, an existing folder\'s runs start over and a stale checkpoint goes', async () => {
    const dir = tempDir('gradlab-resume-');
    await stopAfter(exp, dir, 1, 4);
    expect(existsSync(checkpointPath(dir, 1))).toBe(true);
    const again = watch();
    const rerun = await runExperiment(exp, { backend: cpu, store: store(dir, false), progress: again.sink });
    expect(again.started).toEqual([0, 1, 2, 3]);
    expect([...again.firstStep.values()]).toEqual([0, 0, 0, 0]);
    expect(runNumbers(rerun.runs)).toEqual(runNumbers(reference));
    // Stopped in run 1 again (its checkpoint on disk), then started over without resume and
    // failing at its first step, before a checkpoint of its own: the earlier one is gone too.
    await stopAfter(exp, dir, 1, 4);
    expect(existsSync(checkpointPath(dir, 1))).toBe(true);
    await runExperiment(exp, { backend: cpu, store: store(dir, false), progress: watch((r, s) => {
      if (r === 1 && s === 0) throw new Error('injected after step 0');
    }).sink });
    expect(existsSync(checkpointPath(dir, 1))).toBe(false);
  });

  it('--shard\'s `only`: just those runs, in results order', async () => {
    const some = await runExperiment(exp, { backend: cpu, only: new Set([1, 3]) });
    const all = reference;
    expect(runNumbers(some.runs)).toEqual(runNumbers([all[1], all[3]]));
  });
});

describe('stopping and resuming in worker threads', () => {
  it('a resume reads finished runs back instead of sending them to a worker (without resume they run again); runs a stop kept from starting say so', async () => {
    const dir = tempDir('gradlab-resume-');
    const whole = await runExperiment(exp, { backend: cpu, store: store(dir, false) });
    const again = watch();
    const resumed = await runExperimentInWorkers(exp, { backend: cpu, workers: 2, store: store(dir, true), progress: again.sink });
    expect(again.started).toEqual([]);
    expect(runNumbers(resumed.runs)).toEqual(runNumbers(whole.runs));
    // Without resume, the same folder's finished runs are run again.
    const over = watch();
    const rerun = await runExperimentInWorkers(exp, { backend: cpu, workers: 2, store: store(dir, false), progress: over.sink });
    expect([...over.started].sort()).toEqual([0, 1, 2, 3]);
    expect(runNumbers(rerun.runs)).toEqual(runNumbers(whole.runs));
    // A stop raised before any run starts: every run is recorded as interrupted, with nothing of its own.
    const stop = new StopFlag();
    stop.raise();
    const none = await runExperimentInWorkers(exp, { backend: cpu, workers: 2, store: store(tempDir('gradlab-resume-'), false), stop });
    expect(none.runs.map((r) => [r.variant, r.seed, r.status, r.stepsRun, r.log, r.summary])).toEqual(
      whole.runs.map((r) => [r.variant, r.seed, 'interrupted', 0, [], null]),
    );
  });
});
