import { describe, expect, it } from 'vitest';
import { gradientReach } from '../../src/diagnostics/gradientReach.ts';
import type { Num, Results, RunResult } from '../../src/experiment/results.ts';
import { verdictFor } from '../../src/report/verdict.ts';
import { syntheticResults } from './fixtures.ts';

/**
 * The verdict sentences a report prints under each variant, whole. Every number in them is worked
 * out by hand in the comments (fmt: 2 significant digits for ratios and slopes, 3 for losses), so a
 * changed median, sign, margin, plural or layer name changes an expectation.
 */

/** Three seeds of one variant at T = 5; each seed's layers get the given end (and start) profiles. */
function resultsWith(seeds: { end: Num[][]; start?: Num[][]; patch?: Partial<RunResult> }[]): Results {
  const r = syntheticResults({
    experiment: 'sentences', description: '', T: 5, steps: 10, logEvery: 5, seeds: seeds.map((_, i) => i),
    variants: [{ name: 'a', description: '', cell: 'rnn_tanh', decay: [0.1, 0.1], finalLoss: 0.2, sigma: [1, 1] }],
  });
  r.runs.forEach((run, i) => {
    const s = seeds[i];
    for (const e of run.log) e.dLdh = s.end.map((p) => p.slice());
    run.summary!.reachAtEnd = s.end.map((p) => gradientReach(p));
    run.summary!.reachAtStart = (s.start ?? []).map((p) => gradientReach(p));
    Object.assign(run, s.patch ?? {});
  });
  return r;
}

// Vanishing: back from t=5, 1, 1e-2 and 1e-4 are >= 1e-6, 1e-7 is not: reach 3 (back to t=3).
// log10 = -9, -7, -4, -2, 0 on t = 1..5: Sxy = 18 + 7 - 2 = 23, Sxx = 10, slope 2.3 decades per step.
const VANISHING = [1e-9, 1e-7, 1e-4, 1e-2, 1];
// Reaches all 5 steps, ratio 0.5: preserved.
const FLAT = [0.5, 0.6, 0.7, 0.8, 1];
// Ratio 1000 > 1e2: growing. log10 = 3, 2, 1, 0, 0: Sxy = -6 - 2 + 0 + 0 = -8, slope -0.8 (gained).
const GROWING = [1000, 100, 10, 1, 1];
// Ratio 0.005 < 1e-2: attenuated. log10 = -2.30103, -2, -1, -0.30103, 0:
// Sxy = 4.60206 + 2 - 0.30103 = 6.30103, slope 0.630103 -> 0.63.
const ATTENUATED = [0.005, 0.01, 0.1, 0.5, 1];

describe('verdict sentences, whole', () => {
  it('one layer: medians over seeds, the seeds that disagree, the change since the start, divergence and the baseline margin', () => {
    const v = verdictFor(resultsWith([
      { end: [VANISHING], start: [FLAT], patch: { metrics: { loss: 0.01 }, metricErrors: { loss: 0.001 } } },
      { end: [VANISHING], start: [FLAT], patch: { status: 'diverged', divergedAtStep: 7, metrics: { loss: null } } },
      { end: [FLAT], start: [FLAT], patch: { metrics: { loss: 0.16 }, metricErrors: { loss: 0.01 } } },
    ]), 'a');
    expect(v.label).toBe('vanishing');
    expect(v.sentences).toEqual([
      // Medians: ratio (1e-9, 1e-9, 0.5) -> 1e-9; reach (3, 3, 5) -> 3; slope (2.3, 2.3, ·) -> 2.3.
      // Start: 0.5 everywhere; log10(1e-9 / 0.5) = -8.69897 -> fell by 8.7 decades.
      'At the end of training the gradient at t=1 is 1e-9 of that at t=T (2.3 decades lost per step back): it stays above 1e-6 of ‖dL/dh_T‖ only over the last 3 of 5 steps (back to t=3) — vanishing (seeds disagree: 2 vanishing, 1 preserved). At the start it was 0.5 (reach 5/5, preserved); during training the ratio fell by 8.7 decades.',
      '1 of 3 seeds diverged (seed 1 at step 7).',
      // Scored: seeds 0 and 2 (seed 1 has no loss). Median loss (0.01 + 0.16) / 2 = 0.085; median SE
      // (0.001 + 0.01) / 2 = 0.0055, margin 0.011. Seed 0: 1/6 - 0.01 = 0.157 > 0.002, beats it;
      // seed 2: 1/6 - 0.16 = 0.0067 < 0.02, at it.
      'Final loss 0.085 (median): compared by more than 2 standard errors of the test estimate (margin ≈ 0.011), it beats the baseline 0.167 in 1 of 2 seeds, is at it (within the margin) in 1 — it beats the baseline only in some seeds.',
    ]);
    expect(v.layers).toEqual([{ layer: 0, T: 5, start: { reach: 5, ratio: 0.5, label: 'preserved' }, end: { reach: 3, ratio: 1e-9, label: 'vanishing' } }]);
  });

  it('two layers named bottom and top, a gradient that grows, one without a start profile, failed and interrupted seeds, no SE', () => {
    const layers = { end: [GROWING, ATTENUATED], start: [GROWING] };
    const v = verdictFor(resultsWith([
      { ...layers, patch: { metrics: { loss: 0.5 }, metricErrors: {} } },
      { ...layers, patch: { status: 'failed', metrics: {} } },
      { ...layers, patch: { status: 'interrupted', stepsRun: 4, metrics: {} } },
    ]), 'a');
    expect(v.label).toBe('growing');
    expect(v.sentences).toEqual([
      'Layer 0 (bottom): at the end of training the gradient at t=1 is 1000 of that at t=T (0.8 decades gained per step back): it stays above 1e-6 of ‖dL/dh_T‖ over all 5 steps — growing. At the start it was 1000 (reach 5/5, growing); the ratio changed by less than half a decade during training.',
      'Layer 1 (top): at the end of training the gradient at t=1 is 0.005 of that at t=T (0.63 decades lost per step back): it stays above 1e-6 of ‖dL/dh_T‖ over all 5 steps — attenuated.',
      '1 of 3 seeds failed.',
      '1 of 3 seeds did not finish (interrupted after 4 steps; resume to complete them): what is said here holds only for what they logged.',
      // Only seed 0 is scored: 0.5 > 1/6, worse; no SE recorded, so compared as points.
      'Final loss 0.5 (median): compared as points (no standard error was recorded), it beats the baseline 0.167 in 0 of 1 seed, is worse than it in 1 — it does not beat the baseline.',
    ]);
  });

  it('below the threshold one step back, and a profile with no finite ratio', () => {
    // A last value of 0 (underflow at t = T) gives reach 0, no ratio and no slope.
    const v = verdictFor(resultsWith([{ end: [[1, 1, 1, 1, 0]] }, { end: [[1, 1, 1, 1, 0]] }, { end: [[1, 1, 1, 1, 0]] }]), 'a');
    expect(v.sentences[0]).toBe('At the end of training the gradient at t=1 has no finite ratio to that at t=T: it is below 1e-6 of ‖dL/dh_T‖ already one step back — vanishing.');
  });
});
