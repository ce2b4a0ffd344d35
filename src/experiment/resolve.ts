import type { ClaimDefinition, ResolvedClaim } from '../claims/schema.ts';
import { zodLine } from '../io/zodLine.ts';
import type { z } from 'zod';
import {
  experimentSchema, SCHEMA_LIMITS, seedListSchema, taskSchema,
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

/** The first line of an error's message, for a one-line report. */
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? (e instanceof Error ? e.name : 'unknown error');
}

/** safeParse that also turns a throw while reading the input (a getter of a user's .ts
 * definition, a Proxy) into a one-line ExperimentError. */
function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  let r: z.ZodSafeParseResult<z.output<S>>;
  try {
    r = schema.safeParse(value);
  } catch (e) {
    throw new ExperimentError(`${where}: reading it threw: ${firstLine(e)}; a definition must be plain data (no getters or proxies)`);
  }
  if (!r.success) throw new ExperimentError(zodLine(where, r.error));
  return r.data;
}

function parseTask(value: unknown, where: string): TaskSpec {
  return parseOrThrow(taskSchema, value, where);
}

/** --seeds and --steps from the command line, held to the schema's rules for the definition's. */
function checkOverrides(overrides: RunOverrides): void {
  if (overrides.seeds !== undefined) {
    const r = seedListSchema.safeParse(overrides.seeds);
    if (!r.success) {
      const issue = r.error.issues[0];
      const at = typeof issue.path[0] === 'number' ? ` (seed #${issue.path[0] + 1} of the list)` : '';
      throw new ExperimentError(`--seeds: ${issue.message}${at}`);
    }
  }
  const steps = overrides.steps;
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1 && steps <= SCHEMA_LIMITS.steps)) {
    throw new ExperimentError(`--steps: must be an integer in [1, ${SCHEMA_LIMITS.steps}], got ${steps}`);
  }
}

/**
 * Validate an experiment definition and resolve every variant (experiment defaults, then the
 * variant, then --quick), so results.json records exactly what ran. "{T}" in a variant name is
 * replaced by its resolved sequence length, so names stay true under --quick.
 */
export function resolveExperiment(definition: unknown, overrides: RunOverrides = {}): ResolvedExperiment {
  checkOverrides(overrides);
  const e = parseOrThrow(experimentSchema, definition, 'experiment');
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
  const claims = resolveClaims(e.claims ?? [], e.variants.map((v) => v.name), variants.map((v) => v.name));
  const steps = overrides.steps ?? q.steps ?? e.steps;
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
    claims,
    flowSteps: e.flowSteps ?? null,
  };
}

/**
 * A claim's rules name variants as the definition does ("lstm T={T}"); the runs carry resolved
 * names ("lstm T=100", or T=12 under --quick). Each rule must name exactly one variant, and ids
 * must be unique.
 */
function resolveClaims(claims: ClaimDefinition[], rawNames: string[], resolvedNames: string[]): ResolvedClaim[] {
  const ids = new Set<string>();
  return claims.map((c, i) => {
    if (ids.has(c.id)) throw new ExperimentError(`experiment.claims[${i}].id: "${c.id}" is used twice; ids must be unique`);
    ids.add(c.id);
    return {
      ...c,
      rules: c.rules.map((r, j) => {
        const at = rawNames.flatMap((n, k) => (n === r.variant || resolvedNames[k] === r.variant ? [k] : []));
        if (at.length !== 1) {
          const why = at.length === 0 ? 'no variant has that name' : `${at.length} variants have that name`;
          throw new ExperimentError(`experiment.claims[${i}].rules[${j}].variant: "${r.variant}": ${why}; name one of ${rawNames.map((n) => JSON.stringify(n)).join(', ')}`);
        }
        return { ...r, variant: resolvedNames[at[0]] };
      }),
    };
  });
}

/** Typed helper for experiments/*.ts files. */
export function defineExperiment(definition: ExperimentDefinition): ExperimentDefinition {
  return definition;
}

