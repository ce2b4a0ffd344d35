import { experimentBaselines } from './baselines.ts';
import type { Backend } from '../backends/backend.ts';
import { isCpuBackend } from '../backends/cpu/index.ts';
import { RecurrentNet } from '../nn/recurrentNet.ts';
import { dispose } from '../tensor/scope.ts';
import { Rng } from '../tensor/rng.ts';
import { createTask } from '../tasks/index.ts';
import type { Task } from '../tasks/task.ts';
import { train } from '../train/trainer.ts';
import type { ResolvedExperiment, ResolvedVariant, TaskSpec } from './config.ts';
import { ExperimentError } from './resolve.ts';
import type { Results, RunResult } from './results.ts';
import { RESULTS_SCHEMA } from './results.ts';
import { runInWorkers, type RunJob } from './workerPool.ts';
import { isFinished, readJournal, readRun, removeCheckpoint, RunJournal, sameRun, writeCheckpoint, type RunIdentity } from './runFiles.ts';
import type { ResumePoint } from '../train/trainer.ts';
import type { StopFlag } from './stopFlag.ts';
import { failpointAfterStep } from './failpoint.ts';
import { saveWeights, weightsPath, type SaveWeights } from './runWeights.ts';

/** Progress of one run. */
export interface RunProgress {
  step(step: number, loss: number): void;
  end(result: RunResult): void;
}

/** Progress of the runs, for a bar on a terminal or plain lines in a log. */
export interface ProgressSink {
  startRun(label: string, index: number, total: number, steps: number): RunProgress;
}

/** Where runs stream their logs and checkpoints (the output folder), and how often they
 * checkpoint; with `resume`, finished runs are skipped and unfinished ones continue. */
export interface RunStore {
  dir: string;
  checkpointEveryLogged: number;
  resume: boolean;
  /** Write each finished run's weights (and with 'both' its initial weights) under dir/weights/. */
  saveWeights?: SaveWeights;
}

export interface RunnerOptions {
  backend: Backend;
  progress?: ProgressSink;
  /** Worker threads running (variant, seed) jobs side by side; 1 runs them in this thread. */
  workers?: number;
  /** Threads each run's float32 GEMMs are split over (the wasm kernels; results are identical
   * for any number). Default 1; the CLI gives each run the cores the workers leave it. */
  threads?: number;
  store?: RunStore;
  /** Once raised, every run stops at its next step boundary (after a checkpoint) and runs not
   * yet started are not started. */
  stop?: StopFlag;
  /** Only the runs with these indices (results order): a shard. Default: every run. */
  only?: ReadonlySet<number>;
}

/** How one run is driven: progress, and (with a store) its files and the stop flag. */
export interface RunControl {
  onStep?: (step: number, loss: number) => void;
  store?: RunStore;
  index?: number;
  shouldStop?: () => boolean | Promise<boolean>;
}

/** Where a run continues from, when resuming: its checkpoint and the log lines that checkpoint
 * covers, or null to start over (no checkpoint, or files that do not fit together). */
function resumePoint(store: RunStore, id: RunIdentity): ResumePoint | null {
  const rec = readRun(store.dir, id.index);
  const c = rec.checkpoint;
  if (!c || !sameRun(rec, id)) return null;
  const log = rec.log.filter((e) => e.step < c.step);
  return log.length === c.logCount ? { checkpoint: c, log } : null;
}

/** A finished run recorded in the folder (ok or diverged; a failed run is tried again). */
export function finishedRun(store: RunStore, id: RunIdentity): RunResult | null {
  const rec = readJournal(store.dir, id.index);
  return rec.end && isFinished(rec.end) && sameRun(rec, id) ? { ...rec.end, log: rec.log } : null;
}

/** Tasks by their resolved settings: variants that share a task share its test set. */
function taskCache(): (spec: TaskSpec) => Task {
  const cache = new Map<string, Task>();
  return (spec) => {
    const key = JSON.stringify(spec);
    let t = cache.get(key);
    if (!t) {
      t = createTask(spec);
      cache.set(key, t);
    }
    return t;
  };
}

/** Build every variant's task up front, so a bad setting fails before any run starts, as an
 * ExperimentError naming the variant (createTask's own messages start with `task.`). */
export function prepareTasks(exp: ResolvedExperiment): (spec: TaskSpec) => Task {
  const get = taskCache();
  const check = (spec: TaskSpec, where: string): void => {
    try {
      get(spec);
    } catch (e) {
      throw new ExperimentError(`${where}.${(e as Error).message}`);
    }
  };
  exp.variants.forEach((v, i) => check(v.task, `experiment.variants[${i}]`));
  check(exp.task, 'experiment');
  return get;
}

/**
 * One run: the seed fixes the initial weights (stream 0), the training data (stream 1) and the
 * dropout masks (stream 2), so the same seed gives the same numbers, and every variant of an
 * experiment sees the same data for the same seed.
 */
export async function runOne(exp: ResolvedExperiment, v: ResolvedVariant, task: Task, seed: number, backend: Backend, control: RunControl = {}): Promise<RunResult> {
  const started = Date.now();
  const base = { variant: v.name, seed };
  const { store } = control;
  const id: RunIdentity = { index: control.index ?? 0, variant: v.name, seed };
  const from = store?.resume ? resumePoint(store, id) : null;
  let journal: RunJournal | null = null;
  const priorMs = from?.checkpoint.elapsedMs ?? 0;
  let net: RecurrentNet | null = null;
  try {
    if (store) {
      journal = RunJournal.open(store.dir, id, from?.log ?? []);
      if (!from) removeCheckpoint(store.dir, id.index);
    }
    const rng = Rng.seeded(seed);
    net = RecurrentNet.create(
      {
        cell: v.cell, inputSize: task.inputSize, hiddenSize: v.hiddenSize, numLayers: v.numLayers, outputSize: task.outputSize,
        residual: v.residual, skipDelay: v.skipDelay ?? undefined, dropout: v.dropout,
      },
      rng.fork(0),
      { dtype: 'float32', backend, init: v.init },
    );
    // The seed fixes the initial weights, so a resumed run writes the same file again.
    if (store?.saveWeights === 'both') await saveWeights(net, weightsPath(store.dir, id.index, 'initial'), { ...base, step: 0, status: 'initial' });
    const r = await train(net, task, {
      steps: exp.steps, batchSize: v.batchSize, accumulation: v.accumulation, logEvery: exp.logEvery, valSize: exp.valSize,
      optimizer: v.optimizer, schedule: v.schedule, clip: v.clip, earlyStop: exp.earlyStop,
    }, { data: rng.fork(1), dropout: rng.fork(2) }, {
      onStep: (step, loss) => {
        control.onStep?.(step, loss);
        failpointAfterStep(id.index, step);
      },
      shouldStop: control.shouldStop,
      onLog: journal ? (entry) => journal!.log(entry) : undefined,
      checkpoint: store ? { everyLogged: store.checkpointEveryLogged, save: (c) => writeCheckpoint(store.dir, id.index, c) } : undefined,
    }, from ?? undefined);
    const result: RunResult = { ...base, ...r, durationMs: priorMs + Date.now() - started };
    // Before the journal's end line: a run counts as finished only once its weights are on disk.
    if (store?.saveWeights && r.status !== 'interrupted') {
      await saveWeights(net, weightsPath(store.dir, id.index, 'final'), { ...base, step: r.stepsRun, status: r.status });
    }
    if (store && journal && r.status !== 'interrupted') {
      journal.end(result);
      removeCheckpoint(store.dir, id.index);
    }
    return result;
  } catch (e) {
    const failed: RunResult = {
      ...base, status: 'failed', error: (e as Error).message, stepsRun: 0, durationMs: priorMs + Date.now() - started,
      log: [], metrics: {}, summary: null,
    };
    // The checkpoint stays: --resume tries a failed run again from it.
    journal?.end(failed);
    return failed;
  } finally {
    // A device backend's memory is explicit (src/tensor/scope.ts): the finished run's parameters
    // and their last gradients go back to the pool, or a process running many runs keeps them all.
    if (net) dispose([...net.params.values()].flatMap((p) => [p, p.grad]));
  }
}

/** The run that was never started because the experiment stopped first. */
function notStarted(v: ResolvedVariant, seed: number): RunResult {
  return { variant: v.name, seed, status: 'interrupted', stepsRun: 0, durationMs: 0, log: [], metrics: {}, summary: null };
}

/** An in-process run must let the event loop run, or a signal handler never fires while it
 * trains: one setImmediate per step (microseconds against a step's milliseconds), so a signal
 * stops the run at the very next step boundary. */
function yieldingStop(stop: StopFlag | undefined): (() => Promise<boolean>) | undefined {
  if (!stop) return undefined;
  return async () => {
    await new Promise((r) => setImmediate(r));
    return stop.raised;
  };
}

function header(exp: ResolvedExperiment, getTask: (spec: TaskSpec) => Task, runs: RunResult[]): Omit<Results, 'env'> {
  return {
    schema: RESULTS_SCHEMA,
    experiment: exp.name,
    description: exp.description,
    config: exp,
    baselines: experimentBaselines(exp, getTask),
    runs,
  };
}

/** Train every variant x seed, in order; a failed or diverged run does not stop the others. */
export async function runExperiment(exp: ResolvedExperiment, opts: RunnerOptions): Promise<Omit<Results, 'env'>> {
  const getTask = prepareTasks(exp);
  const runs: RunResult[] = [];
  const total = exp.variants.length * exp.seeds.length;
  const shouldStop = yieldingStop(opts.stop);
  let index = -1;
  for (const v of exp.variants) {
    for (const seed of exp.seeds) {
      index++;
      if (opts.only && !opts.only.has(index)) continue;
      const done = opts.store?.resume ? finishedRun(opts.store, { index, variant: v.name, seed }) : null;
      if (done || opts.stop?.raised) {
        runs.push(done ?? notStarted(v, seed));
        continue;
      }
      const progress = opts.progress?.startRun(`${v.name} seed ${seed}`, index, total, exp.steps);
      const r = await runOne(exp, v, getTask(v.task), seed, opts.backend, {
        onStep: progress ? (s, l) => progress.step(s, l) : undefined, store: opts.store, index, shouldStop,
      });
      progress?.end(r);
      runs.push(r);
    }
  }
  return header(exp, getTask, runs);
}

/**
 * The same runs spread over `opts.workers` worker threads (CPU backend only): identical results
 * (every run is seeded on its own), in the same order as runExperiment's.
 */
export async function runExperimentInWorkers(exp: ResolvedExperiment, opts: RunnerOptions): Promise<Omit<Results, 'env'>> {
  const workers = opts.workers ?? 1;
  const threads = opts.threads ?? 1;
  if (workers <= 1) {
    const gemm = isCpuBackend(opts.backend) ? opts.backend.wasm : null;
    if (!gemm || threads === gemm.threads) return runExperiment(exp, opts);
    const before = gemm.threads;
    gemm.setThreads(threads);
    try {
      return await runExperiment(exp, opts);
    } finally {
      gemm.setThreads(before);
    }
  }
  if (!isCpuBackend(opts.backend)) throw new Error(`worker threads run the cpu backends only, not ${opts.backend.name}`);
  const getTask = prepareTasks(exp);
  const all: RunJob[] = exp.variants.flatMap((_, variant) => exp.seeds.map((seed) => ({ variant, seed, index: 0 })));
  all.forEach((j, i) => (j.index = i));
  const jobs = opts.only ? all.filter((j) => opts.only!.has(j.index)) : all;
  const live = new Map<number, RunProgress>();
  const runs = await runInWorkers(exp, jobs, workers, {
    backend: opts.backend.name,
    threads,
    store: opts.store,
    stop: opts.stop,
    done: (j) => (opts.store?.resume ? finishedRun(opts.store, { index: j.index, variant: exp.variants[j.variant].name, seed: j.seed }) : null),
    notStarted: (j) => notStarted(exp.variants[j.variant], j.seed),
  }, {
    start: (j) => {
      const p = opts.progress?.startRun(`${exp.variants[j.variant].name} seed ${j.seed}`, j.index, all.length, exp.steps);
      if (p) live.set(j.index, p);
    },
    step: (j, step, loss) => live.get(j.index)?.step(step, loss),
    end: (j, r) => live.get(j.index)?.end(r),
  });
  return header(exp, getTask, runs);
}
