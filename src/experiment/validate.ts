import type { ResolvedExperiment, TaskSpec } from './config.ts';
import { resolveExperiment, type RunOverrides } from './resolve.ts';
import { prepareTasks } from './runner.ts';
import type { Task } from '../tasks/task.ts';

/** What `gradlab experiment` checks before the first step: the definition, the overrides and
 * every task's settings. Throws ExperimentError (one line, naming the field) on the first
 * problem; nothing has run or been written by then. */
export interface ValidatedExperiment {
  exp: ResolvedExperiment;
  getTask: (spec: TaskSpec) => Task;
}

export interface ValidateOptions extends RunOverrides {
  /** Go past soft limits (e.g. the size estimate). */
  force?: boolean;
}

export function validateExperiment(definition: unknown, opts: ValidateOptions = {}): ValidatedExperiment {
  const exp = resolveExperiment(definition, opts);
  const getTask = prepareTasks(exp);
  return { exp, getTask };
}
