import { zodLine } from '../io/zodLine.ts';
import {
  experimentSchema, taskSchema,
  type ExperimentDefinition, type ResolvedExperiment, type ResolvedVariant, type TaskSpec,
} from './config.ts';

/** Overrides from the command line. */
export interface RunOverrides {
  quick?: boolean;
  steps?: number;
  seeds?: number[];
}

export class ExperimentError extends Error {
  override name = 'ExperimentError';
}

function parseTask(value: unknown, where: string): TaskSpec {
  const r = taskSchema.safeParse(value);
  if (!r.success) throw new ExperimentError(zodLine(where, r.error));
  return r.data;
}

/**
 * Validate an experiment definition and resolve every variant (experiment defaults, then the
 * variant, then --quick), so results.json records exactly what ran. "{T}" in a variant name is
 * replaced by its resolved sequence length, so names stay true under --quick.
 */
export function resolveExperiment(definition: unknown, overrides: RunOverrides = {}): ResolvedExperiment {
  const parsed = experimentSchema.safeParse(definition);
  if (!parsed.success) throw new ExperimentError(zodLine('experiment', parsed.error));
  const e = parsed.data;
  const q = overrides.quick ? e.quick : {};
  const variants: ResolvedVariant[] = e.variants.map((raw, i) => {
    const v = { ...e.defaults, ...raw };
    const where = `experiment.variants[${i}]`;
    const missing = (['cell', 'hiddenSize', 'optimizer'] as const).find((k) => v[k] === undefined);
    if (missing) throw new ExperimentError(`${where}.${missing}: required (set it on the variant or in experiment.defaults)`);
    // A variant's own task settings win over --quick's, which win over the experiment's.
    const task = parseTask({ ...e.task, ...(q.task ?? {}), ...(v.task ?? {}) }, `${where}.task`);
    const T = 'T' in task ? task.T : 1;
    const resolved: ResolvedVariant = {
      name: raw.name.replaceAll('{T}', String(T)),
      description: v.description ?? '',
      cell: v.cell!,
      hiddenSize: q.hiddenSize ?? v.hiddenSize!,
      numLayers: v.numLayers ?? 1,
      init: v.init ?? {},
      optimizer: v.optimizer!,
      schedule: v.schedule ?? { name: 'constant' },
      clip: v.clip ?? { kind: 'none' },
      accumulation: v.accumulation ?? 1,
      residual: v.residual ?? false,
      skipDelay: v.skipDelay ?? null,
      dropout: v.dropout ?? 0,
      batchSize: raw.batchSize ?? q.batchSize ?? v.batchSize ?? e.batchSize,
      task,
    };
    if (resolved.batchSize % resolved.accumulation !== 0) {
      throw new ExperimentError(`${where}.accumulation: must divide batchSize ${resolved.batchSize}, got ${resolved.accumulation}`);
    }
    return resolved;
  });
  const names = new Set<string>();
  for (const v of variants) {
    if (names.has(v.name)) throw new ExperimentError(`experiment.variants: the name "${v.name}" is used twice; names must be unique`);
    names.add(v.name);
  }
  const steps = overrides.steps ?? q.steps ?? e.steps;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new ExperimentError(`--steps: must be an integer >= 1, got ${steps}`);
  const seeds = overrides.seeds ?? q.seeds ?? e.seeds;
  return {
    name: e.name,
    description: e.description,
    notes: e.notes ?? null,
    quick: overrides.quick ?? false,
    task: parseTask({ ...e.task, ...(q.task ?? {}) }, 'experiment.task'),
    steps,
    seeds,
    logEvery: Math.min(q.logEvery ?? e.logEvery, steps),
    valSize: q.valSize ?? e.valSize,
    earlyStop: e.earlyStop ?? null,
    variants,
  };
}

/** Typed helper for experiments/*.ts files. */
export function defineExperiment(definition: ExperimentDefinition): ExperimentDefinition {
  return definition;
}

