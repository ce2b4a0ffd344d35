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

describe('verdict sentences: the cases the mutation run found untested', () => {
  it('a variant without runs says so, with no layers and an unknown label', () => {
    expect(verdictFor(resultsWith([{ end: [FLAT] }]), 'no such variant')).toEqual({ variant: 'no such variant', label: 'unknown', sentences: ['No runs.'], layers: [] });
  });

  it('three layers name the middle one plainly; a rising ratio says "rose"; a flat log profile loses 0 decades', () => {
    // Middle layer: [1, 1, 1, 1, 1]: ratio 1, slope exactly 0 (written as lost, >= 0).
    // Top: start ATTENUATED (0.005) -> end FLAT (0.5): log10(0.5 / 0.005) = 2 -> rose by 2 decades.
    const ONES = [1, 1, 1, 1, 1];
    const seed = { end: [FLAT, ONES, FLAT], start: [FLAT, ONES, ATTENUATED] };
    const v = verdictFor(resultsWith([seed, seed, seed]), 'a');
    expect(v.sentences.slice(0, 3)).toEqual([
      // FLAT: log10 = -0.30103, -0.22185, -0.15490, -0.09691, 0; Sxy = 0.60206 + 0.22185 - 0.09691 = 0.727, slope 0.0727 -> 0.073.
      'Layer 0 (bottom): at the end of training the gradient at t=1 is 0.5 of that at t=T (0.073 decades lost per step back): it stays above 1e-6 of ‖dL/dh_T‖ over all 5 steps — preserved. At the start it was 0.5 (reach 5/5, preserved); the ratio changed by less than half a decade during training.',
      'Layer 1: at the end of training the gradient at t=1 is 1 of that at t=T (0 decades lost per step back): it stays above 1e-6 of ‖dL/dh_T‖ over all 5 steps — preserved. At the start it was 1 (reach 5/5, preserved); the ratio changed by less than half a decade during training.',
      'Layer 2 (top): at the end of training the gradient at t=1 is 0.5 of that at t=T (0.073 decades lost per step back): it stays above 1e-6 of ‖dL/dh_T‖ over all 5 steps — preserved. At the start it was 0.005 (reach 5/5, attenuated); during training the ratio rose by 2 decades.',
    ]);
  });

  it('a start ratio of 0 gives no change clause; a seed with fewer layers leaves the others to speak for a layer', () => {
    // Start [0, 1, 1, 1, 1]: ratio 0 (t=1 underflowed), reach 4 (t=1 is below 1e-6 of t=T).
    const v = verdictFor(resultsWith([
      { end: [FLAT, FLAT], start: [[0, 1, 1, 1, 1]] },
      { end: [FLAT], start: [[0, 1, 1, 1, 1]] },
      { end: [FLAT], start: [[0, 1, 1, 1, 1]] },
    ]), 'a');
    expect(v.sentences[0]).toBe('Layer 0 (bottom): at the end of training the gradient at t=1 is 0.5 of that at t=T (0.073 decades lost per step back): it stays above 1e-6 of ‖dL/dh_T‖ over all 5 steps — preserved. At the start it was 0 (reach 4/5, vanishing).');
    // Layer 1 exists in one seed only: its verdict is that seed's, and it has no start profile.
    expect(v.layers.map((l) => [l.layer, l.start === null])).toEqual([[0, false], [1, true]]);
  });

  it('diverged and interrupted seeds are listed with commas, an unknown divergence step as "?"', () => {
    const v = verdictFor(resultsWith([
      { end: [FLAT], patch: { status: 'diverged', divergedAtStep: 3, metrics: {} } },
      { end: [FLAT], patch: { status: 'diverged', metrics: {} } },
      { end: [FLAT], patch: { status: 'interrupted', stepsRun: 2, metrics: {} } },
      { end: [FLAT], patch: { status: 'interrupted', stepsRun: 6, metrics: {} } },
    ]), 'a');
    expect(v.sentences.slice(1)).toEqual([
      '2 of 4 seeds diverged (seed 0 at step 3, seed 1 at step ?).',
      '2 of 4 seeds did not finish (interrupted after 2, 6 steps; resume to complete them): what is said here holds only for what they logged.',
    ]);
  });

  it('every seed beating the baseline adds no qualifier; non-finite losses and standard errors are left out; no loss baseline, no sentence', () => {
    // Scored: seeds 0 and 1 (seed 2's loss is Infinity). Median loss (0.01 + 0.03) / 2 = 0.02; the
    // SEs: 0.001 and Infinity (left out) -> median 0.001, margin 0.002. Both beat 1/6 by far.
    const results = resultsWith([
      { end: [FLAT], patch: { metrics: { loss: 0.01 }, metricErrors: { loss: 0.001 } } },
      { end: [FLAT], patch: { metrics: { loss: 0.03 }, metricErrors: { loss: Infinity } } },
      { end: [FLAT], patch: { metrics: { loss: Infinity }, metricErrors: { loss: 0.001 } } },
    ]);
    expect(verdictFor(results, 'a').sentences.at(-1)).toBe('Final loss 0.02 (median): compared by more than 2 standard errors of the test estimate (margin ≈ 0.002), it beats the baseline 0.167 in 2 of 2 seeds.');
    const otherMetric = { ...results, baselines: results.baselines!.map((b) => ({ ...b, metric: 'accuracy' })) };
    expect(verdictFor(otherMetric as Results, 'a').sentences).toHaveLength(1); // the profile only
  });

  it('profiles logged but none summarised, or summaries without logged profiles: nothing to say about reach', () => {
    const none = resultsWith([{ end: [FLAT] }, { end: [FLAT] }, { end: [FLAT] }]);
    none.runs.forEach((r) => (r.summary = null));
    const noLog = resultsWith([{ end: [FLAT] }, { end: [FLAT] }, { end: [FLAT] }]);
    noLog.runs.forEach((r) => r.log.forEach((e) => (e.dLdh = [])));
    for (const r of [none, noLog]) {
      expect(verdictFor(r, 'a').sentences[0]).toBe('No gradient profile was recorded, so nothing can be said about how far back the gradient reaches.');
      expect(verdictFor(r, 'a').label).toBe('unknown');
    }
  });
});

describe('verdict sentences: the survivors of the second mutation run', () => {
  const three = (): Results => resultsWith([{ end: [FLAT], start: [FLAT] }, { end: [FLAT], start: [FLAT] }, { end: [FLAT], start: [FLAT] }]);

  it('an undetermined profile (it reaches every step but has no finite ratio) says so and claims no reach', () => {
    // A summary as another writer may leave it: reach 5 of 5, no ratio, no slope.
    const r = three();
    for (const run of r.runs) run.summary!.reachAtEnd = [{ reach: 5, firstToLast: null, decadesPerStep: null }];
    const v = verdictFor(r, 'a');
    expect(v.sentences[0]).toBe('At the end of training the gradient at t=1 has no finite ratio to that at t=T — undetermined. At the start it was 0.5 (reach 5/5, preserved).');
    expect(v.label).toBe('unknown');
  });

  it('log entries without a profile (or with a null layer) do not make one up; runs without a summary, or summaries without profiles, are skipped', () => {
    const noProfile = three();
    for (const run of noProfile.runs) for (const e of run.log) (e as { dLdh?: unknown }).dLdh = undefined;
    noProfile.runs[0].log[0].dLdh = [null] as unknown as Num[][];
    expect(verdictFor(noProfile, 'a').sentences[0]).toBe('No gradient profile was recorded, so nothing can be said about how far back the gradient reaches.');
    const partial = three();
    (partial.runs[0] as { summary?: unknown }).summary = undefined;
    partial.runs[1].summary = {} as RunResult['summary'];
    // Seed 2 alone speaks: FLAT at the end and at the start (ratio 0.5 both: no change).
    const v = verdictFor(partial, 'a');
    expect(v.layers).toEqual([{ layer: 0, T: 5, start: { reach: 5, ratio: 0.5, label: 'preserved' }, end: { reach: 5, ratio: 0.5, label: 'preserved' } }]);
  });

  it('an end ratio of 0 gives no change clause; a change of exactly half a decade is "rose by 0.5 decades"', () => {
    // End [0, 1, 1, 1, 1]: ratio 0, reach 4 of 5. A change from 0.5 to 0 has no finite size.
    const zero = verdictFor(resultsWith([0, 1, 2].map(() => ({ end: [[0, 1, 1, 1, 1]], start: [FLAT] }))), 'a');
    expect(zero.sentences[0]).toMatch(/At the start it was 0\.5 \(reach 5\/5, preserved\)\.$/);
    // Start ratio 1, end ratio sqrt(10) = 3.1622776601683795: Math.log10 of it is exactly 0.5.
    const half = verdictFor(resultsWith([0, 1, 2].map(() => ({ end: [[Math.sqrt(10), 1, 1, 1, 1]], start: [[1, 1, 1, 1, 1]] }))), 'a');
    expect(half.sentences[0]).toMatch(/; during training the ratio rose by 0\.5 decades\.$/);
  });

  it('a run without metrics is not scored; a NaN standard error is left out of the margin', () => {
    const r = resultsWith([
      { end: [FLAT], patch: { metrics: { loss: 0.01 }, metricErrors: { loss: 0.001 } } },
      { end: [FLAT], patch: { metrics: { loss: 0.03 }, metricErrors: { loss: Number.NaN } } },
      { end: [FLAT], patch: { status: 'failed' } },
    ]);
    (r.runs[2] as { metrics?: unknown }).metrics = undefined;
    // Scored: seeds 0 and 1. Median loss 0.02; SEs 0.001 (NaN left out) -> margin 0.002.
    expect(verdictFor(r, 'a').sentences.at(-1)).toBe('Final loss 0.02 (median): compared by more than 2 standard errors of the test estimate (margin ≈ 0.002), it beats the baseline 0.167 in 2 of 2 seeds.');
    // With every SE NaN there is none: compared as points, not with a margin of 0.
    r.runs[0].metricErrors = { loss: Number.NaN };
    expect(verdictFor(r, 'a').sentences.at(-1)).toBe('Final loss 0.02 (median): compared as points (no standard error was recorded), it beats the baseline 0.167 in 2 of 2 seeds.');
  });
});
