import { totalmem } from 'node:os';
import { cellSpec } from '../cells/table.ts';
import { initProblem } from '../nn/init.ts';
import type { ResolvedExperiment, TaskSpec } from './config.ts';
import { checkLimits, estimateExperiment, type ExperimentEstimate } from './limits.ts';
import { ExperimentError, resolveExperiment, type RunOverrides } from './resolve.ts';
import { prepareTasks } from './runner.ts';
import type { Task } from '../tasks/task.ts';

/** What `gradlab experiment` checks before the first step: the definition, the overrides, the
 * size estimate against this machine, every task's settings and the early-stop metric. Throws
 * ExperimentError (one line, naming the field) on the first problem; nothing has run or been
 * written by then. */
export interface ValidatedExperiment {
  exp: ResolvedExperiment;
  getTask: (spec: TaskSpec) => Task;
  /** Parameters, memory and time per variant and in total (rough; `--dry-run` prints it). */
  estimate: ExperimentEstimate;
}

export interface ValidateOptions extends RunOverrides {
  /** Go past soft limits (memory over half the machine's, an estimated day or more). */
  force?: boolean;
  /** Worker threads the runs will use: that many runs hold memory at once (default 1). */
  workers?: number;
  /** The machine's memory; os.totalmem() unless given (tests pin it). */
  totalMemoryBytes?: number;
}

/** The trainer reads earlyStop.metric from the task's metrics, or the validation loss. */
const TRAINER_METRICS = ['valLoss'] as const;

/** A misspelt early-stop metric would silently never stop a run: it must be one of every
 * variant's task metrics. */
function checkEarlyStop(exp: ResolvedExperiment, getTask: (spec: TaskSpec) => Task): void {
  const rule = exp.earlyStop;
  if (!rule) return;
  exp.variants.forEach((v) => {
    const task = getTask(v.task);
    const allowed = [...task.metricNames, ...TRAINER_METRICS];
    if (!allowed.includes(rule.metric)) {
      throw new ExperimentError(
        `experiment.earlyStop.metric: "${rule.metric}" is not a metric of variant "${v.name}" (task ${task.name}); choose one of ${allowed.join(', ')}`,
      );
    }
  });
}

/** A claim's metric must be one its variant's task reports (a validation metric for a crossing
 * rule, which the log records for every task metric), and a 'baseline' threshold needs the task
 * to have one for that metric: found now, not as a "not judged" after the runs. */
function checkClaims(exp: ResolvedExperiment, getTask: (spec: TaskSpec) => Task): void {
  exp.claims.forEach((c, i) => c.rules.forEach((r, j) => {
    const at = `experiment.claims[${i}].rules[${j}]`;
    const v = exp.variants.find((x) => x.name === r.variant);
    if (!v) throw new ExperimentError(`${at}.variant: no variant "${r.variant}"`);
    const task = getTask(v.task);
    for (const m of [r.metric, ...(typeof r.than === 'object' ? [r.than.metric] : [])]) {
      if (!task.metricNames.includes(m)) {
        throw new ExperimentError(`${at}: "${m}" is not a metric of variant "${v.name}" (task ${task.name}); choose one of ${task.metricNames.join(', ')}`);
      }
    }
    if (r.than === 'baseline' && !task.baselines.some((b) => b.metric === r.metric)) {
      const have = [...new Set(task.baselines.map((b) => b.metric))];
      throw new ExperimentError(`${at}.than: task ${task.name} has no baseline for "${r.metric}"${have.length ? ` (it has one for ${have.join(', ')})` : ''}; give a number instead`);
    }
  }));
}

/** Settings that only some cells have (a forget-gate bias, a matrix init): checked here, before
 * the first step, with the same rule RecurrentNet.create applies. */
function checkCellSettings(exp: ResolvedExperiment): void {
  exp.variants.forEach((v) => {
    const problem = initProblem(cellSpec(v.cell), v.init);
    if (problem) throw new ExperimentError(`variant "${v.name}": ${problem}`);
  });
}

export function validateExperiment(definition: unknown, opts: ValidateOptions = {}): ValidatedExperiment {
  if (opts.workers !== undefined && !(Number.isSafeInteger(opts.workers) && opts.workers >= 1)) {
    throw new ExperimentError(`--workers: must be an integer >= 1, got ${opts.workers}`);
  }
  const exp = resolveExperiment(definition, opts);
  checkCellSettings(exp);
  // Sizes first, from the settings alone: building a task allocates its test set, which is
  // exactly what a huge T or testSize must not do.
  const estimate = estimateExperiment(exp, { workers: opts.workers });
  checkLimits(exp, estimate, { force: opts.force, totalMemoryBytes: opts.totalMemoryBytes ?? totalmem() });
  const getTask = prepareTasks(exp);
  checkEarlyStop(exp, getTask);
  checkClaims(exp, getTask);
  return { exp, getTask, estimate };
}
