/**
 * The two pieces of statistics every verdict uses, in one place so that the report's sentences
 * and the claim tables draw the same lines.
 *
 * 1. One seed's test metric against a threshold: the metric is a mean over n independent test
 *    sequences, so it carries a standard error SE (tasks/standardErrors.ts). It is "beyond" the
 *    threshold only when it is on the claimed side by more than MARGIN_SE standard errors, "short"
 *    when it is on the other side by more than that, and "within" otherwise: a difference smaller
 *    than two standard errors is what a different test set of the same size could undo (two-sided
 *    95% under the normal approximation, which holds for the test sizes used here, n >= 256).
 *    Example: adding, T = 200, 256 test sequences, a tanh RNN at MSE 0.1654 against the baseline
 *    1/6: SE ~ 0.012, so the margin is ~0.025 and 0.1654 is "within" (at the baseline).
 *
 * 2. How many of n seeds showed an outcome: k of n is a binomial sample of the rate at which a
 *    fresh seed shows it. Its Wilson score interval (95%) is held against 1/2: the outcome is
 *    what the method does "as a rule" when the whole interval lies above 1/2, and it does not
 *    when the whole interval lies below. With 5 seeds, 5 of 5 gives [0.57, 1] and 0 of 5 gives
 *    [0, 0.43]; 1 to 4 of 5 leave it open.
 */

/** Standard errors a difference must exceed to count. */
export const MARGIN_SE = 2;
/** z for the two-sided 95% Wilson interval. */
export const WILSON_Z = 1.959963984540054;
/** Fewer seeds than this are not judged: even k = n leaves the Wilson interval reaching below 1/2. */
export const MIN_SEEDS = 3;

export type Side = 'beyond' | 'within' | 'short';

/**
 * Where `value` lies relative to `threshold` in `direction`, with a margin of MARGIN_SE x se
 * (se null or 0: no margin, a point comparison). NaN/null values are "short": a diverged run did
 * not reach anything.
 */
export function sideOf(value: number | null, se: number | null, threshold: number, direction: 'below' | 'above'): Side {
  if (value === null || !Number.isFinite(value)) return 'short';
  const margin = MARGIN_SE * (se !== null && Number.isFinite(se) ? se : 0);
  const ahead = direction === 'below' ? threshold - value : value - threshold;
  if (ahead > margin) return 'beyond';
  if (ahead < -margin) return 'short';
  return 'within';
}

export interface Interval {
  lo: number;
  hi: number;
}

/** Wilson score interval for k successes in n trials (n >= 1). */
export function wilson(k: number, n: number, z = WILSON_Z): Interval {
  if (!(Number.isInteger(k) && Number.isInteger(n) && n >= 1 && k >= 0 && k <= n)) throw new Error(`wilson: need integers 0 <= k <= n, n >= 1, got k=${k}, n=${n}`);
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamp the rounding at the ends: k = 0 gives lo = 0 and k = n gives hi = 1 exactly.
  return { lo: k === 0 ? 0 : Math.max(0, centre - half), hi: k === n ? 1 : Math.min(1, centre + half) };
}

export type ClaimVerdict = 'reproduced' | 'partly' | 'not reproduced' | 'not judged';

/** The verdict from k of n seeds showing the predicted outcome (see the file comment). */
export function verdictFromCount(k: number, n: number): ClaimVerdict {
  if (n < MIN_SEEDS) return 'not judged';
  const { lo, hi } = wilson(k, n);
  if (lo > 0.5) return 'reproduced';
  if (hi < 0.5) return 'not reproduced';
  return 'partly';
}

/** Several rules that must all hold: any "not reproduced" decides, then any "not judged", then
 * any "partly"; all "reproduced" is reproduced. */
export function combineVerdicts(verdicts: readonly ClaimVerdict[]): ClaimVerdict {
  if (verdicts.length === 0) return 'not judged';
  for (const v of ['not reproduced', 'not judged', 'partly'] as const) if (verdicts.includes(v)) return v;
  return 'reproduced';
}
