import { z } from 'zod';

/**
 * Claims: what a paper says, held against what an experiment measures. Each claim carries the
 * rule that judges it, as data, so the verdict is computed from the numbers (judge.ts) and the
 * report prints the rule next to the claim (describe.ts). Nothing is judged by hand.
 *
 * A rule looks at one variant's runs, seed by seed, and asks whether each seed shows the outcome
 * the claim predicts ("success" or "failure" of a criterion); the verdict then comes from how
 * many seeds did, with its sampling error (verdict.ts).
 */

/** What a metric is compared with: a number, the task's baseline for that metric, or another
 * metric of the same run (e.g. the least-squares fit's MSE), optionally times a factor. */
const threshold = z.union([
  z.number(),
  z.literal('baseline'),
  z.strictObject({ metric: z.string().min(1).max(64) }),
]);

const criterion = {
  /** The variant, by its name in the definition (before "{T}" is filled in). */
  variant: z.string().min(1).max(100),
  metric: z.string().min(1).max(64),
  /** "below": success when the metric is below the threshold; "above": above it. */
  direction: z.enum(['below', 'above']),
  than: threshold,
  /** Multiplies the threshold (e.g. 1.1: within 10% of the least-squares MSE). */
  times: z.number().positive().optional(),
  /** The outcome the claim predicts for this variant. */
  expect: z.enum(['success', 'failure']),
};

/** The final test metric of each seed, compared with a margin of MARGIN_SE standard errors. */
const finalRule = z.strictObject({ kind: z.literal('final'), ...criterion });

/** The training sequences seen (steps x batch size) until the validation metric first crossed
 * the threshold; a seed succeeds when that happened within `sequences`. */
const crossingRule = z.strictObject({
  kind: z.literal('crossing'),
  ...criterion,
  sequences: z.number().int().positive(),
});

export const ruleSchema = z.discriminatedUnion('kind', [finalRule, crossingRule]);
export type Rule = z.output<typeof ruleSchema>;

export const claimSchema = z.strictObject({
  /** A short id, unique in the experiment (links and the paper summary use it). */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes').max(48),
  /** The claim, quoted or closely paraphrased. */
  claim: z.string().min(1).max(1000),
  /** Where it is claimed: paper, table or section. */
  source: z.string().min(1).max(300),
  /** Every rule must hold; the verdict is the weakest of theirs. */
  rules: z.array(ruleSchema).min(1).max(8),
  /** Why our setting differs from the paper's where that matters for this claim. */
  note: z.string().max(2000).optional(),
});
export type ClaimDefinition = z.output<typeof claimSchema>;

/** A claim after resolution: each rule names its variant by the resolved name (what runs carry). */
export type ResolvedClaim = ClaimDefinition;
