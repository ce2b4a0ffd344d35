import { parentPort } from 'node:worker_threads';
import { cpuBackendNamed } from '../backends/cpu/index.ts';
import { setDefaultBackend } from '../tensor/defaultBackend.ts';
import { prepareTasks, runOne } from './runner.ts';
import { StopFlag } from './stopFlag.ts';
import type { WorkerReply, WorkerRequest } from './workerPool.ts';

// A worker thread of `gradlab experiment --workers N`: runs the (variant, seed) jobs it is sent.
const port = parentPort;
if (!port) throw new Error('runWorker.ts must run in a worker thread');
// Tasks (and their fixed test sets) are built once per experiment, not once per job.
let tasks: { key: string; get: ReturnType<typeof prepareTasks> } | null = null;
port.on('message', async ({ experiment, job, backend, threads, store, stop }: WorkerRequest) => {
  // This thread's default backend is the one its job runs on (a worker has its own modules).
  const onBackend = cpuBackendNamed(backend);
  setDefaultBackend(onBackend);
  if (onBackend.wasm && onBackend.wasm.threads !== threads) onBackend.wasm.setThreads(threads);
  const key = JSON.stringify(experiment);
  if (tasks?.key !== key) tasks = { key, get: prepareTasks(experiment) };
  const getTask = tasks.get;
  const v = experiment.variants[job.variant];
  const flag = stop ? new StopFlag(stop) : null;
  let last = 0;
  const result = await runOne(experiment, v, getTask(v.task), job.seed, onBackend, {
    index: job.index,
    store,
    shouldStop: flag ? () => flag.raised : undefined,
    onStep: (step, loss) => {
      // Progress at most ~10 times a second: messages are cheap, not free.
      const now = Date.now();
      if (now - last > 100) {
        last = now;
        port.postMessage({ index: job.index, step: { step, loss } } satisfies WorkerReply);
      }
    },
  });
  port.postMessage({ index: job.index, result } satisfies WorkerReply);
});
