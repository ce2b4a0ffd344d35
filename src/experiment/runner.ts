import type { Backend } from '../backends/backend.ts';
import { RecurrentNet } from '../nn/recurrentNet.ts';
import { Rng } from '../tensor/rng.ts';
import { createTask } from '../tasks/index.ts';
import type { Task } from '../tasks/task.ts';
import { train } from '../train/trainer.ts';
import type { ResolvedExperiment, ResolvedVariant, TaskSpec } from './config.ts';
import { ExperimentError } from './resolve.ts';
import type { Results, RunResult } from './results.ts';
import { RESULTS_SCHEMA } from './results.ts';
import { runInWorkers, type RunJob } from './workerPool.ts';

/** Progress of one run. */
export interface RunProgress {
  step(step: number, loss: number): void;
  end(result: RunResult): void;
}

/** Progress of the runs, for a bar on a terminal or plain lines in a log. */
export interface ProgressSink {
  startRun(label: string, index: number, total: number, steps: number): RunProgress;
}

export interface RunnerOptions {
  backend: Backend;
  progress?: ProgressSink;
  /** Worker threads running (variant, seed) jobs side by side; 1 runs them in this thread. */
  workers?: number;
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
export async function runOne(exp: ResolvedExperiment, v: ResolvedVariant, task: Task, seed: number, backend: Backend, onStep?: (s: number, l: number) => void): Promise<RunResult> {
  const started = Date.now();
  const base = { variant: v.name, seed };
  try {
    const rng = Rng.seeded(seed);
    const net = RecurrentNet.create(
      {
        cell: v.cell, inputSize: task.inputSize, hiddenSize: v.hiddenSize, numLayers: v.numLayers, outputSize: task.outputSize,
        residual: v.residual, skipDelay: v.skipDelay ?? undefined, dropout: v.dropout,
      },
      rng.fork(0),
      { dtype: 'float32', backend, init: v.init },
    );
    const r = await train(net, task, {
      steps: exp.steps, batchSize: v.batchSize, accumulation: v.accumulation, logEvery: exp.logEvery, valSize: exp.valSize,
      optimizer: v.optimizer, schedule: v.schedule, clip: v.clip, earlyStop: exp.earlyStop,
    }, { data: rng.fork(1), dropout: rng.fork(2) }, { onStep });
    return { ...base, ...r, durationMs: Date.now() - started };
  } catch (e) {
    return {
      ...base, status: 'failed', error: (e as Error).message, stepsRun: 0, durationMs: Date.now() - started,
      log: [], metrics: {}, summary: null,
    };
  }
}

function header(exp: ResolvedExperiment, getTask: (spec: TaskSpec) => Task, runs: RunResult[]): Omit<Results, 'env'> {
  return {
    schema: RESULTS_SCHEMA,
    experiment: exp.name,
    description: exp.description,
    config: exp,
    baselines: [...getTask(exp.task).baselines],
    runs,
  };
}

/** Train every variant x seed, in order; a failed or diverged run does not stop the others. */
export async function runExperiment(exp: ResolvedExperiment, opts: RunnerOptions): Promise<Omit<Results, 'env'>> {
  const getTask = prepareTasks(exp);
  const runs: RunResult[] = [];
  const total = exp.variants.length * exp.seeds.length;
  for (const v of exp.variants) {
    for (const seed of exp.seeds) {
      const progress = opts.progress?.startRun(`${v.name} seed ${seed}`, runs.length, total, exp.steps);
      const r = await runOne(exp, v, getTask(v.task), seed, opts.backend, progress ? (s, l) => progress.step(s, l) : undefined);
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
  if (workers <= 1) return runExperiment(exp, opts);
  if (opts.backend.name !== 'cpu') throw new Error(`worker threads run the cpu backend only, not ${opts.backend.name}`);
  const getTask = prepareTasks(exp);
  const jobs: RunJob[] = exp.variants.flatMap((_, variant) => exp.seeds.map((seed) => ({ variant, seed, index: 0 })));
  jobs.forEach((j, i) => (j.index = i));
  const live = new Map<number, RunProgress>();
  const runs = await runInWorkers(exp, jobs, workers, {
    start: (j) => {
      const p = opts.progress?.startRun(`${exp.variants[j.variant].name} seed ${j.seed}`, j.index, jobs.length, exp.steps);
      if (p) live.set(j.index, p);
    },
    step: (j, step, loss) => live.get(j.index)?.step(step, loss),
    end: (j, r) => live.get(j.index)?.end(r),
  });
  return header(exp, getTask, runs);
}
