import { z } from 'zod';
import type { Num, Results, RunResult, RunStatus } from '../records/results.ts';
import { meanStd, type MeanStd } from '../report/stats.ts';
import { baselinesFor } from '../records/baselines.ts';
import { claimSchema, type ResolvedClaim, type Rule } from './schema.ts';
import { combineVerdicts, sideOf, verdictFromCount, wilson, type ClaimVerdict, type Interval, type Side } from './statistics.ts';

/** What judging reads of a results file. */
export type ClaimResults = Pick<Results, 'config' | 'baselines' | 'runs'>;

/** One seed under one rule. */
export interface SeedOutcome {
  seed: number;
  status: RunStatus;
  /** The final test metric ('final'), or the training sequences seen until the validation
   * metric crossed ('crossing'; null when it never did). */
  value: Num;
  /** The standard error of a final test metric, when the task measures one. */
  se: Num;
  /** The threshold this seed was held to (a 'metric' threshold differs per seed). */
  threshold: Num;
  side: Side | null;
  /** Whether the seed showed the outcome the claim predicts. */
  asClaimed: boolean;
}

export interface RuleJudgement {
  rule: Rule;
  /** Finished runs (ok or diverged) of the variant: what is counted. */
  seeds: SeedOutcome[];
  /** Seeds that showed the predicted outcome, of n. */
  k: number;
  n: number;
  /** Runs not counted: failed (an error) or interrupted (unfinished). */
  excluded: number;
  interval: Interval | null;
  /** Mean ± std of the per-seed values (finite ones). */
  values: MeanStd;
  /** Median of the per-seed standard errors, for the margin's size. */
  typicalSe: Num;
  verdict: ClaimVerdict;
}

export interface ClaimJudgement {
  claim: ResolvedClaim;
  rules: RuleJudgement[];
  verdict: ClaimVerdict;
}

const claimsInConfig = z.looseObject({ claims: z.array(claimSchema).optional() });

/** The claims a results file's configuration carries (none when it has none or is older). */
export function claimsOf(results: ClaimResults): ResolvedClaim[] {
  const r = claimsInConfig.safeParse(results.config);
  return r.success ? r.data.claims ?? [] : [];
}

/** The number a seed is held to, or null when it cannot be known (a missing baseline or metric). */
function thresholdFor(rule: Rule, run: RunResult, results: ClaimResults): Num {
  const times = rule.times ?? 1;
  if (typeof rule.than === 'number') return rule.than * times;
  if (rule.than === 'baseline') {
    const b = baselinesFor(results.baselines, run.variant).find((x) => x.metric === rule.metric);
    return b ? b.value * times : null;
  }
  const v = run.metrics?.[rule.than.metric];
  return typeof v === 'number' && Number.isFinite(v) ? v * times : null;
}

/** Training sequences seen when the validation metric first crossed the threshold, or null. */
function sequencesUntilCrossing(run: RunResult, rule: Rule, threshold: number, batchSize: number): Num {
  for (const e of run.log ?? []) {
    const v = rule.metric === 'loss' || rule.metric === 'valLoss' ? e.valMetrics?.loss ?? e.valLoss : e.valMetrics?.[rule.metric];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (rule.direction === 'below' ? v < threshold : v > threshold) return (e.step + 1) * batchSize;
  }
  return null;
}

/** The variant's batch size from the results' configuration, or null when it does not say. */
function batchSizeOf(results: ClaimResults, variant: string): number | null {
  const cfg = z.looseObject({ variants: z.array(z.looseObject({ name: z.string(), batchSize: z.number().int().positive() })) }).safeParse(results.config);
  return cfg.success ? cfg.data.variants.find((v) => v.name === variant)?.batchSize ?? null : null;
}

function judgeSeed(rule: Rule, run: RunResult, results: ClaimResults, batchSize: number | null): SeedOutcome {
  const threshold = thresholdFor(rule, run, results);
  const base = { seed: run.seed, status: run.status, threshold };
  if (rule.kind === 'final') {
    const raw = run.metrics?.[rule.metric];
    const value = typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
    const se = run.metricErrors?.[rule.metric] ?? null;
    // A threshold from the same run (another metric on the same test sequences) shares most of
    // the sampling error: the standard error of the metric alone would overstate the difference's
    // (its paired error is not recorded), so such a comparison is of the numbers.
    const paired = typeof rule.than === 'object';
    const side = threshold === null ? null : sideOf(value, paired ? null : se, threshold, rule.direction);
    const success = side === 'beyond';
    return { ...base, value, se, side, asClaimed: threshold !== null && success === (rule.expect === 'success') };
  }
  const value = threshold === null || batchSize === null ? null : sequencesUntilCrossing(run, rule, threshold, batchSize);
  const success = value !== null && value <= rule.sequences;
  return { ...base, value, se: null, side: null, asClaimed: threshold !== null && batchSize !== null && success === (rule.expect === 'success') };
}

export function judgeRule(rule: Rule, results: ClaimResults): RuleJudgement {
  const runs = results.runs.filter((r) => r.variant === rule.variant);
  const counted = runs.filter((r) => r.status === 'ok' || r.status === 'diverged');
  const batchSize = batchSizeOf(results, rule.variant);
  const seeds = counted.map((r) => judgeSeed(rule, r, results, batchSize));
  const n = seeds.length;
  const k = seeds.filter((s) => s.asClaimed).length;
  const ses = seeds.map((s) => s.se).filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  return {
    rule, seeds, k, n,
    excluded: runs.length - counted.length,
    interval: n > 0 ? wilson(k, n) : null,
    values: meanStd(seeds.map((s) => s.value)),
    typicalSe: ses.length > 0 ? ses[Math.floor(ses.length / 2)] : null,
    // A rule whose threshold cannot be known for some seed (a missing baseline) judges nothing;
    // nor does a crossing rule without the batch size that turns steps into sequences.
    verdict: seeds.some((s) => s.threshold === null) || (rule.kind === 'crossing' && batchSize === null) ? 'not judged' : verdictFromCount(k, n),
  };
}

export function judgeClaim(claim: ResolvedClaim, results: ClaimResults): ClaimJudgement {
  const rules = claim.rules.map((r) => judgeRule(r, results));
  return { claim, rules, verdict: combineVerdicts(rules.map((r) => r.verdict)) };
}

export function judgeClaims(results: ClaimResults): ClaimJudgement[] {
  return claimsOf(results).map((c) => judgeClaim(c, results));
}
