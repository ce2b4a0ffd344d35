import { describe, expect, it } from 'vitest';
import { gradientReach } from '../../src/diagnostics/gradientReach.ts';
import type { Num, Results } from '../../src/experiment/results.ts';
import { classify, verdictFor, type ReachClass } from '../../src/report/verdict.ts';
import { syntheticResults } from './fixtures.ts';

/**
 * The thresholds classify() applies, each tested on both sides with literal labels:
 *   reach < T (some t has ||dL/dh_t|| < 1e-6 of ||dL/dh_T||)   → vanishing   (reach T-1 is vanishing, reach T is not)
 *   firstToLast null                                           → unknown
 *   firstToLast < 1e-2                                         → attenuated  (1e-2 itself is preserved)
 *   firstToLast > 1e2                                          → growing     (1e2 itself is preserved)
 *   otherwise                                                  → preserved
 * No expectation is read from the code under test.
 */

const T = 5;

/** One variant, one seed, whose every logged dL/dh profile (one layer) is `profile`. */
function resultsWith(profile: Num[]): Results {
  const r = syntheticResults({
    experiment: 'boundaries', description: '', T: profile.length, steps: 10, logEvery: 10, seeds: [0],
    variants: [{ name: 'a', description: '', cell: 'rnn_tanh', decay: [0.1, 0.1], finalLoss: 0.2, sigma: [1, 1] }],
  });
  for (const run of r.runs) {
    for (const e of run.log) e.dLdh = [profile.slice()];
    run.summary!.reachAtStart = [gradientReach(profile)];
    run.summary!.reachAtEnd = [gradientReach(profile)];
  }
  return r;
}

function labelOf(profile: Num[]): ReachClass {
  const v = verdictFor(resultsWith(profile), 'a');
  expect(v.layers[0].end.label).toBe(v.label);
  expect(v.sentences[0]).toContain(`— ${v.label === 'unknown' ? 'undetermined' : v.label}`);
  return v.label;
}

describe('verdict: vanishing is reach < T', () => {
  it('reach T-1 (only t=1 below 1e-6 of ||dL/dh_T||) is vanishing; reach T is not', () => {
    // t=1: 5e-7 < 1e-6 → reach 4 of 5.
    const v4 = verdictFor(resultsWith([5e-7, 1e-5, 1e-3, 0.1, 1]), 'a');
    expect(v4.layers[0].end.reach).toBe(4);
    expect(v4.label).toBe('vanishing');
    expect(v4.sentences[0]).toContain('only over the last 4 of 5 steps (back to t=2)');
    // t=1: exactly 1e-6 → reach 5 of 5: not vanishing; its ratio 1e-6 < 1e-2 makes it attenuated.
    const v5 = verdictFor(resultsWith([1e-6, 1e-5, 1e-3, 0.1, 1]), 'a');
    expect(v5.layers[0].end.reach).toBe(5);
    expect(v5.label).toBe('attenuated');
    expect(v5.sentences[0]).toContain('over all 5 steps');
    // Just below / just above 1e-6 at t=1.
    expect(labelOf([0.9999999e-6, 1e-5, 1e-3, 0.1, 1])).toBe('vanishing');
    expect(labelOf([1.0000001e-6, 1e-5, 1e-3, 0.1, 1])).toBe('attenuated');
    // Between 1e-6 and 1e-5: reaches (attenuated, not vanishing).
    expect(labelOf([5e-6, 1e-5, 1e-3, 0.1, 1])).toBe('attenuated');
  });

  it('reach 0 (already below one step back) and a mid-profile drop are vanishing', () => {
    const v0 = verdictFor(resultsWith([1, 1, 1, 1e-7, 1]), 'a');
    expect(v0.layers[0].end.reach).toBe(1);
    expect(v0.label).toBe('vanishing');
    expect(classify({ reach: 0, firstToLast: 1, decadesPerStep: 0 }, T)).toBe('vanishing');
  });

  it('classify on literal summaries: reach T-1 vanishing, reach T by its ratio', () => {
    expect(classify({ reach: T - 1, firstToLast: 1, decadesPerStep: 0 }, T)).toBe('vanishing');
    expect(classify({ reach: T - 1, firstToLast: 1000, decadesPerStep: -0.5 }, T)).toBe('vanishing');
    expect(classify({ reach: T, firstToLast: 1, decadesPerStep: 0 }, T)).toBe('preserved');
    expect(classify({ reach: 1, firstToLast: 1, decadesPerStep: null }, 1)).toBe('preserved');
    expect(classify({ reach: 0, firstToLast: 1, decadesPerStep: null }, 1)).toBe('vanishing');
  });
});

describe('verdict: attenuated below a ratio of 1e-2, preserved from 1e-2', () => {
  it('profiles on both sides of 1e-2 (all of them reach t=1)', () => {
    expect(labelOf([0.0099, 0.05, 0.2, 0.5, 1])).toBe('attenuated');
    expect(labelOf([0.002, 0.05, 0.2, 0.5, 1])).toBe('attenuated');
    expect(labelOf([0.00101, 0.05, 0.2, 0.5, 1])).toBe('attenuated');
    expect(labelOf([0.01, 0.05, 0.2, 0.5, 1])).toBe('preserved');
    expect(labelOf([0.0101, 0.05, 0.2, 0.5, 1])).toBe('preserved');
  });

  it('classify on literal ratios around 1e-2 and 1e-3', () => {
    expect(classify({ reach: T, firstToLast: 0.0099999, decadesPerStep: 0.5 }, T)).toBe('attenuated');
    expect(classify({ reach: T, firstToLast: 0.005, decadesPerStep: 0.5 }, T)).toBe('attenuated');
    expect(classify({ reach: T, firstToLast: 0.00099, decadesPerStep: 0.75 }, T)).toBe('attenuated');
    expect(classify({ reach: T, firstToLast: 0.01, decadesPerStep: 0.5 }, T)).toBe('preserved');
    expect(classify({ reach: T, firstToLast: 0.0100001, decadesPerStep: 0.5 }, T)).toBe('preserved');
  });
});

describe('verdict: growing above a ratio of 1e2, preserved up to 1e2', () => {
  it('profiles on both sides of 1e2', () => {
    expect(labelOf([99.9, 20, 5, 2, 1])).toBe('preserved');
    expect(labelOf([100, 20, 5, 2, 1])).toBe('preserved');
    expect(labelOf([100.1, 20, 5, 2, 1])).toBe('growing');
    expect(labelOf([1000, 20, 5, 2, 1])).toBe('growing');
  });

  it('classify on literal ratios around 1e2 and 1e3', () => {
    expect(classify({ reach: T, firstToLast: 100, decadesPerStep: -0.5 }, T)).toBe('preserved');
    expect(classify({ reach: T, firstToLast: 100.0001, decadesPerStep: -0.5 }, T)).toBe('growing');
    expect(classify({ reach: T, firstToLast: 500, decadesPerStep: -0.6 }, T)).toBe('growing');
    expect(classify({ reach: T, firstToLast: 1, decadesPerStep: 0 }, T)).toBe('preserved');
  });
});

describe('verdict: unknown', () => {
  it('a full reach with no ratio, or T = 0 with no ratio, is unknown', () => {
    expect(classify({ reach: T, firstToLast: null, decadesPerStep: null }, T)).toBe('unknown');
    expect(classify({ reach: 0, firstToLast: null, decadesPerStep: null }, 0)).toBe('unknown');
    // T = 0: the reach test is skipped, the ratio still decides.
    expect(classify({ reach: 0, firstToLast: 0.5, decadesPerStep: null }, 0)).toBe('preserved');
    expect(classify({ reach: 0, firstToLast: 0.001, decadesPerStep: null }, 0)).toBe('attenuated');
  });

  it('a profile whose ||dL/dh_T|| is null or 0 is vanishing (reach 0), not unknown', () => {
    expect(labelOf([1, 1, 1, 1, null])).toBe('vanishing');
    expect(labelOf([1, 1, 1, 1, 0])).toBe('vanishing');
  });
});
