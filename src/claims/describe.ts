import { baselinesFor } from '../records/baselines.ts';
import { fmt } from '../report/stats.ts';
import type { ClaimResults, RuleJudgement, SeedOutcome } from './judge.ts';
import type { Rule } from './schema.ts';
import { MARGIN_SE, MIN_SEEDS } from './statistics.ts';

/** Words for rules and their outcomes: what the claim tables print next to each claim. */

/** "the baseline 0.167", "0.99", "1.1 x lstsqMse of the same run". */
export function thresholdText(rule: Rule, results: ClaimResults): string {
  const times = rule.times !== undefined && rule.times !== 1 ? `${fmt(rule.times)} × ` : '';
  if (typeof rule.than === 'number') return fmt(rule.than * (rule.times ?? 1), 4);
  if (rule.than === 'baseline') {
    const b = baselinesFor(results.baselines, rule.variant).find((x) => x.metric === rule.metric);
    return b ? `${times}the baseline ${fmt(b.value, 4)}` : `${times}the task's baseline (none recorded)`;
  }
  return `${times}the run's own ${rule.than.metric}`;
}

/** The per-seed criterion and the outcome the claim predicts, in one sentence. */
export function ruleText(rule: Rule, results: ClaimResults): string {
  const where = `${rule.variant}: `;
  const threshold = thresholdText(rule, results);
  if (rule.kind === 'final') {
    const margin = typeof rule.than === 'object'
      ? ' (both on the same test sequences: compared as numbers)'
      : ` by more than ${MARGIN_SE} standard errors of the test estimate`;
    const criterion = `test ${rule.metric} ${rule.direction} ${threshold}${margin}`;
    return rule.expect === 'success'
      ? `${where}${criterion}.`
      : `${where}not (${criterion}): the claim predicts it fails.`;
  }
  const criterion = `validation ${rule.metric} ${rule.direction} ${threshold} within ${rule.sequences.toLocaleString('en-US')} training sequences (steps × batch size)`;
  return rule.expect === 'success' ? `${where}${criterion}.` : `${where}not (${criterion}): the claim predicts it fails.`;
}

/** What was measured, in a line: mean ± std of the values, the margin, and k of n. */
export function measuredText(j: RuleJudgement): string {
  const what = j.rule.kind === 'final' ? `test ${j.rule.metric}` : 'sequences until crossed';
  const v = j.values;
  const value = v.mean === null
    ? `${what}: no finite value`
    : `${what} ${fmt(v.mean)}${v.std !== null ? ` ± ${fmt(v.std, 2)}` : ''} (mean ± std over ${v.n} seed${v.n === 1 ? '' : 's'}${v.n < j.n ? ` with a value; ${j.n - v.n} without` : ''})`;
  const margin = j.typicalSe !== null && typeof j.rule.than !== 'object' ? `; margin ${MARGIN_SE} × SE ≈ ${fmt(MARGIN_SE * j.typicalSe, 2)}` : '';
  const shown = j.rule.expect === 'success' ? 'succeed' : 'fail';
  const interval = j.interval ? ` (Wilson 95%: ${fmt(j.interval.lo, 2)}–${fmt(j.interval.hi, 2)})` : '';
  const excluded = j.excluded > 0 ? `; ${j.excluded} unfinished or failed run${j.excluded === 1 ? '' : 's'} not counted` : '';
  return `${value}${margin}; as claimed (${shown}) in ${j.k} of ${j.n} seeds${interval}${excluded}`;
}

/** One seed's line for the details list. */
export function seedText(rule: Rule, s: SeedOutcome): string {
  const value = rule.kind === 'final'
    ? `${fmt(s.value, 4)}${s.se !== null ? ` ± ${fmt(s.se, 2)} (SE)` : ''}`
    : s.value === null ? 'never crossed' : `${s.value.toLocaleString('en-US')} sequences`;
  const side = s.side === null ? '' : s.side === 'beyond' ? `, ${rule.direction} ${fmt(s.threshold, 4)} beyond the margin` : s.side === 'within' ? `, within the margin of ${fmt(s.threshold, 4)}` : `, not ${rule.direction} ${fmt(s.threshold, 4)}`;
  const status = s.status === 'ok' ? '' : ` [${s.status}]`;
  return `seed ${s.seed}: ${value}${side}${status} — ${s.asClaimed ? 'as claimed' : 'not as claimed'}`;
}

/** Said above a table of verdicts from a --quick run. */
export const QUICK_WARNING = 'A --quick run: a smoke-test budget (a few steps, tiny models). These verdicts judge that budget, not the claims; run the full size for those.';

/** The verdict rule, once per table. */
export const VERDICT_RULE = `Each rule counts the seeds that show the outcome the claim predicts (k of n). `
  + `Reproduced: the Wilson 95% interval of that rate lies above 1/2; not reproduced: it lies below 1/2; partly: it contains 1/2 `
  + `(with 5 seeds: 5 of 5 reproduced, 0 of 5 not reproduced). Fewer than ${MIN_SEEDS} seeds: not judged. `
  + `A claim with several rules takes the weakest verdict. A test metric counts as beyond a threshold only by more than `
  + `${MARGIN_SE} standard errors (SE = sd of the per-sequence values / √n over the n test sequences).`;
