import { Worker } from 'node:worker_threads';
import type { ResolvedExperiment } from './config.ts';
import type { RunResult } from './results.ts';

/** One (variant, seed) run for a worker thread. */
export interface RunJob {
  index: number;
  variant: number;
  seed: number;
}

export interface WorkerRequest {
  experiment: ResolvedExperiment;
  job: RunJob;
}

export interface WorkerReply {
  index: number;
  result?: RunResult;
  step?: { step: number; loss: number };
}

const WORKER_URL = new URL('./runWorkerBoot.mjs', import.meta.url);

/**
 * Run jobs on `workers` threads, each thread taking the next job when it finishes one. Runs are
 * independent and seeded, so the results are identical to a serial run whatever the schedule;
 * they are returned in job order.
 */
export async function runInWorkers(
  exp: ResolvedExperiment, jobs: readonly RunJob[], workers: number,
  hooks: { start?: (job: RunJob) => void; step?: (job: RunJob, step: number, loss: number) => void; end?: (job: RunJob, r: RunResult) => void } = {},
): Promise<RunResult[]> {
  const results = new Array<RunResult>(jobs.length);
  let next = 0;
  const threads = Array.from({ length: Math.min(workers, jobs.length) }, () =>
    new Worker(WORKER_URL),
  );
  try {
    await Promise.all(threads.map((w) => new Promise<void>((resolve, reject) => {
      const give = (): void => {
        if (next >= jobs.length) {
          resolve();
          return;
        }
        const job = jobs[next++];
        hooks.start?.(job);
        w.postMessage({ experiment: exp, job } satisfies WorkerRequest);
      };
      w.on('message', (m: WorkerReply) => {
        const job = jobs[m.index];
        if (m.step) hooks.step?.(job, m.step.step, m.step.loss);
        if (m.result) {
          results[m.index] = m.result;
          hooks.end?.(job, m.result);
          give();
        }
      });
      w.on('error', reject);
      w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`a run worker exited with code ${code}`))));
      give();
    })));
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
  return results;
}
