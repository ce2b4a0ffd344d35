import { Worker } from 'node:worker_threads';
import type { ResolvedExperiment } from './config.ts';
import type { RunResult } from './results.ts';
import type { RunStore } from './runner.ts';
import { StopFlag } from './stopFlag.ts';

/** One (variant, seed) run for a worker thread. */
export interface RunJob {
  index: number;
  variant: number;
  seed: number;
}

export interface WorkerRequest {
  experiment: ResolvedExperiment;
  job: RunJob;
  /** The CPU backend's name (cpu-js, cpu-wasm): the thread runs the same kernels as its parent. */
  backend: string;
  /** Threads the run's GEMMs are split over (its own included). */
  threads: number;
  store?: RunStore;
  /** The shared stop flag's memory (see StopFlag). */
  stop?: SharedArrayBuffer;
}

export interface WorkerReply {
  index: number;
  result?: RunResult;
  step?: { step: number; loss: number };
}

const WORKER_URL = new URL('./runWorkerBoot.mjs', import.meta.url);

export interface PoolOptions {
  /** The CPU backend the threads run, by name (cpu-js, cpu-wasm). */
  backend: string;
  /** Threads each run's GEMMs are split over. */
  threads: number;
  store?: RunStore;
  stop?: StopFlag;
  /** A job already done (a finished run found when resuming): not sent to a worker. */
  done?: (job: RunJob) => RunResult | null;
  /** The result of a job never started because the stop flag was raised first. */
  notStarted: (job: RunJob) => RunResult;
}

/**
 * Run jobs on `workers` threads, each thread taking the next job when it finishes one. Runs are
 * independent and seeded, so the results are identical to a serial run whatever the schedule;
 * they are returned in the order of `jobs`. Once the stop flag is raised, running jobs stop at their next
 * step boundary and no new job starts.
 */
export async function runInWorkers(
  exp: ResolvedExperiment, jobs: readonly RunJob[], workers: number, pool: PoolOptions,
  hooks: { start?: (job: RunJob) => void; step?: (job: RunJob, step: number, loss: number) => void; end?: (job: RunJob, r: RunResult) => void } = {},
): Promise<RunResult[]> {
  // Keyed by the run's index in results order: a shard's jobs are a subset of them.
  const results = new Map<number, RunResult>();
  const byIndex = new Map(jobs.map((j) => [j.index, j]));
  const todo: RunJob[] = [];
  for (const job of jobs) {
    const done = pool.done?.(job) ?? null;
    if (done) results.set(job.index, done);
    else todo.push(job);
  }
  let next = 0;
  // A crashed thread stops the others at their next step (so they checkpoint instead of being
  // cut off), and its error is thrown once they have.
  const stop = pool.stop ?? new StopFlag();
  let crash: Error | null = null;
  const threads = Array.from({ length: Math.min(workers, todo.length) }, () => new Worker(WORKER_URL));
  try {
    await Promise.all(threads.map((w) => new Promise<void>((resolve) => {
      // Once this thread has no more work, its exit (terminate() below) is no crash.
      let idle = false;
      const fail = (e: Error): void => {
        if (idle) return;
        crash ??= e;
        stop.raise();
        idle = true;
        resolve();
      };
      const give = (): void => {
        if (next >= todo.length || stop.raised) {
          idle = true;
          resolve();
          return;
        }
        const job = todo[next++];
        hooks.start?.(job);
        w.postMessage({ experiment: exp, job, backend: pool.backend, threads: pool.threads, store: pool.store, stop: stop.shared } satisfies WorkerRequest);
      };
      w.on('message', (m: WorkerReply) => {
        const job = byIndex.get(m.index)!;
        if (m.step) hooks.step?.(job, m.step.step, m.step.loss);
        if (m.result) {
          results.set(m.index, m.result);
          hooks.end?.(job, m.result);
          give();
        }
      });
      w.on('error', fail);
      w.on('exit', (code) => (code === 0 ? resolve() : fail(new Error(`a run worker exited with code ${code}`))));
      give();
    })));
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
  if (crash) throw crash;
  return jobs.map((j) => results.get(j.index) ?? pool.notStarted(j));
}

/**
 * Threads per run when --threads is not given: the cores the run workers leave free, shared
 * among the runs that train at once (a single run on a 2-core machine gets both). Never more
 * threads in all than cores: helper threads spin briefly between products (gemmThreads.ts), so
 * oversubscribing would make every run wait on descheduled helpers.
 */
export function autoThreads(cores: number, workers: number, runsLeft: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, Math.min(workers, runsLeft))));
}
