import { describe, expect, it } from 'vitest';
import { measuredText, ruleText, seedText, thresholdText } from '../../src/claims/describe.ts';
import type { RuleJudgement, SeedOutcome } from '../../src/claims/judge.ts';
import type { Rule } from '../../src/claims/schema.ts';
import { beatsBaseline, results } from './fixtures.ts';

/**
 * The words every claim table prints, whole: a reader takes the rule and the measurement from
 * these lines, so a changed word, number format or margin is a changed report. Each expectation
 * is written out by hand from the rule, not produced by the code under test.
 */

const withBaseline = results([]); // loss baseline 1/6 = 0.16666…, printed to 4 digits: 0.1667
const accuracyAbove: Rule = { kind: 'final', variant: 'lstm', metric: 'accuracy', direction: 'above', than: 0.99, expect: 'success' };
const withinTenPercent: Rule = { kind: 'final', variant: 'lstm', metric: 'mse', direction: 'below', than: { metric: 'lstsqMse' }, times: 1.1, expect: 'success' };
const crossing: Rule = { kind: 'crossing', variant: 'lstm', metric: 'accuracy', direction: 'above', than: 0.99, sequences: 74000, expect: 'success' };

describe('thresholdText', () => {
  it('a number (times folded in), the baseline (times as a factor), a missing baseline, another metric', () => {
    expect(thresholdText(accuracyAbove, withBaseline)).toBe('0.99');
    expect(thresholdText({ ...accuracyAbove, times: 0.5 }, withBaseline)).toBe('0.495');
    expect(thresholdText(beatsBaseline, withBaseline)).toBe('the baseline 0.1667');
    expect(thresholdText({ ...beatsBaseline, times: 1 }, withBaseline)).toBe('the baseline 0.1667');
    expect(thresholdText({ ...beatsBaseline, times: 2 }, withBaseline)).toBe('2 × the baseline 0.1667');
    expect(thresholdText({ ...beatsBaseline, metric: 'accuracy' }, withBaseline)).toBe("the task's baseline (none recorded)");
    expect(thresholdText({ ...beatsBaseline, metric: 'accuracy', times: 2 }, withBaseline)).toBe("2 × the task's baseline (none recorded)");
    expect(thresholdText(withinTenPercent, withBaseline)).toBe("1.1 × the run's own lstsqMse");
  });
});

describe('ruleText', () => {
  it('final rules: the margin in words, or "compared as numbers" for a threshold from the same run', () => {
    expect(ruleText(beatsBaseline, withBaseline)).toBe('lstm: test loss below the baseline 0.1667 by more than 2 standard errors of the test estimate.');
    expect(ruleText({ ...beatsBaseline, variant: 'rnn', expect: 'failure' }, withBaseline))
      .toBe('rnn: not (test loss below the baseline 0.1667 by more than 2 standard errors of the test estimate): the claim predicts it fails.');
    expect(ruleText(withinTenPercent, withBaseline))
      .toBe("lstm: test mse below 1.1 × the run's own lstsqMse (both on the same test sequences: compared as numbers).");
  });

  it('crossing rules: the budget in training sequences, with a thousands separator', () => {
    expect(ruleText(crossing, withBaseline)).toBe('lstm: validation accuracy above 0.99 within 74,000 training sequences (steps × batch size).');
    expect(ruleText({ ...crossing, expect: 'failure' }, withBaseline))
      .toBe('lstm: not (validation accuracy above 0.99 within 74,000 training sequences (steps × batch size)): the claim predicts it fails.');
  });
});

function judgement(rule: Rule, part: Partial<RuleJudgement>): RuleJudgement {
  return { rule, seeds: [], k: 0, n: 0, excluded: 0, interval: null, values: { mean: null, std: null, n: 0 }, typicalSe: null, verdict: 'not judged', ...part };
}

describe('measuredText', () => {
  it('mean ± std, the margin (2 × the median SE), k of n and the Wilson interval', () => {
    const j = judgement(beatsBaseline, { k: 4, n: 5, interval: { lo: 0.3755, hi: 0.9638 }, values: { mean: 0.0321, std: 0.0123, n: 5 }, typicalSe: 0.004 });
    expect(measuredText(j)).toBe('test loss 0.0321 ± 0.012 (mean ± std over 5 seeds); margin 2 × SE ≈ 0.008; as claimed (succeed) in 4 of 5 seeds (Wilson 95%: 0.38–0.96)');
  });

  it('seeds without a value, no std, a failure claim, and runs left uncounted', () => {
    const j = judgement({ ...crossing, expect: 'failure' }, { k: 3, n: 5, excluded: 1, values: { mean: 28408, std: null, n: 1 } });
    expect(measuredText(j)).toBe('sequences until crossed 2.84e4 (mean ± std over 1 seed with a value; 4 without); as claimed (fail) in 3 of 5 seeds; 1 unfinished or failed run not counted');
  });

  it('no finite value; a same-run threshold prints no margin even when SEs are known', () => {
    const j = judgement(withinTenPercent, { k: 0, n: 2, excluded: 2, interval: { lo: 0, hi: 0.6576 }, typicalSe: 0.01 });
    expect(measuredText(j)).toBe('test mse: no finite value; as claimed (succeed) in 0 of 2 seeds (Wilson 95%: 0–0.66); 2 unfinished or failed runs not counted');
  });
});

describe('seedText', () => {
  const seed = (part: Partial<SeedOutcome>): SeedOutcome => ({ seed: 0, status: 'ok', value: null, se: null, threshold: 1 / 6, side: null, asClaimed: false, ...part });

  it('final: the value to 4 digits with its SE, and which side of the margin it fell', () => {
    expect(seedText(beatsBaseline, seed({ seed: 3, value: 0.01234567, se: 0.00123, side: 'beyond', asClaimed: true })))
      .toBe('seed 3: 0.01235 ± 0.0012 (SE), below 0.1667 beyond the margin — as claimed');
    expect(seedText(beatsBaseline, seed({ value: 0.16, side: 'within' })))
      .toBe('seed 0: 0.16, within the margin of 0.1667 — not as claimed');
    expect(seedText(beatsBaseline, seed({ seed: 2, status: 'diverged', side: 'short' })))
      .toBe('seed 2: —, not below 0.1667 [diverged] — not as claimed');
    expect(seedText(accuracyAbove, seed({ value: 0.5, threshold: 0.99, side: 'short' })))
      .toBe('seed 0: 0.5, not above 0.99 — not as claimed');
  });

  it('crossing: the sequences it took, or never crossed', () => {
    expect(seedText(crossing, seed({ seed: 1, value: 28810, threshold: 0.99, asClaimed: true }))).toBe('seed 1: 28,810 sequences — as claimed');
    expect(seedText(crossing, seed({ seed: 1, threshold: 0.99 }))).toBe('seed 1: never crossed — not as claimed');
  });
});
