import { z } from 'zod';
import { CELL_KINDS } from '../cells/table.ts';
import { claimSchema, type ResolvedClaim } from '../claims/schema.ts';
import { INIT_SCHEMES } from '../nn/init.ts';
import { MAX_SEED } from '../tasks/common.ts';

/**
 * Experiment definitions: a task, named variants, seeds and a budget. Validated with zod in
 * strict mode, so a misspelt key is an error, not a silently ignored setting.
 *
 * Integer settings that size memory or time have upper bounds here, where a bound is obvious;
 * the size estimate (limits.ts) then checks what their combination costs.
 */

/**
 * Upper bounds of the schema. Each is far beyond what the harness is for, so a real experiment
 * never meets one; they turn a typo (an extra zero, 1e9 for 1e3) into a one-line refusal instead
 * of a run that fails or grows memory an hour later.
 */
export const SCHEMA_LIMITS = {
  /** The name becomes a folder, reports/<name>; 64 characters keeps paths far below NAME_MAX
   * (255) and reads well in a report title. */
  nameLength: 64,
  /** A variant name is a legend entry, a table row and part of each run's label. */
  variantNameLength: 100,
  /** One line in the report. */
  descriptionLength: 2000,
  notesLength: 20_000,
  /** Sequence lengths in the vanishing-gradient literature reach ~10^4 (copy T = 1000-2000,
   * adding 750, temporal order 1000); 10^5 is ten times that, and already needs gigabytes for
   * the default 1000-sequence test set. */
  T: 100_000,
  /** An LSTM's W_hh holds 4 H^2 floats: at H = 16384 that is 2^30 floats, 4 GiB in float32, the
   * whole address space of the WebAssembly kernels. */
  hiddenSize: 16_384,
  /** Deep recurrent stacks in the literature stop at ~8-16 layers (GNMT: 8). */
  numLayers: 64,
  /** Sequences per batch (and per micro-batch count): 64x the default 1000-sequence test set. */
  batchSize: 65_536,
  /** Test and validation sets: a thousand times the default 1000 sequences. */
  testSize: 1_000_000,
  /** At a millisecond per step (a tiny model), 10^8 steps is over a day; the time estimate
   * refuses most runs long before this bound. */
  steps: 100_000_000,
  /** Every variant x seed is a run with its own results and curves; thousands are unreadable. */
  seeds: 1000,
  variants: 1000,
} as const;

const positiveInt = z.number().int().min(1);
const nonNegative = z.number().min(0);
const positive = z.number().positive();

/** "<value> is too big; at most <max> <what>": the value given and what is allowed. */
function tooBig(max: number, what: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => `${String(issue.input)} is too big; at most ${max} ${what}` };
}

/** "is N characters long; at most <max>". */
function tooLong(max: number, why = ''): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => `is ${typeof issue.input === 'string' ? issue.input.length : '?'} characters long; at most ${max}${why}` };
}

/** An integer in [1, max]. */
function boundedInt(max: number, what: string): z.ZodNumber {
  return positiveInt.max(max, tooBig(max, what));
}

/** A run seed: Rng.seeded takes any safe integer >= 0 (beyond 2^53 doubles stop being
 * distinct integers, so two "different" seeds could be the same run). */
const runSeed = z.number()
  .int({ error: (issue) => (Number.isInteger(issue.input) ? `${String(issue.input)} is too big; seeds must be safe integers, < 2^53` : `must be an integer, got ${String(issue.input)}`) })
  .min(0, 'must be >= 0');

/** Distinct run seeds: a repeated seed is a repeated run, identical numbers counted twice. */
export const seedListSchema = z.array(runSeed)
  .min(1, 'needs at least one seed')
  .max(SCHEMA_LIMITS.seeds, `at most ${SCHEMA_LIMITS.seeds} seeds`)
  .superRefine((seeds, ctx) => {
    const first = new Map<number, number>();
    seeds.forEach((s, i) => {
      const at = first.get(s);
      if (at !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i], message: `seed ${s} repeats seeds[${at}]; each seed must appear once (a repeated seed is the same run twice)` });
      } else {
        first.set(s, i);
      }
    });
  });

const sequenceLength = z.number().int().min(2).max(SCHEMA_LIMITS.T, tooBig(SCHEMA_LIMITS.T, 'steps'));

/** Generated tasks also take the test set's size and seed (src/tasks/index.ts checks the finer
 * per-task limits, e.g. the smallest T of each adding variant). */
const generated = {
  testSize: boundedInt(SCHEMA_LIMITS.testSize, 'test sequences').optional(),
  /** The test set's seed: Rng.seeded takes it through 32 bits (tasks/common.ts MAX_SEED). */
  seed: z.number().int().min(0).max(MAX_SEED, tooBig(MAX_SEED, '(a 32-bit seed)')).optional(),
};

export const taskSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('adding'), T: sequenceLength, variant: z.enum(['arjovsky', 'hochreiter']).default('arjovsky'), ...generated }),
  z.strictObject({ name: z.literal('copy'), T: sequenceLength, ...generated }),
  z.strictObject({ name: z.literal('temporal-order'), T: sequenceLength, ...generated }),
  z.strictObject({ name: z.literal('sine'), T: sequenceLength, ...generated }),
  z.strictObject({ name: z.literal('regression'), standardize: z.boolean().default(false) }),
]);
export type TaskSpec = z.infer<typeof taskSchema>;

export const optimizerSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('sgd'), lr: positive, momentum: nonNegative.optional(), dampening: nonNegative.optional(), nesterov: z.boolean().optional(), weightDecay: nonNegative.optional() }),
  z.strictObject({ name: z.literal('adam'), lr: positive.optional(), beta1: z.number().min(0).lt(1).optional(), beta2: z.number().min(0).lt(1).optional(), eps: positive.optional(), weightDecay: nonNegative.optional() }),
  z.strictObject({ name: z.literal('rmsprop'), lr: positive.optional(), alpha: z.number().min(0).lt(1).optional(), eps: positive.optional(), weightDecay: nonNegative.optional(), momentum: nonNegative.optional() }),
]);

export const scheduleSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('constant') }),
  z.strictObject({ name: z.literal('step'), stepSize: positiveInt, gamma: positive }),
  z.strictObject({ name: z.literal('cosine'), tMax: positiveInt, etaMin: nonNegative.optional() }),
]);

export const clipSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('norm'), maxNorm: positive }),
  z.strictObject({ kind: z.literal('value'), clipValue: positive }),
]);

export const initSchema = z.strictObject({
  inputWeights: z.enum(INIT_SCHEMES).optional(),
  recurrentWeights: z.enum(INIT_SCHEMES).optional(),
  gain: positive.optional(),
  forgetBias: z.number().optional(),
  biases: z.enum(['pytorch', 'zeros']).optional(),
});

/** Everything a variant may set; an experiment's `defaults` uses the same keys. */
const variantFields = {
  cell: z.enum(CELL_KINDS),
  hiddenSize: boundedInt(SCHEMA_LIMITS.hiddenSize, 'units'),
  numLayers: boundedInt(SCHEMA_LIMITS.numLayers, 'layers'),
  init: initSchema,
  optimizer: optimizerSchema,
  schedule: scheduleSchema,
  clip: clipSchema,
  /** Micro-batches per step; the batch is split into this many equal parts. */
  accumulation: boundedInt(SCHEMA_LIMITS.batchSize, 'micro-batches'),
  residual: z.boolean(),
  skipDelay: boundedInt(SCHEMA_LIMITS.T, 'steps'),
  dropout: z.number().min(0).lt(1),
  batchSize: boundedInt(SCHEMA_LIMITS.batchSize, 'sequences'),
  /** Per-variant task settings (e.g. a different sequence length T). */
  task: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
};

export const variantDefaultsSchema = z.strictObject(variantFields).partial();

export const variantSchema = z.strictObject({
  name: z.string().min(1).max(SCHEMA_LIMITS.variantNameLength, tooLong(SCHEMA_LIMITS.variantNameLength)),
  /** One line for the report: what this variant tests. */
  description: z.string().max(SCHEMA_LIMITS.descriptionLength, tooLong(SCHEMA_LIMITS.descriptionLength)).optional(),
  ...variantFields,
}).partial().required({ name: true });

/** Stop a run early once a validation metric crosses a threshold (checked at log steps). The
 * metric's name is checked against the task's metricNames once the tasks are known
 * (validate.ts); a rule without a threshold would never fire. */
const earlyStopSchema = z.strictObject({
  metric: z.string().min(1).max(64),
  below: z.number().optional(),
  above: z.number().optional(),
}).refine((r) => r.below !== undefined || r.above !== undefined, {
  message: 'needs below or above (or both); without a threshold the run never stops early',
});

const budgetSchema = z.strictObject({
  steps: boundedInt(SCHEMA_LIMITS.steps, 'steps'),
  seeds: seedListSchema,
  batchSize: boundedInt(SCHEMA_LIMITS.batchSize, 'sequences'),
  logEvery: boundedInt(SCHEMA_LIMITS.steps, 'steps'),
  /** Sequences of the test set used for the validation loss at each log step. */
  valSize: boundedInt(SCHEMA_LIMITS.testSize, 'sequences'),
  earlyStop: earlyStopSchema.optional(),
});

export const experimentSchema = z.strictObject({
  name: z.string()
    .max(SCHEMA_LIMITS.nameLength, tooLong(SCHEMA_LIMITS.nameLength, ' (it names the folder reports/<name>)'))
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  description: z.string().max(SCHEMA_LIMITS.descriptionLength, tooLong(SCHEMA_LIMITS.descriptionLength)),
  /** What a reader should look for; shown at the top of the report. */
  notes: z.string().max(SCHEMA_LIMITS.notesLength, tooLong(SCHEMA_LIMITS.notesLength)).optional(),
  task: taskSchema,
  ...budgetSchema.shape,
  defaults: variantDefaultsSchema.default({}),
  variants: z.array(variantSchema).min(1).max(SCHEMA_LIMITS.variants, `at most ${SCHEMA_LIMITS.variants} variants`),
  /** What papers claim, each with the rule that judges it from the runs (src/claims/). */
  claims: z.array(claimSchema).max(100, 'at most 100 claims').optional(),
  /** Training steps at which the report draws the gradient-flow profiles (the logged step
   * nearest each), instead of the first, middle and last: e.g. [0, 100] for Arjovsky et al.
   * 2016's figure, at initialisation and after 100 iterations. */
  flowSteps: z.array(z.number().int().min(0)).min(1).max(3, 'at most 3 steps (three charts)').optional(),
  /** The --quick size: overrides applied for smoke tests (seconds, not minutes). */
  quick: z.strictObject({
    steps: boundedInt(SCHEMA_LIMITS.steps, 'steps').optional(),
    seeds: seedListSchema.optional(),
    batchSize: boundedInt(SCHEMA_LIMITS.batchSize, 'sequences').optional(),
    logEvery: boundedInt(SCHEMA_LIMITS.steps, 'steps').optional(),
    valSize: boundedInt(SCHEMA_LIMITS.testSize, 'sequences').optional(),
    hiddenSize: boundedInt(SCHEMA_LIMITS.hiddenSize, 'units').optional(),
    task: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
  }).default({}),
});

export type ExperimentDefinition = z.input<typeof experimentSchema>;
export type Experiment = z.output<typeof experimentSchema>;

/** A variant with every setting resolved (experiment defaults, then the variant's own). */
export interface ResolvedVariant {
  name: string;
  description: string;
  cell: (typeof CELL_KINDS)[number];
  hiddenSize: number;
  numLayers: number;
  init: z.output<typeof initSchema>;
  optimizer: z.output<typeof optimizerSchema>;
  schedule: z.output<typeof scheduleSchema>;
  clip: z.output<typeof clipSchema>;
  accumulation: number;
  residual: boolean;
  skipDelay: number | null;
  dropout: number;
  batchSize: number;
  task: TaskSpec;
}

/** The resolved experiment written to results.json's `config`. */
export interface ResolvedExperiment {
  name: string;
  description: string;
  notes: string | null;
  quick: boolean;
  task: TaskSpec;
  steps: number;
  seeds: number[];
  logEvery: number;
  valSize: number;
  earlyStop: Experiment['earlyStop'] | null;
  variants: ResolvedVariant[];
  /** Claims with each rule's variant named as the runs name it. */
  claims: ResolvedClaim[];
  flowSteps: number[] | null;
}
