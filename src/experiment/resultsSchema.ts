import { z } from 'zod';
import { RESULTS_SCHEMA } from './results.ts';

/**
 * What `gradlab report` requires of a results.json before rendering it: the shape of
 * src/experiment/results.ts, checked so that a truncated or hand-edited file is one line naming
 * the field, not a crash in the renderer. Extra fields are allowed (newer files, user notes).
 */
const num = z.number().nullable();
const logEntry = z.looseObject({
  step: z.number().int().min(0),
  loss: num,
  gradNorm: num,
  clipped: z.boolean(),
  dLdh: z.array(z.array(num)),
  paramGradNorms: z.record(z.string(), num),
  sigmaMaxWhh: z.array(num).optional(),
  updateRatio: num.optional(),
  valMetrics: z.record(z.string(), num).optional(),
  gates: z.array(z.looseObject({
    dLdc: z.array(num).nullable(),
    gates: z.array(z.looseObject({ name: z.string(), activation: z.string(), gradNorm: z.array(num), saturation: z.array(z.number()), saturationHigh: z.array(z.number()) })),
  })).optional(),
});
const run = z.looseObject({
  variant: z.string(),
  seed: z.number(),
  status: z.enum(['ok', 'diverged', 'failed', 'interrupted']),
  error: z.string().optional(),
  stepsRun: z.number(),
  durationMs: z.number(),
  log: z.array(logEntry),
  metrics: z.record(z.string(), num),
  metricErrors: z.record(z.string(), num).optional(),
  testSize: z.number().int().min(0).optional(),
  summary: z.unknown(),
});
export const resultsFileSchema = z.looseObject({
  schema: z.literal(RESULTS_SCHEMA),
  experiment: z.string(),
  description: z.string(),
  config: z.unknown(),
  baselines: z.array(z.looseObject({ metric: z.string(), value: z.number(), note: z.string() })).default([]),
  env: z.looseObject({
    gradlab: z.string(), node: z.string(), backend: z.string(), platform: z.string(),
    gitCommit: z.string().nullable(), startedAt: z.string(), durationMs: z.number(), command: z.string(),
  }),
  shard: z.looseObject({ index: z.number().int().min(0), count: z.number().int().min(1) }).optional(),
  runs: z.array(run),
});
