import { describe, expect, it } from 'vitest';
import { judgeRule } from '../../src/claims/judge.ts';
import type { Rule } from '../../src/claims/schema.ts';
import type { LogEntry, Results } from '../../src/records/results.ts';
import { results, run } from './fixtures.ts';

/**
 * Where a rule's threshold and a crossing's sequence count come from, with hand-worked numbers:
 * the baseline of the rule's own metric times its factor, another metric of the same run, the
 * validation loss of either log format, and the batch size of the rule's own variant.
 */

/** The fixture's results with the two variants at different batch sizes (lstm 8, rnn 4). */
function withBatchSizes(r: Results): Results {
  return { ...r, config: { ...(r.config as object), variants: [{ name: 'lstm', batchSize: 8 }, { name: 'rnn', batchSize: 4 }] } } as Results;
}

describe('judgeRule thresholds', () => {
  it("the baseline of the rule's own metric, times the factor (not another metric's baseline)", () => {
    const rule: Rule = { kind: 'final', variant: 'lstm', metric: 'loss', direction: 'below', than: 'baseline', times: 2, expect: 'success' };
    // Five seeds: 5 of 5 is reproduced (3 of 3 would only be partly: its Wilson interval reaches 0.44).
    const r = results([0, 1, 2, 3, 4].map((s) => run('lstm', s, { loss: 0.19 })), [], [
      { metric: 'accuracy', value: 0.125, note: 'chance' },
      { metric: 'loss', value: 0.1, note: 'predict the mean' },
    ]);
    const j = judgeRule(rule, r);
    // 2 × 0.1 = 0.2; 0.19 is below it with no SE recorded (a point comparison).
    expect(j.seeds.map((s) => s.threshold)).toEqual([0.2, 0.2, 0.2, 0.2, 0.2]);
    expect([j.k, j.verdict]).toEqual([5, 'reproduced']);
  });

  it("another metric of the same run times the factor; a missing or non-finite one leaves the rule not judged", () => {
    const rule: Rule = { kind: 'final', variant: 'lstm', metric: 'mse', direction: 'below', than: { metric: 'lstsqMse' }, times: 1.1, expect: 'success' };
    // 92 × 1.1 = 101.2: 100 is below it. The SE of 50 is ignored (same test sequences: numbers).
    const ok = judgeRule(rule, results([0, 1, 2, 3, 4].map((s) => run('lstm', s, { mse: 100, lstsqMse: 92 }, { mse: 50 }))));
    expect(ok.seeds[0].threshold).toBeCloseTo(101.2, 12);
    expect(ok.seeds.map((s) => s.side)).toEqual(['beyond', 'beyond', 'beyond', 'beyond', 'beyond']);
    expect(ok.verdict).toBe('reproduced');
    for (const bad of [null, Infinity, NaN]) {
      const j = judgeRule(rule, results([run('lstm', 0, { mse: 100, lstsqMse: 92 }), run('lstm', 1, { mse: 100, lstsqMse: bad }), run('lstm', 2, { mse: 100, lstsqMse: 92 })]));
      expect(j.seeds[1].threshold, String(bad)).toBeNull();
      expect(j.seeds[1].asClaimed).toBe(false);
      expect(j.verdict).toBe('not judged');
    }
  });
});

describe('judgeRule crossings', () => {
  it("loss: valMetrics.loss where logged (even when valLoss says otherwise), else the older valLoss; steps × the variant's own batch size", () => {
    // Baseline 1/6 × 0.5 = 0.08333.
    const rule: Rule = { kind: 'crossing', variant: 'rnn', metric: 'loss', direction: 'below', than: 'baseline', times: 0.5, sequences: 100, expect: 'success' };
    const log: Partial<LogEntry>[] = [
      { step: 0, valLoss: 0.2 },
      { step: 9, valMetrics: { loss: 0.5 }, valLoss: 0.01 }, // valMetrics wins: 0.5, not below
      { step: 14, valLoss: 0.08 }, // no valMetrics: valLoss 0.08 < 0.0833 → (14 + 1) × 4 = 60 sequences
    ];
    const never: Partial<LogEntry>[] = [{ step: 0, valLoss: 0.2 }, { step: 14, valMetrics: { loss: 0.09 } }];
    const j = judgeRule(rule, withBatchSizes(results([run('rnn', 0, {}, {}, 'ok', log), run('rnn', 1, {}, {}, 'ok', log), run('rnn', 2, {}, {}, 'ok', never)])));
    expect(j.seeds.map((s) => s.value)).toEqual([60, 60, null]);
    expect(j.seeds.map((s) => s.asClaimed)).toEqual([true, true, false]);
  });

  it('a named metric, above: entries without valMetrics are skipped, the first crossing counts, the budget is inclusive', () => {
    const rule: Rule = { kind: 'crossing', variant: 'lstm', metric: 'accuracy', direction: 'above', than: 0.99, sequences: 32, expect: 'success' };
    const log: Partial<LogEntry>[] = [
      { step: 0, valLoss: 0.3 },
      { step: 1, valMetrics: { accuracy: 0.99 } }, // equal is not above
      { step: 3, valMetrics: { accuracy: 0.995 } }, // (3 + 1) × 8 = 32 <= 32: within the budget
      { step: 7, valMetrics: { accuracy: 1 } },
    ];
    const late: Partial<LogEntry>[] = [{ step: 4, valMetrics: { accuracy: 0.999 } }]; // 40 > 32
    const j = judgeRule(rule, withBatchSizes(results([run('lstm', 0, {}, {}, 'ok', log), run('lstm', 1, {}, {}, 'ok', log), run('lstm', 2, {}, {}, 'ok', late)])));
    expect(j.seeds.map((s) => s.value)).toEqual([32, 32, 40]);
    expect(j.seeds.map((s) => s.asClaimed)).toEqual([true, true, false]);
    expect(j.verdict).toBe('partly');
  });
});
