import { z } from 'zod';
import { CELL_KINDS } from '../nn/cellKinds.ts';
import { INIT_SCHEMES } from '../nn/init.ts';

/**
 * Experiment definitions: a task, named variants, seeds and a budget. Validated with zod in
 * strict mode, so a misspelt key is an error, not a silently ignored setting.
 */

const positiveInt = z.number().int().min(1);
const nonNegative = z.number().min(0);
const positive = z.number().positive();

/** Generated tasks also take the test set's size and seed (src/tasks/index.ts checks the finer
 * per-task limits, e.g. the smallest T of each adding variant). */
const generated = { testSize: z.number().int().min(1).optional(), seed: z.number().int().min(0).optional() };

export const taskSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('adding'), T: z.number().int().min(2), variant: z.enum(['arjovsky', 'hochreiter']).default('arjovsky'), ...generated }),
  z.strictObject({ name: z.literal('copy'), T: z.number().int().min(2), ...generated }),
  z.strictObject({ name: z.literal('temporal-order'), T: z.number().int().min(2), ...generated }),
  z.strictObject({ name: z.literal('sine'), T: z.number().int().min(2), ...generated }),
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
  hiddenSize: positiveInt,
  numLayers: positiveInt,
  init: initSchema,
  optimizer: optimizerSchema,
  schedule: scheduleSchema,
  clip: clipSchema,
  /** Micro-batches per step; the batch is split into this many equal parts. */
  accumulation: positiveInt,
  residual: z.boolean(),
  skipDelay: positiveInt,
  dropout: z.number().min(0).lt(1),
  batchSize: positiveInt,
  /** Per-variant task settings (e.g. a different sequence length T). */
  task: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
};

export const variantDefaultsSchema = z.strictObject(variantFields).partial();

export const variantSchema = z.strictObject({
  name: z.string().min(1),
  /** One line for the report: what this variant tests. */
  description: z.string().optional(),
  ...variantFields,
}).partial().required({ name: true });

const budgetSchema = z.strictObject({
  steps: positiveInt,
  seeds: z.array(z.number().int().min(0)).min(1),
  batchSize: positiveInt,
  logEvery: positiveInt,
  /** Sequences of the test set used for the validation loss at each log step. */
  valSize: positiveInt,
  /** Stop a run early once a test metric crosses a threshold (checked at log steps). */
  earlyStop: z.strictObject({ metric: z.string(), below: z.number().optional(), above: z.number().optional() }).optional(),
});

export const experimentSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  description: z.string(),
  /** What a reader should look for; shown at the top of the report. */
  notes: z.string().optional(),
  task: taskSchema,
  ...budgetSchema.shape,
  defaults: variantDefaultsSchema.default({}),
  variants: z.array(variantSchema).min(1),
  /** The --quick size: overrides applied for smoke tests (seconds, not minutes). */
  quick: z.strictObject({
    steps: positiveInt.optional(),
    seeds: z.array(z.number().int().min(0)).min(1).optional(),
    batchSize: positiveInt.optional(),
    logEvery: positiveInt.optional(),
    valSize: positiveInt.optional(),
    hiddenSize: positiveInt.optional(),
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
}
