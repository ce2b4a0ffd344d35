import type { GradientReach, Results, RunResult } from '../records/results.ts';
import { REACH_THRESHOLD } from '../diagnostics/gradientReach.ts';
import { MARGIN_SE, sideOf, type Side } from '../claims/statistics.ts';
import { baselinesFor } from '../records/baselines.ts';
import { fmt, median } from './stats.ts';
import { runsOf, variantNames } from './view.ts';

/**
 * A few sentences per variant, read off the runs' summaries (reach, ||dL/dh_1|| / ||dL/dh_T||,
 * decades per step) and statuses. Medians over seeds; the spread is named when seeds disagree.
 * It says what the numbers are, with a label only where a threshold decides it.
 */

export type ReachClass = 'vanishing' | 'attenuated' | 'preserved' | 'growing' | 'unknown';

/** The key numbers of one layer: medians over seeds at the first and the last logged step. */
export interface LayerReach {
  layer: number;
  T: number;
  start: { reach: number; ratio: number | null; label: ReachClass } | null;
  end: { reach: number; ratio: number | null; label: ReachClass };
}

export interface Verdict {
  variant: string;
  /** The headline label, from the bottom layer at the end of training. */
  label: ReachClass;
  sentences: string[];
  layers: LayerReach[];
}

/** Below this ratio a profile that still reaches t = 1 counts as attenuated, not preserved. */
const ATTENUATED_BELOW = 1e-2;
/** Above this ratio the gradient grows going back in time. */
const GROWING_ABOVE = 1e2;

export function classify(r: GradientReach, T: number): ReachClass {
  if (T > 0 && r.reach < T) return 'vanishing';
  if (r.firstToLast === null) return 'unknown';
  if (r.firstToLast < ATTENUATED_BELOW) return 'attenuated';
  if (r.firstToLast > GROWING_ABOVE) return 'growing';
  return 'preserved';
}

function seqLenOf(runs: readonly RunResult[]): number {
  let T = 0;
  for (const r of runs) for (const e of r.log ?? []) for (const row of e.dLdh ?? []) T = Math.max(T, row?.length ?? 0);
  return T;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

interface ReachSummary {
  label: ReachClass;
  ratio: number | null;
  reach: number;
  slope: number | null;
  /** Per-seed labels, when they are not all the same. */
  disagreement: string | null;
}

function summarise(reaches: GradientReach[], T: number): ReachSummary {
  const ratio = median(reaches.map((r) => r.firstToLast));
  const reach = Math.round(median(reaches.map((r) => r.reach)) ?? 0);
  const slope = median(reaches.map((r) => r.decadesPerStep));
  const label = classify({ reach, firstToLast: ratio, decadesPerStep: slope }, T);
  const counts = new Map<ReachClass, number>();
  for (const r of reaches) {
    const l = classify(r, T);
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  const disagreement = counts.size > 1 ? [...counts].map(([l, n]) => `${n} ${l}`).join(', ') : null;
  return { label, ratio, reach, slope, disagreement };
}

/** "the gradient at t=1 is 3e-9 of that at t=T (0.2 decades lost per step back): ... — vanishing" */
function describe(s: ReachSummary, T: number): string {
  const ratio = s.ratio === null ? 'the gradient at t=1 has no finite ratio to that at t=T' : `the gradient at t=1 is ${fmt(s.ratio, 2)} of that at t=T`;
  const slope = s.slope === null ? '' : s.slope >= 0 ? ` (${fmt(s.slope, 2)} decades lost per step back)` : ` (${fmt(-s.slope, 2)} decades gained per step back)`;
  let reach: string;
  if (s.label === 'vanishing') {
    reach = s.reach === 0
      ? `: it is below ${fmt(REACH_THRESHOLD)} of ‖dL/dh_T‖ already one step back`
      : `: it stays above ${fmt(REACH_THRESHOLD)} of ‖dL/dh_T‖ only over the last ${s.reach} of ${T} steps (back to t=${T - s.reach + 1})`;
  } else if (s.label === 'unknown') {
    reach = '';
  } else {
    reach = `: it stays above ${fmt(REACH_THRESHOLD)} of ‖dL/dh_T‖ over all ${T} steps`;
  }
  const label = s.label === 'unknown' ? 'undetermined' : s.label;
  return `${ratio}${slope}${reach} — ${label}${s.disagreement ? ` (seeds disagree: ${s.disagreement})` : ''}`;
}

function layerName(l: number, L: number): string {
  if (L === 1) return '';
  return l === 0 ? 'layer 0 (bottom)' : l === L - 1 ? `layer ${l} (top)` : `layer ${l}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function verdictFor(results: Results, variant: string): Verdict {
  const runs = runsOf(results, variant);
  const T = seqLenOf(runs);
  const sentences: string[] = [];
  const summaries = runs.map((r) => r.summary).filter((s): s is NonNullable<RunResult['summary']> => s !== null && s !== undefined);
  let label: ReachClass = 'unknown';
  if (runs.length === 0) return { variant, label, sentences: ['No runs.'], layers: [] };
  const layers: LayerReach[] = [];
  if (summaries.length === 0 || T === 0) {
    sentences.push('No gradient profile was recorded, so nothing can be said about how far back the gradient reaches.');
  } else {
    const L = Math.max(...summaries.map((s) => s.reachAtEnd?.length ?? 0));
    for (let l = 0; l < L; l++) {
      const end = summaries.map((x) => x.reachAtEnd?.[l]).filter((r): r is GradientReach => r !== undefined);
      const start = summaries.map((x) => x.reachAtStart?.[l]).filter((r): r is GradientReach => r !== undefined);
      if (end.length === 0) continue;
      const e = summarise(end, T);
      if (l === 0) label = e.label;
      const s0 = start.length > 0 ? summarise(start, T) : null;
      layers.push({
        layer: l,
        T,
        start: s0 ? { reach: s0.reach, ratio: s0.ratio, label: s0.label } : null,
        end: { reach: e.reach, ratio: e.ratio, label: e.label },
      });
      const where = layerName(l, L);
      let s = `${where ? `${capitalise(where)}: at` : 'At'} the end of training ${describe(e, T)}.`;
      if (s0) {
        let change = '';
        if (s0.ratio !== null && e.ratio !== null && s0.ratio > 0 && e.ratio > 0) {
          const dec = Math.log10(e.ratio / s0.ratio);
          change = Math.abs(dec) < 0.5 ? '; the ratio changed by less than half a decade during training' : `; during training the ratio ${dec > 0 ? 'rose' : 'fell'} by ${fmt(Math.abs(dec), 2)} decades`;
        }
        s += ` At the start it was ${fmt(s0.ratio, 2)} (reach ${s0.reach}/${T}, ${s0.label})${change}.`;
      }
      sentences.push(s);
    }
  }
  // Statuses.
  const diverged = runs.filter((r) => r.status === 'diverged');
  const failed = runs.filter((r) => r.status === 'failed');
  if (diverged.length > 0) {
    sentences.push(`${diverged.length} of ${plural(runs.length, 'seed')} diverged (${diverged.map((r) => `seed ${r.seed} at step ${r.divergedAtStep ?? '?'}`).join(', ')}).`);
  }
  if (failed.length > 0) sentences.push(`${failed.length} of ${plural(runs.length, 'seed')} failed.`);
  const interrupted = runs.filter((r) => r.status === 'interrupted');
  if (interrupted.length > 0) {
    sentences.push(`${interrupted.length} of ${plural(runs.length, 'seed')} did not finish (interrupted after ${interrupted.map((r) => r.stepsRun).join(', ')} steps; resume to complete them): what is said here holds only for what they logged.`);
  }
  // The task's loss baseline, judged with the test estimate's sampling error.
  const base = baselinesFor(results.baselines, variant).find((b) => b.metric === 'loss');
  if (base) {
    const scored = runs.filter((r) => typeof r.metrics?.loss === 'number' && Number.isFinite(r.metrics.loss));
    if (scored.length > 0) sentences.push(baselineSentence(scored, base.value));
  }
  return { variant, label, sentences, layers };
}

/**
 * "beats the baseline in k of n seeds": a seed beats it only when its test loss is below by more
 * than MARGIN_SE standard errors of the test estimate (claims/statistics.ts); closer than that it
 * is at the baseline, whatever the sign of the difference.
 */
function baselineSentence(scored: readonly RunResult[], baseline: number): string {
  const sides = scored.map((r) => sideOf(r.metrics.loss, r.metricErrors?.loss ?? null, baseline, 'below'));
  const count = (side: Side): number => sides.filter((x) => x === side).length;
  const ses = scored.map((r) => r.metricErrors?.loss).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const m = median(scored.map((r) => r.metrics.loss));
  const n = plural(scored.length, 'seed');
  const margin = ses.length > 0
    ? `by more than ${MARGIN_SE} standard errors of the test estimate (margin ≈ ${fmt(MARGIN_SE * (median(ses) ?? 0), 2)})`
    : 'as points (no standard error was recorded)';
  const parts = [`beats the baseline ${fmt(baseline)} in ${count('beyond')} of ${n}`];
  if (count('within') > 0) parts.push(`is at it (within the margin) in ${count('within')}`);
  if (count('short') > 0) parts.push(`is worse than it in ${count('short')}`);
  const lead = count('beyond') === 0 ? ' — it does not beat the baseline' : count('beyond') < scored.length ? ' — it beats the baseline only in some seeds' : '';
  return `Final loss ${fmt(m)} (median): compared ${margin}, it ${parts.join(', ')}${lead}.`;
}

export function verdicts(results: Results): Verdict[] {
  return variantNames(results).map((v) => verdictFor(results, v));
}

