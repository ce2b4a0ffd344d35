import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { BACKEND_HELP, backendFromOption } from './backendOption.ts';
import { loadExperiment } from '../experiment/registry.ts';
import { ExperimentError, resolveExperiment, type RunOverrides } from '../experiment/resolve.ts';
import type { Results } from '../experiment/results.ts';
import { prepareTasks, runExperimentInWorkers } from '../experiment/runner.ts';
import { toJson, writeFileAtomic } from '../io/atomicWrite.ts';
import { createProgress } from './progress.ts';
import { UsageError } from './usageError.ts';
import { finishReport } from './reportHook.ts';
import type { CommandOutcome } from './program.ts';
import { validateExperiment } from '../experiment/validate.ts';

export const REPORTS_DIR = resolve('reports');

interface ExperimentCliOptions {
  seeds?: string;
  steps?: string;
  backend: string;
  out?: string;
  quick?: boolean;
  dryRun?: boolean;
  force?: boolean;
  workers: string;
}

function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new UsageError(`--seeds must be a comma-separated list of integers >= 0 (e.g. 0,1,2), got "${text}"`);
  }
  return seeds;
}

function parseSteps(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--steps must be an integer >= 1, got "${text}"`);
  return n;
}

/** --out must stay inside reports/: a report never writes anywhere else. */
export function outputDir(name: string, out: string | undefined): string {
  const dir = resolve(out ?? join(REPORTS_DIR, name));
  const rel = relative(REPORTS_DIR, dir);
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..') || resolve(REPORTS_DIR, rel) !== dir) {
    throw new UsageError(`--out must be a folder inside ${REPORTS_DIR}, got "${out}"`);
  }
  return dir;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function registerExperiment(program: Command, outcome: CommandOutcome): void {
  program
    .command('experiment <name>')
    .description('train every variant x seed of an experiment; write reports/<name>/results.json and index.html')
    .option('--seeds <list>', 'comma-separated seeds, overriding the experiment\'s')
    .option('--steps <n>', 'training steps per run, overriding the experiment\'s')
    .option('--backend <backend>', BACKEND_HELP, 'cpu')
    .option('--out <dir>', 'output folder inside reports/ (default reports/<name>)')
    .option('--quick', 'the small smoke-test size (seconds)')
    .option('--dry-run', 'validate everything and print the plan; train nothing, write nothing')
    .option('--force', 'go past soft limits (the size estimate)')
    .option('--workers <n>', 'runs trained side by side in worker threads; results are identical for any n (default: one per CPU core)', String(availableParallelism()))
    .action(async (nameOrPath: string, opts: ExperimentCliOptions, cmd: Command) => {
      if (opts.backend !== 'cpu' && opts.backend !== 'webgpu') throw new UsageError(`--backend must be cpu or webgpu, got "${opts.backend}"`);
      let workers = Number(opts.workers);
      if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be an integer >= 1, got "${opts.workers}"`);
      if (opts.backend === 'webgpu') {
        // One device, driven from this thread: runs take turns on it.
        if (workers > 1 && cmd.getOptionValueSource('workers') === 'cli') {
          throw new UsageError('--workers: the webgpu backend runs every run on one device from one thread; drop --workers (or use --backend cpu)');
        }
        workers = 1;
      }
      const overrides: RunOverrides = {
        quick: opts.quick ?? false,
        ...(opts.steps !== undefined ? { steps: parseSteps(opts.steps) } : {}),
        ...(opts.seeds !== undefined ? { seeds: parseSeeds(opts.seeds) } : {}),
      };
      const { exp } = validateExperiment(await loadExperiment(nameOrPath), { ...overrides, force: opts.force ?? false });
      const dir = outputDir(exp.name, opts.out);
      if (opts.dryRun) {
        process.stdout.write(`${exp.name}: ${exp.variants.length} variant(s) x ${exp.seeds.length} seed(s), ${exp.steps} steps each; would write ${dir}\n`);
        return;
      }
      const { backend, device } = await backendFromOption(opts.backend);
      const startedAt = new Date();
      const progress = createProgress();
      const partial = await runExperimentInWorkers(exp, { backend, workers, progress });
      progress.close();
      const results: Results = {
        ...partial,
        env: {
          gradlab: packageVersion(),
          node: process.version,
          backend: backend.name,
          ...(device ? { device } : {}),
          platform: `${process.platform}-${process.arch}`,
          gitCommit: gitCommit(),
          startedAt: startedAt.toISOString(),
          durationMs: Date.now() - startedAt.getTime(),
          command: `gradlab experiment ${process.argv.slice(3).join(' ')}`.trim(),
        },
      };
      const resultsPath = join(dir, 'results.json');
      writeFileAtomic(resultsPath, `${toJson(results)}\n`);
      const reportPath = finishReport(dir, results);
      process.stderr.write(`wrote ${relative(process.cwd(), resultsPath)} and ${relative(process.cwd(), reportPath)}\n`);
      printSummary(results);
      if (results.runs.some((r) => r.status === 'failed')) outcome.exitCode = 1;
    });
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
    const bad = runs.length - ok.length;
    process.stdout.write(`${variant}: ${parts.join(', ')}${bad ? ` (${bad} of ${runs.length} runs diverged or failed)` : ''}\n`);
  }
}
