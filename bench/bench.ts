/**
 * The benchmark of issues 6 and 15: ms per training step for gradlab, PyTorch and TensorFlow.js,
 * measured side by side in one run, against the OpenBLAS single-thread floor of the step's GEMMs,
 * plus the `gradlab experiment --workers 2` vs `--workers 1` throughput.
 *
 * One training step = forward over T, BPTT, Adam update; single layer, linear head on h_T, MSE;
 * cells lstm, gru, rnn_tanh (and rnn_relu with --cells). gradlab also computes the probe, the
 * per-timestep norms ||dL/dh_t||, every step (hiddenGradNormsOnDevice). The peers:
 * - torch module (torch-1t, torch-2t): stock nn.LSTM / nn.GRU / nn.RNN, which cannot give the probe;
 * - torch unrolled (torch-unrolled-1t/2t): nn.*Cell looped in Python with retain_grad on every
 *   h_t and the same per-timestep norms after backward: what a torch user writes to get the probe;
 * - tfjs-wasm / tfjs-cpu: a hand-written loop and the layers API (no probe).
 * The BLAS floor (bench/blasFloor.py) times only the step's GEMMs, numpy float32 on one OpenBLAS
 * thread: no implementation beats it without a faster GEMM. gradlab runs twice: on one thread
 * (`gradlab`, the column the ratios use) and with its products split over 2 threads
 * (`gradlab-2t`, `--threads 2`; --no-threads leaves it out).
 *
 * Every one of these runs in its own process (bench/torchPeer.py, bench/tfjsPeer.ts,
 * bench/blasFloor.py), driven step block by step block over stdin/stdout, so each (shape, cell)
 * alternates gradlab, every peer variant and the floor round by round (the order rotates each
 * round): a neighbour process loading the cores slows all of them alike. While one runs, the
 * others wait on a pipe read (no CPU). Medians of the timed steps after warm-up.
 *
 * Usage: npm run bench [-- --quick] [--shapes small,wide,long] [--cells lstm,gru,rnn_tanh,rnn_relu]
 *   [--peers torch,tfjs-wasm,tfjs-cpu] [--no-floor] [--warmup N] [--rounds N] [--per-round N]
 *   [--round-budget-ms MS] [--variant-budget-ms MS] [--no-workers] [--no-threads] [--workers-steps N] [--out reports/bench.json]
 * Defaults: all shapes, cells lstm,gru,rnn_tanh, all peers, the floor.
 * --quick: the small shape only, fewer steps, no tfjs-cpu, a shorter workers check (about 45 s).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpu, cpuWasmStatus as wasmStatus } from '../src/backends/cpu/index.ts';
import { setDefaultBackend } from '../src/tensor/defaultBackend.ts';
import { gradlabStep } from './gradlabStep.ts';
import { PeerProcess, type Reply } from './peerProcess.ts';
import {
  BENCH_CELLS, CELLS, FLOOR_LABEL, FLOP_FORMULA, GRADLAB_2T, SHAPES, flopsPerStep, formatTable, gates, gflops, median, summarizeRow,
  type BenchCell, type BenchReport, type BenchRow, type BenchShape, type Timing, type WorkersResult,
} from './report.ts';

// gradlab's step runs on the default backend: the CPU's.
setDefaultBackend(cpu);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const has = (name: string): boolean => args.includes(`--${name}`);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const quick = has('quick');
const noThreads = has('no-threads');
const shapes = arg('shapes', quick ? 'small' : SHAPES.map((s) => s.name).join(',')).split(',').map((n) => {
  const s = SHAPES.find((x) => x.name === n);
  if (!s) throw new Error(`unknown shape ${n} (${SHAPES.map((x) => x.name).join(', ')})`);
  return s;
});
const cells = arg('cells', CELLS.join(',')).split(',').map((c) => {
  const cell = BENCH_CELLS.find((x) => x === c);
  if (!cell) throw new Error(`unknown cell ${c} (${BENCH_CELLS.join(', ')})`);
  return cell;
});
// tfjs's cpu backend takes seconds per step (never the best peer): full runs only, unless asked.
const peerGroups = arg('peers', quick ? 'torch,tfjs-wasm' : 'torch,tfjs-wasm,tfjs-cpu').split(',').filter(Boolean);
const warmup = Number(arg('warmup', quick ? '2' : '5'));
const rounds = Number(arg('rounds', quick ? '3' : '5'));
const perRound = Number(arg('per-round', quick ? '2' : '3'));
/** A variant slower than this per round runs fewer steps per round (at least 1): tfjs's cpu
 * backend takes seconds per step on the wide shape. */
const roundBudgetMs = Number(arg('round-budget-ms', quick ? '1500' : '3000'));
/** A variant that has spent this long on one (shape, cell), warm-up included, stops once it has
 * 2 timed steps (tfjs's cpu backend on the wide lstm). */
const variantBudgetMs = Number(arg('variant-budget-ms', quick ? '5000' : '30000'));
const outPath = resolve(ROOT, arg('out', 'reports/bench.json'));
/** The issue's peer is Debian's torch under /usr/bin/python3; GRADLAB_BENCH_PYTHON overrides it. */
const PYTHON = process.env.GRADLAB_BENCH_PYTHON ?? '/usr/bin/python3';

// ---------------------------------------------------------------------------------------------
// Runners: gradlab in this process, the peers in child processes.

interface Runner {
  label: string;
  /** Resolves to the setup reply of a peer process (what it says about the shape), null for gradlab. */
  setup(shape: BenchShape, cell: BenchCell): Promise<Reply | null>;
  steps(n: number): Promise<number[]>;
}

/** gradlab's step in this process, its products on `threads` threads (--threads; one run). */
function gradlabRunner(threads: number): Runner {
  let step: (() => void) | null = null;
  return {
    label: threads === 1 ? 'gradlab' : GRADLAB_2T,
    async setup(s, cell) {
      step = gradlabStep(s, cell);
      return null;
    },
    async steps(n) {
      // The variants alternate in one process: each sets its thread count for its own steps.
      cpu.wasm?.setThreads(threads);
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        step!();
        ms.push(performance.now() - t0);
      }
      cpu.wasm?.setThreads(1);
      return ms;
    },
  };
}

/** Runners of one peer process; a process shared by several runners is set up once per shape. */
function peerRunners(proc: PeerProcess, impls: { label: string; impl?: string }[]): Runner[] {
  let setupFor: string | null = null;
  let setupReply: Promise<Reply> | null = null;
  return impls.map(({ label, impl }) => ({
    label,
    async setup(s, cell) {
      const key = `${s.name}/${cell}`;
      if (setupFor !== key) {
        setupFor = key;
        // G is for the BLAS floor, which knows no cells; the peers ignore it.
        setupReply = proc.request({ cmd: 'setup', B: s.B, T: s.T, I: s.I, H: s.H, cell, G: gates(cell) });
      }
      const r = await setupReply!;
      if (!r.ok) throw new Error(r.error ?? 'setup failed');
      return r;
    },
    async steps(n) {
      const r = await proc.request({ cmd: 'steps', n, ...(impl ? { impl } : {}) });
      if (!r.ok || !r.ms) throw new Error(r.error ?? 'no timings');
      return r.ms;
    },
  }));
}

// ---------------------------------------------------------------------------------------------

async function startPeers(report: BenchReport): Promise<{ runners: Runner[]; procs: PeerProcess[] }> {
  const runners: Runner[] = [];
  const procs: PeerProcess[] = [];
  const tsx = ['--import', 'tsx', join(ROOT, 'bench/tfjsPeer.ts')];
  const wanted: { group: string; make: () => PeerProcess; impls: { label: string; impl?: string }[] }[] = [];
  if (peerGroups.includes('torch')) {
    const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      const why = `${PYTHON} -c 'import torch' failed: ${(probe.error?.message ?? probe.stderr ?? '').trim().split('\n').pop()}`;
      report.peers['torch'] = { available: false, error: why };
    } else {
      for (const t of [1, 2]) {
        // torch.set_num_threads does not reach a BLAS torch was not built against (Debian's
        // links the system libblas.so.3, OpenBLAS with its own thread pool): the env caps it.
        const env = { OPENBLAS_NUM_THREADS: String(t), OMP_NUM_THREADS: String(t) };
        wanted.push({
          group: `torch-${t}t`,
          make: () => new PeerProcess(`torch-${t}t`, ROOT, PYTHON, [join(ROOT, 'bench/torchPeer.py'), '--threads', String(t)], env),
          impls: [{ label: `torch-${t}t`, impl: 'module' }, { label: `torch-unrolled-${t}t`, impl: 'unrolled' }],
        });
      }
    }
  }
  for (const backend of ['wasm', 'cpu']) {
    if (!peerGroups.includes(`tfjs-${backend}`)) continue;
    wanted.push({
      group: `tfjs-${backend}`,
      make: () => new PeerProcess(`tfjs-${backend}`, ROOT, process.execPath, [...tsx, '--backend', backend]),
      impls: [{ label: `tfjs-${backend}-loop`, impl: 'loop' }, { label: `tfjs-${backend}-layers`, impl: 'layers' }],
    });
  }
  if (!has('no-floor')) {
    // The script also sets these before importing numpy; here too, in case a BLAS reads them earlier.
    const env = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    wanted.push({
      group: FLOOR_LABEL,
      make: () => new PeerProcess(FLOOR_LABEL, ROOT, PYTHON, [join(ROOT, 'bench/blasFloor.py')], env),
      impls: [{ label: FLOOR_LABEL }],
    });
  }
  const started = wanted.map((w) => ({ ...w, proc: w.make() }));
  for (const w of started) {
    const hello = await Promise.race([
      w.proc.hello,
      new Promise<Reply>((res) => setTimeout(() => res({ ok: false, error: 'no answer in 60 s' }), 60_000).unref()),
    ]);
    const { ok, error, ...info } = hello;
    report.peers[w.group] = ok ? { available: true, info } : { available: false, error: error ?? 'failed to start' };
    if (ok) {
      procs.push(w.proc);
      runners.push(...peerRunners(w.proc, w.impls));
    } else {
      w.proc.close();
      process.stderr.write(`peer ${w.group} unavailable: ${error}\n`);
    }
  }
  return { runners, procs };
}

async function measure(shape: BenchShape, cell: BenchCell, runners: Runner[]): Promise<BenchRow> {
  const live: Runner[] = [];
  const timings: Record<string, Timing> = {};
  const setupReplies = new Map<string, Reply | null>();
  const times = new Map<string, number[]>();
  const last = new Map<string, number>();
  const spent = new Map<string, number>();
  const spend = (r: Runner, ms: number[]): number[] => {
    spent.set(r.label, (spent.get(r.label) ?? 0) + ms.reduce((a, b) => a + b, 0));
    return ms;
  };
  const safe = async (r: Runner, f: () => Promise<void>): Promise<void> => {
    try {
      await f();
    } catch (e) {
      timings[r.label] = { error: (e as Error).message };
      const i = live.indexOf(r);
      if (i >= 0) live.splice(i, 1);
    }
  };
  for (const r of runners) {
    await safe(r, async () => {
      setupReplies.set(r.label, await r.setup(shape, cell));
      live.push(r);
    });
  }
  const stepsFor = (r: Runner, want: number): number => {
    const ms = last.get(r.label);
    return ms === undefined ? want : Math.max(1, Math.min(want, Math.floor(roundBudgetMs / ms)));
  };
  // Warm-up: the first step alone, then the rest within the round budget.
  for (const r of [...live]) {
    await safe(r, async () => {
      const first = spend(r, await r.steps(1));
      last.set(r.label, first[0]);
      if (warmup > 1) {
        const more = spend(r, await r.steps(stepsFor(r, warmup - 1)));
        last.set(r.label, median(more));
      }
    });
  }
  for (let round = 0; round < rounds; round++) {
    const order = live.map((_, i) => live[(i + round) % live.length]);
    for (const r of order) {
      if ((spent.get(r.label) ?? 0) > variantBudgetMs && (times.get(r.label)?.length ?? 0) >= 2) continue;
      await safe(r, async () => {
        const ms = spend(r, await r.steps(stepsFor(r, perRound)));
        last.set(r.label, median(ms));
        times.set(r.label, [...(times.get(r.label) ?? []), ...ms]);
      });
    }
  }
  for (const r of runners) {
    const ms = times.get(r.label);
    if (ms && !timings[r.label]) timings[r.label] = { medianMs: median(ms), n: ms.length, ms: ms.map((x) => Math.round(x * 100) / 100) };
    else if (!timings[r.label]) timings[r.label] = { error: 'no timed steps' };
  }
  const flops = flopsPerStep(shape, cell);
  const { gradlab, [FLOOR_LABEL]: floor, [GRADLAB_2T]: gradlab2t, ...variants } = timings;
  const overheadMs = setupReplies.get(FLOOR_LABEL)?.overheadMs;
  return summarizeRow({
    shape: shape.name, B: shape.B, T: shape.T, I: shape.I, H: shape.H, cell, flops,
    gradlab, gradlabGflops: 'medianMs' in gradlab ? gflops(flops, gradlab.medianMs) : null,
    ...(gradlab2t ? { gradlab2t } : {}),
    variants,
    ...(floor ? { blasFloor: typeof overheadMs === 'number' ? { ...floor, overheadMs } : floor } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// --workers 2 vs --workers 1: wall time of the same experiment, alternated.

function runExperiment(workers: number, steps: number): Promise<{ ms: number; error?: string }> {
  // A scratch folder of the bench's own: --force, so a bench killed midway does not block the next.
  const out = join('reports', 'bench-workers', `w${workers}`);
  const cliArgs = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'experiment', 'accumulation', '--steps', String(steps), '--workers', String(workers), '--out', out, '--force'];
  return new Promise((res) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, cliArgs, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    child.on('exit', (code) => res({ ms: performance.now() - t0, ...(code !== 0 ? { error: `exit ${code}: ${err.trim().split('\n').pop()}` } : {}) }));
  });
}

/** The runs of a results.json without their timings, for comparing two runs. */
function runsWithoutTimes(workers: number): string {
  const r = JSON.parse(readFileSync(join(ROOT, 'reports', 'bench-workers', `w${workers}`, 'results.json'), 'utf8')) as { runs: Record<string, unknown>[] };
  return JSON.stringify(r.runs.map(({ durationMs: _d, ...rest }) => rest));
}

async function measureWorkers(): Promise<WorkersResult> {
  // 1000 steps: with the wasm kernels a step is ~5x faster than when this check was written at
  // 200, and at 200 the 6 runs took ~9 s, of which process and worker start-up (tsx, module
  // loading, wasm compile: ~1-2 s per thread) was a large part; the check is about training
  // throughput, so it keeps about the same training work as before.
  const steps = Number(arg('workers-steps', quick ? '30' : '1000'));
  const command = `gradlab experiment accumulation --steps ${steps} --workers 1|2`;
  const order = quick ? [1, 2] : [1, 2, 2, 1];
  const w1Ms: number[] = [];
  const w2Ms: number[] = [];
  for (const w of order) {
    process.stderr.write(`workers: ${command.replace('1|2', String(w))} ...\n`);
    const r = await runExperiment(w, steps);
    if (r.error) return { command, w1Ms, w2Ms, speedup: null, identical: null, error: r.error };
    (w === 1 ? w1Ms : w2Ms).push(r.ms);
  }
  let identical: boolean | null = null;
  try {
    identical = runsWithoutTimes(1) === runsWithoutTimes(2);
  } catch {
    identical = null;
  }
  return { command, w1Ms, w2Ms, speedup: median(w1Ms) / median(w2Ms), identical };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const report: BenchReport = {
    schema: 'gradlab-bench/2',
    startedAt: new Date().toISOString(),
    command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
    machine: {
      cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version,
      platform: `${process.platform}-${process.arch}`, loadAvgBefore: loadavg(), loadAvgAfter: [],
    },
    settings: { quick, warmup, rounds, perRound, roundBudgetMs, variantBudgetMs },
    gradlabKernels: wasmStatus,
    flopFormula: FLOP_FORMULA,
    peers: {},
    rows: [],
    workers: null,
  };
  process.stderr.write(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  process.stderr.write(`gradlab float32 kernels: ${wasmStatus}\n`);
  const { runners, procs } = await startPeers(report);
  const all = [gradlabRunner(1), ...(cpu.wasm && !noThreads ? [gradlabRunner(2)] : []), ...runners];
  try {
    for (const shape of shapes) {
      for (const cell of cells) {
        const t0 = performance.now();
        const row = await measure(shape, cell, all);
        report.rows.push(row);
        const cols = [['gradlab', row.gradlab] as const, ...Object.entries(row.variants), ...(row.blasFloor ? [[FLOOR_LABEL, row.blasFloor] as const] : [])]
          .map(([l, t]) => `${l} ${'medianMs' in t ? t.medianMs.toFixed(1) : 'n/a'}`);
        process.stderr.write(`${shape.name} ${cell}: ${cols.join(', ')} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
      }
    }
  } finally {
    for (const p of procs) p.close();
  }
  if (!has('no-workers')) report.workers = await measureWorkers();
  report.machine.loadAvgAfter = loadavg();

  const missing = Object.entries(report.peers).filter(([, p]) => !p.available).map(([g, p]) => `${g}: ${p.error}`);
  console.log(formatTable(report.rows));
  if (missing.length) console.log(`\nnot measured: ${missing.join('; ')}`);
  console.log(`\nms = median ms per training step (forward, BPTT, Adam). gradlab and torch unrolled also compute the`);
  console.log(`per-timestep norms ||dL/dh_t|| (the probe); torch module (stock nn.LSTM/GRU/RNN) and tfjs cannot.`);
  console.log(`peer columns show the fastest variant (torch: 1t/2t threads; tfjs: loop/layers); '—' = not run.`);
  console.log(`gradlab / best torch = gradlab ms / the fastest torch variant (module or unrolled, 1t or 2t); < 1 means gradlab is faster.`);
  console.log(`BLAS floor = the step's GEMMs alone, numpy float32 on 1 OpenBLAS thread (bench/blasFloor.py), with its GFLOP/s;`);
  console.log(`  it includes numpy's per-call overhead (2T+3 calls; blasFloor.overheadMs in the JSON).`);
  console.log(`GFLOP/s: ${FLOP_FORMULA}`);
  const w = report.workers;
  if (w) {
    console.log(w.error
      ? `\nworkers: ${w.command} failed: ${w.error}`
      : `\nworkers: ${w.command}: --workers 1 ${w.w1Ms.map((x) => (x / 1000).toFixed(1)).join('/')} s, --workers 2 ${w.w2Ms.map((x) => (x / 1000).toFixed(1)).join('/')} s, speed-up ${w.speedup!.toFixed(2)}x, results identical: ${w.identical}`);
  }
  console.log(`gradlab float32 kernels: ${wasmStatus}`);
  console.log(`load average before ${report.machine.loadAvgBefore.map((x) => x.toFixed(2)).join(' ')}, after ${report.machine.loadAvgAfter.map((x) => x.toFixed(2)).join(' ')} (${report.machine.cpus} CPUs)`);
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${outPath}`);
}

await main();
