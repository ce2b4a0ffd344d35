/**
 * `npm run bench:gpu`: the GPU benchmark. ms per training step at B=256, T=100, I=32, H=512 (LSTM
 * and GRU), each step with gradlab's diagnostics (the per-timestep norms ||dL/dh_t||, read back),
 * for:
 *   gradlab-webgpu       gradlab's WebGPU backend (Dawn through the npm package `webgpu`);
 *   gradlab-cpu          gradlab's CPU backend (wasm SIMD), its products on --cpu-threads threads;
 *   torch-cuda           torch's stock nn.LSTM / nn.GRU on the GPU (cuDNN), which has no probe;
 *   torch-cuda-unrolled  nn.LSTMCell / nn.GRUCell looped in Python with retain_grad on every h_t
 *                        and the same norms after backward: what a torch user writes for the probe.
 * torch runs where `--python` imports a torch that sees a GPU (bench/torchPeer.py --device cuda);
 * elsewhere the table says why it has no number. Also timed: σ_max(W_hh) by the diagnostics'
 * power iteration (what a logged step adds per layer), on each gradlab backend.
 *
 * Each variant runs its warm-up and timed steps as one block (the GPU is not shared, and the CPU
 * variant's threads would disturb the others if interleaved). A step is timed to its end: gradlab
 * awaits the probe's read-back, which waits for every kernel queued before it; torch synchronizes.
 * As a check that the WebGPU and CPU backends compute the same step, the first step's probe
 * norms of the two (same seed, same initial weights) are compared: the largest relative
 * difference goes in the report.
 *
 * The self-contained folder for a GPU machine with no npm and no network is made by
 * `npm run bench:gpu:pack` (bench/gpuPack.ts); its run.sh runs this file's bundle.
 *
 * Usage: npm run bench:gpu -- [--shape 256,100,32,512] [--cells lstm,gru] [--impls <list>]
 *   [--warmup 3] [--steps 10] [--budget-s 60] [--cpu-threads N] [--python python3] [--out reports/gpu-bench]
 * Writes <out>/gpu-bench.json and <out>/gpu-bench.md. Exit 0 when at least one variant was measured,
 * 1 when none was, 2 on bad options.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { Backend } from '../src/backends/backend.ts';
import { cpu } from '../src/backends/cpu/index.ts';
import { gradlabAsyncStep, type AsyncStep } from './gpuStep.ts';
import { PeerProcess, type Reply } from './peerProcess.ts';
import { BENCH_CELLS, flopsPerStep, gflops, median, type BenchCell, type BenchShape } from './report.ts';
import {
  GPU_IMPLS, formatGpuTable, maxRelativeDifference, type GpuBenchReport, type GpuImpl, type GpuRow,
} from './gpuReport.ts';

const PREFIX = 'gradlab bench:gpu';

interface Options {
  shape: BenchShape;
  cells: BenchCell[];
  impls: GpuImpl[];
  warmup: number;
  steps: number;
  budgetMs: number;
  cpuThreads: number;
  python: string;
  peerDir: string;
  out: string;
}

function positive(name: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be an integer >= 1, got "${v}"`);
    return Number(v);
  };
}

function listOf<T extends string>(name: string, allowed: readonly T[]): (v: string) => T[] {
  return (v) => v.split(',').map((x) => {
    const found = allowed.find((a) => a === x.trim());
    if (!found) throw new InvalidArgumentError(`${name}: unknown "${x}" (one of ${allowed.join(', ')})`);
    return found;
  });
}

function parseShape(v: string): BenchShape {
  const parts = v.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 4 || parts.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new InvalidArgumentError(`--shape must be four integers >= 1, B,T,I,H, got "${v}"`);
  }
  const [B, T, I, H] = parts;
  return { name: `${B}x${T}x${I}x${H}`, B, T, I, H };
}

function parseOptions(argv: string[]): Options {
  const here = dirname(fileURLToPath(import.meta.url));
  const program = new Command('npm run bench:gpu --')
    .description('ms per training step with the probe: gradlab WebGPU and CPU, torch CUDA (module and unrolled)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${PREFIX}: ${text.replace(/^error: /, '').trim()}\n`) })
    .option('--shape <B,T,I,H>', 'batch, sequence length, input size, hidden size', parseShape, parseShape('256,100,32,512'))
    .option('--cells <list>', `cells to bench (${BENCH_CELLS.join(', ')})`, listOf('--cells', BENCH_CELLS), ['lstm', 'gru'] as BenchCell[])
    .option('--impls <list>', `implementations (${GPU_IMPLS.join(', ')})`, listOf('--impls', GPU_IMPLS), [...GPU_IMPLS])
    .option('--warmup <n>', 'untimed steps first (pipelines compiled, buffers pooled)', positive('--warmup'), 3)
    .option('--steps <n>', 'timed steps per variant', positive('--steps'), 10)
    .option('--budget-s <s>', 'a variant that has spent this long stops once it has 2 timed steps', positive('--budget-s'), 60)
    .option('--cpu-threads <n>', 'threads of gradlab-cpu\'s products (default: the cores, at most 64)', positive('--cpu-threads'), Math.min(64, availableParallelism()))
    .option('--python <cmd>', 'the Python that runs torch', process.env.GRADLAB_BENCH_PYTHON ?? 'python3')
    .option('--peer-dir <dir>', 'the folder of torchPeer.py and peerProtocol.py', here)
    .option('--out <dir>', 'where gpu-bench.json and gpu-bench.md go', 'reports/gpu-bench')
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const o = program.opts<Omit<Options, 'budgetMs'> & { budgetS: number }>();
  if (o.cpuThreads > 64) throw new InvalidArgumentError(`--cpu-threads must be at most 64, got ${o.cpuThreads}`);
  return { ...o, budgetMs: o.budgetS * 1000, out: resolve(o.out), peerDir: resolve(o.peerDir) };
}

/** A variant's steps: warm-up, then timed steps until `steps` or the budget (with at least 2). */
async function timeSteps(run: () => Promise<unknown>, o: Options): Promise<{ ms: number[]; first: unknown }> {
  const started = performance.now();
  let first: unknown = undefined;
  for (let i = 0; i < o.warmup; i++) {
    const r = await run();
    if (i === 0) first = r;
  }
  const ms: number[] = [];
  while (ms.length < o.steps && !(ms.length >= 2 && performance.now() - started > o.budgetMs)) {
    const t0 = performance.now();
    const r = await run();
    ms.push(performance.now() - t0);
    if (first === undefined) first = r;
  }
  return { ms, first };
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function gradlabBackend(impl: 'gradlab-webgpu' | 'gradlab-cpu', o: Options): Promise<{ backend: Backend; about: string }> {
  if (impl === 'gradlab-cpu') {
    cpu.wasm?.setThreads(o.cpuThreads);
    return { backend: cpu, about: `${cpu.kernels}, ${cpu.wasm ? o.cpuThreads : 1} thread(s)` };
  }
  // Imported here: a run without this variant never loads Dawn.
  const { webgpuBackend } = await import('../src/backends/webgpu/index.ts');
  const backend = await webgpuBackend();
  return { backend, about: backend.description };
}

async function benchGradlab(impl: 'gradlab-webgpu' | 'gradlab-cpu', cells: BenchCell[], o: Options, report: GpuBenchReport): Promise<void> {
  let got: { backend: Backend; about: string };
  try {
    got = await gradlabBackend(impl, o);
  } catch (e) {
    for (const cell of cells) report.rows.push({ cell, impl, error: message(e) });
    return;
  }
  report.about[impl] = got.about;
  for (const cell of cells) {
    process.stdout.write(`${impl} ${cell} ... `);
    let step: AsyncStep;
    try {
      step = gradlabAsyncStep(o.shape, cell, got.backend);
      const { ms, first } = await timeSteps(() => step.step(), o);
      const sigma = await timeSteps(() => step.sigmaMax(), { ...o, warmup: 1, steps: 3 });
      const row: GpuRow = { cell, impl, ms, medianMs: median(ms), gflops: gflops(flopsPerStep(o.shape, cell), median(ms)), sigmaMaxMs: median(sigma.ms), firstStepNorms: first as number[] };
      report.rows.push(row);
      process.stdout.write(`${row.medianMs.toFixed(1)} ms per step\n`);
    } catch (e) {
      report.rows.push({ cell, impl, error: message(e) });
      process.stdout.write(`failed: ${message(e)}\n`);
    }
  }
}

async function benchTorch(impls: GpuImpl[], cells: BenchCell[], o: Options, report: GpuBenchReport): Promise<void> {
  const peer = new PeerProcess('torch-cuda', o.peerDir, o.python, [join(o.peerDir, 'torchPeer.py'), '--threads', '1', '--device', 'cuda']);
  try {
    const hello = await Promise.race([peer.hello, new Promise<Reply>((res) => setTimeout(() => res({ ok: false, error: 'torch did not answer in 120 s' }), 120_000).unref())]);
    if (!hello.ok) {
      for (const cell of cells) for (const impl of impls) report.rows.push({ cell, impl, error: hello.error ?? 'torch did not start' });
      return;
    }
    report.about['torch-cuda'] = `torch ${String(hello.version)}, ${String(hello.gpu)}, CUDA ${String(hello.cuda)}, cuDNN ${String(hello.cudnn)}`;
    for (const cell of cells) {
      const s = o.shape;
      const setup = await peer.request({ cmd: 'setup', B: s.B, T: s.T, I: s.I, H: s.H, cell });
      for (const impl of impls) {
        process.stdout.write(`${impl} ${cell} ... `);
        if (!setup.ok) {
          report.rows.push({ cell, impl, error: setup.error ?? 'setup failed' });
          process.stdout.write(`failed: ${setup.error}\n`);
          continue;
        }
        try {
          // One request per step: the budget is checked between steps, as for gradlab.
          const { ms } = await timeSteps(async () => {
            const r = await peer.request({ cmd: 'steps', n: 1, impl: impl === 'torch-cuda' ? 'module' : 'unrolled' });
            if (!r.ok || !r.ms) throw new Error(r.error ?? 'no timing');
            return r.ms[0];
          }, o);
          // The peer's own timings (its perf_counter around the step, synchronized) leave out the pipe.
          report.rows.push({ cell, impl, ms, medianMs: median(ms), gflops: gflops(flopsPerStep(s, cell), median(ms)) });
          process.stdout.write(`${median(ms).toFixed(1)} ms per step\n`);
        } catch (e) {
          report.rows.push({ cell, impl, error: message(e) });
          process.stdout.write(`failed: ${message(e)}\n`);
        }
      }
    }
  } finally {
    peer.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parseOptions(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof InvalidArgumentError) {
      process.stderr.write(`${PREFIX}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const report: GpuBenchReport = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
    loadBefore: loadavg()[0],
    loadAfter: null,
    shape: o.shape,
    warmup: o.warmup,
    steps: o.steps,
    about: {},
    rows: [],
    webgpuVsCpu: [],
  };
  console.log(`gpu bench: B=${o.shape.B} T=${o.shape.T} I=${o.shape.I} H=${o.shape.H}, cells ${o.cells.join(', ')}, ${o.warmup} warm-up + ${o.steps} timed steps`);
  for (const impl of ['gradlab-webgpu', 'gradlab-cpu'] as const) if (o.impls.includes(impl)) await benchGradlab(impl, o.cells, o, report);
  const torchImpls = o.impls.filter((i) => i === 'torch-cuda' || i === 'torch-cuda-unrolled');
  if (torchImpls.length > 0) await benchTorch(torchImpls, o.cells, o, report);
  report.loadAfter = loadavg()[0];
  for (const cell of o.cells) {
    const norms = (impl: GpuImpl): number[] | undefined => {
      const r = report.rows.find((x) => x.cell === cell && x.impl === impl);
      return r && 'firstStepNorms' in r ? r.firstStepNorms : undefined;
    };
    const a = norms('gradlab-webgpu');
    const b = norms('gradlab-cpu');
    if (a && b) report.webgpuVsCpu.push({ cell, maxRelDiff: maxRelativeDifference(a, b) });
  }
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'gpu-bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  const table = formatGpuTable(report);
  writeFileSync(join(o.out, 'gpu-bench.md'), `${table}\n`);
  console.log(`\n${table}\n\nwrote ${join(o.out, 'gpu-bench.json')} and gpu-bench.md`);
  return report.rows.some((r) => 'medianMs' in r) ? 0 : 1;
}

// Dawn's device keeps the event loop alive: leave explicitly once the report is written.
process.exit(await main(process.argv.slice(2)));
