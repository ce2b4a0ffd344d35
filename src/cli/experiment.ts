import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isCpuBackend } from '../backends/cpu/index.ts';
import type { Backend } from '../backends/backend.ts';
import { assembleResults } from '../experiment/assemble.ts';
import { experimentBaselines } from '../experiment/baselines.ts';
import type { ResolvedExperiment } from '../experiment/config.ts';
import {
  checkOutputFolder, configHash, MANIFEST_SCHEMA, plannedRuns, startOutputFolder, unfinishedRuns, writeManifest,
  type Manifest,
} from '../experiment/outputFolder.ts';
import { activeFailpoints, failpointFinalWrite } from '../experiment/failpoint.ts';
import { describeEstimate } from '../experiment/limits.ts';
import { applySets, selectDefinitionVariants } from '../experiment/overrides.ts';
import { loadExperiment } from '../experiment/registry.ts';
import type { Results } from '../experiment/results.ts';
import { runExperimentInWorkers, type RunStore } from '../experiment/runner.ts';
import type { SaveWeights } from '../experiment/runWeights.ts';
import { StopFlag } from '../experiment/stopFlag.ts';
import { validateExperiment, type ValidatedExperiment } from '../experiment/validate.ts';
import type { RunOverrides } from '../experiment/resolve.ts';
import { isSuite, runSuite } from './suite.ts';
import { BACKEND_HELP, backendFromOption, checkBackendName } from './backendOption.ts';
import { manifestEnv, packageVersion } from './provenance.ts';
import type { CommandOutcome } from './program.ts';
import { createProgress } from './progress.ts';
import { writeResults } from './reportHook.ts';
import { parseShard } from './shardOption.ts';
import { shellQuote } from './shellQuote.ts';
import { shownPath } from './shownPath.ts';
import { UsageError } from './usageError.ts';
import { autoThreads } from '../experiment/workerPool.ts';
import { printable } from './terminalText.ts';

export interface ExperimentCliOptions {
  seeds?: string;
  steps?: string;
  backend: string;
  out?: string;
  quick?: boolean;
  dryRun?: boolean;
  force?: boolean;
  resume?: boolean;
  checkpointEvery?: string;
  shard?: string;
  shards?: string;
  set: string[];
  variant: string[];
  workers: string;
  threads?: string;
  saveWeights?: string | true;
}

/** commander calls it once per occurrence of a repeatable option. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const EXIT_HELP = `
Exit codes:
  0    every run finished: ok, or diverged (a loss or gradient turned NaN/Inf; that is a result)
  1    a run failed, or the experiment stopped before every run finished (e.g. a crashed worker)
  2    bad usage or bad input: one line on stderr, nothing run or written
  130  stopped by SIGINT (Ctrl-C), 143 by SIGTERM: every run was checkpointed and results.json
       written with the unfinished runs marked "interrupted"; --resume continues them
A second SIGINT/SIGTERM exits at once; files already written stay intact.`;

function parseSeeds(text: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  const bad = items.find((s) => !/^\d+$/.test(s) || !Number.isSafeInteger(Number(s)));
  if (bad !== undefined) {
    throw new UsageError(`--seeds must be a comma-separated list of integers in [0, 2^53) (e.g. 0,1,2), got ${bad === '' ? 'an empty item' : `"${bad}"`} in "${text}"`);
  }
  const seeds = items.map(Number);
  const dup = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (dup !== undefined) throw new UsageError(`--seeds lists ${dup} twice; give each seed once`);
  return seeds;
}

function positiveInteger(text: string, option: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${option} must be an integer >= 1, got "${text}"`);
  return n;
}

/** The float32 kernels a backend runs: part of what fixes a run's numbers. */
function kernelsOf(backend: Backend, device: string | null): string {
  return isCpuBackend(backend) ? backend.kernels : device ?? backend.name;
}

function parseSaveWeights(value: string | true | undefined): SaveWeights | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === 'final') return 'final';
  if (value === 'both') return 'both';
  throw new UsageError(`--save-weights takes final (the default) or both, got "${value}"`);
}

/** Checkpoint a few times per run by default: often enough that a kill loses little, rarely
 * enough that writing them costs nothing next to training. */
export function defaultCheckpointEvery(exp: ResolvedExperiment): number {
  const logged = Math.ceil(exp.steps / exp.logEvery) + 1;
  return Math.max(1, Math.ceil(logged / 4));
}

/** The command that continues this experiment: the same arguments with --resume (and the folder
 * spelled out), without --force. */
export function resumeCommand(argv: readonly string[], dir: string): string {
  const args = argv.filter((a) => a !== '--force' && a !== '--resume');
  if (!args.some((a) => a === '--out' || a.startsWith('--out='))) args.push('--out', shownPath(dir));
  return `gradlab ${[...args, '--resume'].map(shellQuote).join(' ')}`;
}

export function registerExperiment(program: Command, outcome: CommandOutcome): void {
  program
    .command('experiment <name>')
    .description('train every variant x seed of an experiment; write <out>/results.json and index.html, streaming each run to <out>/runs/. A suite\'s name (gradlab list: e.g. paper) runs each of its experiments into <out>/<experiment>/ and writes <out>/index.html, every claim with its verdict')
    .option('--seeds <list>', 'comma-separated seeds, overriding the experiment\'s')
    .option('--steps <n>', 'training steps per run, overriding the experiment\'s')
    .option('--backend <backend>', BACKEND_HELP, 'cpu')
    .option('--out <dir>', 'output folder, any path, created if missing (default reports/<name>)')
    .option('--quick', 'the small smoke-test size (seconds)')
    .option('--resume', 'continue the run in --out: skip finished runs, continue unfinished ones from their checkpoints')
    .option('--force', 'write into a folder holding other results (replacing gradlab\'s files there), and go past soft size limits')
    .option('--dry-run', 'validate everything and print the plan; train nothing, write nothing')
    .option('--checkpoint-every <n>', 'logged steps between checkpoints (default: about four per run)')
    .option('--shard <k/n|auto>', 'train only shard k of n: the runs whose index (results order) mod n is k; auto reads a Slurm array task\'s SLURM_ARRAY_TASK_ID/COUNT or a Kubernetes Indexed Job\'s JOB_COMPLETION_INDEX (with --shards); combine the shards with gradlab merge')
    .option('--shards <n>', 'the number of shards, for --shard auto in a Kubernetes Indexed Job')
    .option('--set <path=value>', 'override a field of the definition before validation (repeatable), e.g. defaults.optimizer.lr=3e-4, \'variants[1].hiddenSize=64\', \'variants[name=lstm T=100].clip.maxNorm=5\'; the value is JSON if it parses, else text', collect, [])
    .option('--variant <pattern>', 'train only the variants whose name matches: an exact name, or a glob with * and ? (repeatable)', collect, [])
    .option('--save-weights [which]', 'write each run\'s final weights (with "both": its initial weights too) as safetensors under <out>/weights/run-NNNN.final.safetensors, loadable as a torch state dict and by gradlab probe')
    .option('--workers <n>', 'runs trained side by side in worker threads; results are identical for any n (default: one per CPU core, or the cores left by --threads)', String(availableParallelism()))
    .option('--threads <n>', 'threads each run\'s float32 matrix products are split over (the cpu backend\'s wasm kernels); results are identical for any n; --workers x --threads may not exceed the cores (default: the cores the workers leave each run)')
    .addHelpText('after', EXIT_HELP)
    .action(async (nameOrPath: string, opts: ExperimentCliOptions, cmd: Command) => {
      const choice = await commonChoices(opts, cmd);
      if (isSuite(nameOrPath)) {
        outcome.exitCode = await runSuite(nameOrPath, opts, choice, outcome.argv);
        return;
      }
      const shard = parseShard(opts.shard, opts.shards, process.env);
      // --set edits the raw definition (the strict schema then checks it); --variant keeps the
      // variants whose resolved names match, before validation sizes and builds them.
      const definition = selectDefinitionVariants(applySets(await loadExperiment(nameOrPath), opts.set), opts.variant, choice.overrides);
      const { backend, device } = await backendFromOption(opts.backend);
      const dirFor = (name: string): string => resolve(opts.out ?? join('reports', name));
      const plan = planExperiment(definition, dirFor, choice, { backend, device, shard, argv: outcome.argv });
      if (opts.dryRun) {
        process.stdout.write(`${dryRunText(plan, choice.resume)}\n`);
        return;
      }
      startOutputFolder(plan.dir, plan.manifest, choice.resume);
      outcome.exitCode = await runAndWrite(plan.exp, plan.manifest, plan.dir, {
        backend, device, workers: choice.workers, threads: choice.threads, resume: choice.resume,
        resumeCommand: resumeCommand(outcome.argv, plan.dir),
        checkpointEveryLogged: choice.checkpointEvery ?? defaultCheckpointEvery(plan.exp), saveWeights: choice.saveWeights,
      });
    });
}

/** The settings every experiment of a command shares, checked before anything is loaded. */
export interface CommonChoice {
  workers: number;
  /** --threads, or null: the cores the workers leave each run (autoThreads, once the runs are known). */
  threads: number | null;
  saveWeights: SaveWeights | undefined;
  checkpointEvery: number | null;
  overrides: RunOverrides & { quick: boolean };
  resume: boolean;
  force: boolean;
}

async function commonChoices(opts: ExperimentCliOptions, cmd: Command): Promise<CommonChoice> {
  checkBackendName(opts.backend);
  let workers = positiveInteger(opts.workers, '--workers');
  const workersGiven = cmd.getOptionValueSource('workers') === 'cli';
  const threads = opts.threads === undefined ? null : positiveInteger(opts.threads, '--threads');
  const cores = availableParallelism();
  if (workers > cores) {
    // More threads than cores only makes the runs take turns (and hold memory meanwhile).
    process.stderr.write(`gradlab: --workers ${workers} is more than this machine's ${cores} cores; using ${cores}\n`);
    workers = cores;
  }
  if (threads !== null) {
    if (threads > cores) throw new UsageError(`--threads: ${threads} is more than this machine's ${cores} cores; use at most ${cores}`);
    if (workersGiven && workers * threads > cores) {
      throw new UsageError(`--threads: --workers ${workers} x --threads ${threads} = ${workers * threads} threads is more than this machine's ${cores} cores; lower one of them`);
    }
    if (!workersGiven) workers = Math.max(1, Math.floor(cores / threads));
  }
  if (opts.backend === 'webgpu') {
    // One device, driven from this thread: runs take turns on it.
    if (workers > 1 && workersGiven) {
      throw new UsageError('--workers: the webgpu backend runs every run on one device from one thread; drop --workers (or use --backend cpu)');
    }
    if (threads !== null && threads > 1) throw new UsageError('--threads: the webgpu backend runs its products on the device; drop --threads (or use --backend cpu)');
    workers = 1;
  }
  const saveWeights = parseSaveWeights(opts.saveWeights);
  activeFailpoints(); // a malformed GRADLAB_FAILPOINT is bad input, found before anything runs
  const checkpointEvery = opts.checkpointEvery === undefined ? null : positiveInteger(opts.checkpointEvery, '--checkpoint-every');
  const overrides = {
    quick: opts.quick ?? false,
    ...(opts.steps !== undefined ? { steps: positiveInteger(opts.steps, '--steps') } : {}),
    ...(opts.seeds !== undefined ? { seeds: parseSeeds(opts.seeds) } : {}),
  };
  return { workers, threads, saveWeights, checkpointEvery, overrides, resume: opts.resume ?? false, force: opts.force ?? false };
}

/** An experiment validated and its output folder checked: nothing trained or written yet. */
export interface ExperimentPlan {
  exp: ResolvedExperiment;
  manifest: Manifest;
  dir: string;
  estimate: ValidatedExperiment['estimate'];
}

/**
 * Validate a definition (sizes, tasks, claims) and check its output folder, `dirFor(name)`.
 * Throws a one-line error on the first problem.
 */
export function planExperiment(
  definition: unknown, dirFor: (name: string) => string, choice: CommonChoice,
  run: { backend: Backend; device: string | null; shard: Manifest['shard']; argv: readonly string[] },
): ExperimentPlan {
  const { exp, getTask, estimate } = validateExperiment(definition, { workers: choice.workers, ...choice.overrides, force: choice.force });
  const dir = dirFor(exp.name);
  let baselines: Manifest['baselines'] | undefined;
  const planned: Manifest = {
    schema: MANIFEST_SCHEMA,
    experiment: exp.name,
    gradlab: packageVersion(),
    numerics: { backend: run.backend.name, kernels: kernelsOf(run.backend, run.device) },
    configHash: configHash(exp),
    config: exp,
    // Measured when the manifest is first written, not when planned: a task's baseline can be
    // measured on its test set, which a large legal T x testSize takes seconds to draw, and
    // --dry-run (or a refused output folder) must not wait for it.
    get baselines() {
      baselines ??= experimentBaselines(exp, getTask);
      return baselines;
    },
    runs: plannedRuns(exp, run.shard),
    shard: run.shard,
    startedAt: new Date().toISOString(),
    command: `gradlab ${run.argv.filter((a) => a !== '--force').map(shellQuote).join(' ')}`,
    priorDurationMs: 0,
  };
  const manifest = checkOutputFolder(dir, planned, { resume: choice.resume, force: choice.force });
  return { exp, manifest, dir, estimate };
}

/** What --dry-run prints for one experiment. */
export function dryRunText(plan: ExperimentPlan, resume: boolean): string {
  const { exp, manifest, dir } = plan;
  const shard = manifest.shard;
  const left = resume ? unfinishedRuns(dir, manifest).length : manifest.runs.length;
  const of = shard ? ` (shard ${shard.index}/${shard.count} of ${exp.variants.length * exp.seeds.length} runs)` : '';
  return `${exp.name}: ${exp.variants.length} variant(s) x ${exp.seeds.length} seed(s), ${exp.steps} steps each; ${left} run(s) to train${of}; would write ${dir}\n${describeEstimate(plan.estimate).join('\n')}`;
}

export interface RunChoice {
  backend: Backend;
  device: string | null;
  workers: number;
  /** Threads per run, or null for autoThreads. */
  threads: number | null;
  resume: boolean;
  checkpointEveryLogged: number;
  saveWeights: SaveWeights | undefined;
  /** The command that continues this run after an interruption. */
  resumeCommand: string;
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Train, then assemble results.json and the report from the run files — also when a signal or
 * a crash stops the experiment early, so nothing finished is lost. Returns the exit code.
 */
export async function runAndWrite(exp: ResolvedExperiment, manifest: Manifest, dir: string, choice: RunChoice): Promise<number> {
  const attemptStarted = Date.now();
  const stop = new StopFlag();
  let signal: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signal) {
      process.stderr.write(`gradlab: ${sig} again: exiting now; the files written so far are intact\n`);
      process.exit(SIGNAL_EXIT[sig] ?? 1);
    }
    signal = sig;
    stop.raise();
    process.stderr.write(`gradlab: ${sig}: stopping every run at its next step and saving a checkpoint (${sig} again exits at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const store: RunStore = { dir, checkpointEveryLogged: choice.checkpointEveryLogged, resume: choice.resume, saveWeights: choice.saveWeights };
  const left = choice.resume ? unfinishedRuns(dir, manifest).length : manifest.runs.length;
  if (choice.resume) {
    process.stderr.write(`resuming ${shownPath(dir)}: ${manifest.runs.length - left} of ${manifest.runs.length} runs finished earlier\n`);
  }
  const threads = choice.threads ?? autoThreads(availableParallelism(), choice.workers, left);
  const progress = createProgress();
  let crash: Error | null = null;
  try {
    const only = manifest.shard ? new Set(manifest.runs.map((r) => r.index)) : undefined;
    await runExperimentInWorkers(exp, { backend: choice.backend, workers: choice.workers, threads, progress, store, stop, only });
  } catch (e) {
    crash = e as Error;
  } finally {
    progress.close();
  }
  const durationMs = manifest.priorDurationMs + Date.now() - attemptStarted;
  const results: Results = assembleResults(dir, manifest, manifestEnv(manifest, { durationMs, ...(choice.device ? { device: choice.device } : {}) }));
  const reportPath = writeResults(dir, results, { beforeRename: failpointFinalWrite });
  writeManifest(dir, { ...manifest, priorDurationMs: durationMs });
  // A signal that came while this thread ran here without giving the event loop a turn (Ctrl-C
  // after the last step, or during the final write) is only dispatched by the loop: give it one
  // turn before the handlers go, so that it is answered with 130/143 like any other, not lost
  // (seed 934000314 of the kill-and-resume property: SIGINT after the very last step exited 0).
  await new Promise((resolve) => setImmediate(resolve));
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.stderr.write(`wrote ${shownPath(join(dir, 'results.json'))} and ${shownPath(reportPath)}\n`);
  printSummary(results);
  const unfinished = results.runs.filter((r) => r.status === 'interrupted').length;
  const finished = results.runs.length - unfinished;
  const resumeLine = `${finished} of ${results.runs.length} runs finished; resume with: ${choice.resumeCommand}`;
  if (crash) {
    process.stderr.write(`gradlab: the experiment stopped: ${printable(crash.message.split('\n')[0])}; ${resumeLine}\n`);
    return 1;
  }
  if (signal) {
    process.stderr.write(`gradlab: interrupted by ${signal}; ${resumeLine}\n`);
    return SIGNAL_EXIT[signal] ?? 1;
  }
  if (unfinished > 0) {
    process.stderr.write(`gradlab: ${resumeLine}\n`);
    return 1;
  }
  return results.runs.some((r) => r.status === 'failed') ? 1 : 0;
}

/** The final metrics per variant on stdout: mean over seeds of each metric. */
function printSummary(results: Results): void {
  const byVariant = new Map<string, Results['runs']>();
  for (const r of results.runs) byVariant.set(r.variant, [...(byVariant.get(r.variant) ?? []), r]);
  for (const [variant, runs] of byVariant) {
    const ok = runs.filter((r) => r.status === 'ok');
    const keys = [...new Set(ok.flatMap((r) => Object.keys(r.metrics)))];
    const parts = keys.map((k) => {
      const vals = ok.map((r) => r.metrics[k]).filter((v): v is number => v !== null && v !== undefined);
      const mean = vals.reduce((s, v) => s + v, 0) / Math.max(vals.length, 1);
      return `${k} ${vals.length ? mean.toPrecision(4) : 'n/a'}`;
    });
    const counts = (['diverged', 'failed', 'interrupted'] as const)
      .map((s) => [s, runs.filter((r) => r.status === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`);
    process.stdout.write(`${printable(variant)}: ${parts.join(', ') || 'no finished run'}${counts.length ? ` (of ${runs.length} runs: ${counts.join(', ')})` : ''}\n`);
  }
}
