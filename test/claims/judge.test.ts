import { describe, expect, it } from 'vitest';
import { measuredText, ruleText } from '../../src/claims/describe.ts';
import { judgeClaims, judgeRule } from '../../src/claims/judge.ts';
import type { Rule } from '../../src/claims/schema.ts';
import type { LogEntry, Results } from '../../src/records/results.ts';
import { beatsBaseline, results, run } from './fixtures.ts';


describe('judgeRule, final metric against the baseline with the sampling margin', () => {
  it('counts a seed only when it is below the baseline by more than 2 SE; 5 of 5 is reproduced', () => {
    // Baseline 1/6 = 0.16667. SE 0.01 -> margin 0.02: 0.14 is beyond (0.0267), 0.15 within (0.0167).
    const r = results([0, 1, 2, 3, 4].map((s) => run('lstm', s, { loss: 0.001 * (s + 1) }, { loss: 0.0001 })));
    const j = judgeRule(beatsBaseline, r);
    expect([j.k, j.n, j.verdict]).toEqual([5, 5, 'reproduced']);
    expect(j.values.mean).toBeCloseTo(0.003, 12);
    expect(j.typicalSe).toBe(0.0001);
  });

  it('4 of 5 is partly; the seed within the margin is the one not counted as claimed', () => {
    const r = results([
      run('lstm', 0, { loss: 0.14 }, { loss: 0.01 }),
      run('lstm', 1, { loss: 0.15 }, { loss: 0.01 }),
      run('lstm', 2, { loss: 0.01 }, { loss: 0.01 }),
      run('lstm', 3, { loss: 0.02 }, { loss: 0.01 }),
      run('lstm', 4, { loss: 0.03 }, { loss: 0.01 }),
    ]);
    const j = judgeRule(beatsBaseline, r);
    expect(j.seeds.map((s) => s.side)).toEqual(['beyond', 'within', 'beyond', 'beyond', 'beyond']);
    expect([j.k, j.n, j.verdict]).toEqual([4, 5, 'partly']);
  });

  it('expect failure: a diverged run (no finite loss) fails, as claimed; 0 successes of 5 reproduce a failure claim', () => {
    const fails: Rule = { ...beatsBaseline, variant: 'rnn', expect: 'failure' };
    const r = results([
      run('rnn', 0, { loss: 0.1654 }, { loss: 0.0123 }),
      run('rnn', 1, { loss: 0.17 }, { loss: 0.0123 }),
      run('rnn', 2, { loss: null }, {}, 'diverged'),
      run('rnn', 3, { loss: 0.2 }, { loss: 0.0123 }),
      run('rnn', 4, { loss: 0.16 }, { loss: 0.0123 }),
    ]);
    const j = judgeRule(fails, r);
    expect(j.seeds.map((s) => s.asClaimed)).toEqual([true, true, true, true, true]);
    expect(j.verdict).toBe('reproduced');
    expect(measuredText(j)).toContain('as claimed (fail) in 5 of 5 seeds');
  });

  it('unfinished and failed runs are not counted, and say so', () => {
    const r = results([
      run('lstm', 0, { loss: 0.01 }, { loss: 0.001 }),
      run('lstm', 1, { loss: 0.01 }, { loss: 0.001 }),
      run('lstm', 2, { loss: 0.01 }, { loss: 0.001 }),
      run('lstm', 3, {}, {}, 'interrupted'),
      run('lstm', 4, {}, {}, 'failed'),
    ]);
    const j = judgeRule(beatsBaseline, r);
    expect([j.k, j.n, j.excluded, j.verdict]).toEqual([3, 3, 2, 'partly']);
    expect(measuredText(j)).toContain('2 unfinished or failed runs not counted');
  });

  it('each variant is held to its own task\'s baseline (copy: 10 log 8 / (T + 20) differs with T)', () => {
    const perT = [{ metric: 'loss', value: 0.1733, note: 'T=100', variants: ['lstm'] }, { metric: 'loss', value: 0.0945, note: 'T=200', variants: ['rnn'] }];
    const r = results([run('rnn', 0, { loss: 0.0946 }, { loss: 0.00001 })], [], perT);
    const j = judgeRule({ ...beatsBaseline, variant: 'rnn' }, r);
    // Against the T = 100 baseline it would be far below; against its own it is above.
    expect([j.seeds[0].threshold, j.seeds[0].side]).toEqual([0.0945, 'short']);
    expect(ruleText({ ...beatsBaseline, variant: 'rnn' }, r)).toContain('the baseline 0.0945');
  });

  it('a threshold that cannot be known (no baseline for the metric) judges nothing', () => {
    const r = results([0, 1, 2, 3].map((s) => run('lstm', s, { loss: 0.01 })), [], []);
    expect(judgeRule(beatsBaseline, r).verdict).toBe('not judged');
  });

  it('a numeric threshold times a factor, and another metric of the same run compared as numbers', () => {
    const withinTenPercent: Rule = { kind: 'final', variant: 'lstm', metric: 'mse', direction: 'below', than: { metric: 'lstsqMse' }, times: 1.1, expect: 'success' };
    const r = results([
      run('lstm', 0, { mse: 109, lstsqMse: 100 }, { mse: 50 }), // 109 < 110 even though 2 SE = 100
      run('lstm', 1, { mse: 111, lstsqMse: 100 }, { mse: 50 }),
      run('lstm', 2, { mse: 95, lstsqMse: 90 }, { mse: 50 }), // 95 < 99
    ]);
    const j = judgeRule(withinTenPercent, r);
    expect(j.seeds.map((s) => [s.threshold, s.asClaimed])).toEqual([[110.00000000000001, true], [110.00000000000001, false], [99.00000000000001, true]]);
    expect(ruleText(withinTenPercent, r)).toContain('compared as numbers');
    const above: Rule = { kind: 'final', variant: 'lstm', metric: 'accuracy', direction: 'above', than: 0.99, times: 0.5, expect: 'success' };
    expect(judgeRule(above, results([run('lstm', 0, { accuracy: 0.5 }, { accuracy: 0.001 })])).seeds[0].side).toBe('beyond'); // 0.5 > 0.495 + 0.002
  });
});

describe('judgeRule, crossing: training sequences until the validation metric crossed', () => {
  const fast: Rule = { kind: 'crossing', variant: 'lstm', metric: 'accuracy', direction: 'above', than: 0.99, sequences: 1000, expect: 'success' };
  const log = (pairs: [number, number][]): Partial<LogEntry>[] => pairs.map(([step, acc]) => ({ step, valMetrics: { accuracy: acc } }));

  it('counts (step + 1) x batch size at the first logged step past the threshold (strictly)', () => {
    const r = results([
      run('lstm', 0, {}, {}, 'ok', log([[0, 0.1], [99, 0.99], [124, 0.995]])), // 0.99 is not above: crossed at step 124 -> 125 x 8 = 1000
      run('lstm', 1, {}, {}, 'ok', log([[0, 0.1], [199, 1]])), // 1600 > 1000
      run('lstm', 2, {}, {}, 'ok', log([[0, 0.1], [199, 0.5]])), // never
    ]);
    const j = judgeRule(fast, r);
    expect(j.seeds.map((s) => [s.value, s.asClaimed])).toEqual([[1000, true], [1600, false], [null, false]]);
    expect([j.k, j.n, j.verdict]).toEqual([1, 3, 'partly']);
  });
});

describe('judgeClaims', () => {
  it('reads the claims from the configuration and takes the weakest verdict of their rules', () => {
    const claim = { id: 'c', claim: 'LSTM learns, RNN does not', source: 'paper', rules: [beatsBaseline, { ...beatsBaseline, variant: 'rnn', expect: 'failure' }] };
    const r = results([
      ...[0, 1, 2, 3, 4].map((s) => run('lstm', s, { loss: 0.01 }, { loss: 0.001 })),
      ...[0, 1, 2, 3, 4].map((s) => run('rnn', s, { loss: s === 0 ? 0.01 : 0.17 }, { loss: 0.01 })),
    ], [claim]);
    const [j] = judgeClaims(r);
    expect(j.rules.map((x) => x.verdict)).toEqual(['reproduced', 'partly']);
    expect(j.verdict).toBe('partly');
  });

  it('results without claims (older files) have none', () => {
    expect(judgeClaims({ ...results([]), config: null } as unknown as Results)).toEqual([]);
  });
});

/**
 * Cases found by mutation testing (Stryker on src/claims/judge.ts left them alive): every
 * expectation is a literal worked out by hand, never read back from the code under test.
 */
describe('judgeRule: what cannot be judged, and the numbers beside the verdict', () => {
  const sequences: Rule = { kind: 'crossing', variant: 'lstm', metric: 'loss', direction: 'below', than: 0.1, sequences: 800, expect: 'success' };
  const entries = (pairs: [number, Partial<LogEntry>][]): Partial<LogEntry>[] => pairs.map(([step, e]) => ({ step, ...e }));

  it('a seed held to an unknown threshold has no side, is not as claimed, and its crossing is not looked for', () => {
    // No baseline for 'loss': the threshold is null.
    const noBaseline = results([run('lstm', 0, { loss: 0.01 }, { loss: 0.001 })], [], []);
    const final = judgeRule(beatsBaseline, noBaseline);
    expect(final.seeds[0]).toMatchObject({ threshold: null, side: null, asClaimed: false, value: 0.01 });
    expect([final.k, final.verdict]).toEqual([0, 'not judged']);
    const fails: Rule = { ...sequences, than: 'baseline', expect: 'failure' };
    const crossing = judgeRule(fails, results([run('lstm', 0, {}, {}, 'ok', entries([[0, { valMetrics: { loss: 0.01 } }]]))], [], []));
    // A failure claim would count a seed that never crossed: with no threshold nothing is counted.
    expect(crossing.seeds[0]).toMatchObject({ threshold: null, value: null, asClaimed: false });
    expect(crossing.verdict).toBe('not judged');
    // Nor a final failure claim (no side is not a failure), nor a crossing "above" (0.01 > null
    // would hold in JavaScript, null reading as 0).
    const finalFails = judgeRule({ ...beatsBaseline, expect: 'failure' }, noBaseline);
    expect(finalFails.seeds[0].asClaimed).toBe(false);
    const above: Rule = { ...sequences, metric: 'accuracy', direction: 'above', than: 'baseline' };
    const up = judgeRule(above, results([run('lstm', 0, {}, {}, 'ok', entries([[0, { valMetrics: { accuracy: 0.01 } }]]))], [], []));
    expect(up.seeds[0].value).toBeNull();
  });

  it('a metric threshold the run lacks (no metrics, a null or non-finite metric) is unknown, not 0', () => {
    const ratio: Rule = { kind: 'final', variant: 'lstm', metric: 'mse', direction: 'below', than: { metric: 'lstsqMse' }, times: 1.1, expect: 'success' };
    const noMetrics = { ...run('lstm', 0, {}), metrics: undefined } as unknown as ReturnType<typeof run>;
    const r = results([noMetrics, run('lstm', 1, { mse: 1, lstsqMse: null }), run('lstm', 2, { mse: 1, lstsqMse: Number.NaN })]);
    const j = judgeRule(ratio, r);
    expect(j.seeds.map((s) => s.threshold)).toEqual([null, null, null]);
    expect(j.verdict).toBe('not judged');
  });

  it('a run without metrics or standard errors (a diverged run, an older file) has value and SE null', () => {
    const bare = { ...run('lstm', 0, {}, {}, 'diverged'), metrics: undefined, metricErrors: undefined } as unknown as ReturnType<typeof run>;
    const nan = run('lstm', 1, { loss: Number.NaN }, { loss: 0.01 });
    const j = judgeRule(beatsBaseline, results([bare, nan]));
    expect(j.seeds.map((s) => [s.value, s.se, s.side, s.asClaimed])).toEqual([[null, null, 'short', false], [null, 0.01, 'short', false]]);
  });

  it('typicalSe is the median of the finite SEs (sorted; a missing or NaN SE left out), null when there are none', () => {
    const withSe = (ses: (number | null)[]) => results(ses.map((se, s) => run('lstm', s, { loss: 0.01 }, { loss: se })));
    // Sorted [0.1, 0.2, 0.3]: the middle is 0.2 (unsorted, the middle entry would be 0.1).
    expect(judgeRule(beatsBaseline, withSe([0.3, 0.1, 0.2])).typicalSe).toBe(0.2);
    // [0.1, 0.3] once null and NaN are left out: index floor(2 / 2) = 1 -> 0.3.
    expect(judgeRule(beatsBaseline, withSe([0.1, null, 0.3])).typicalSe).toBe(0.3);
    expect(judgeRule(beatsBaseline, withSe([0.1, Number.NaN, 0.3])).typicalSe).toBe(0.3);
    expect(judgeRule(beatsBaseline, withSe([null, null])).typicalSe).toBeNull();
  });

  it('the Wilson interval of k of n (z = 1.96), and none when no run finished', () => {
    // k = n = 5: lo = n / (n + z²) = 5 / 8.8415 = 0.56552, hi = 1.
    const all = judgeRule(beatsBaseline, results([0, 1, 2, 3, 4].map((s) => run('lstm', s, { loss: 0.01 }, { loss: 0.001 }))));
    expect(all.interval!.lo).toBeCloseTo(0.56552, 5);
    expect(all.interval!.hi).toBeCloseTo(1, 12);
    // k = 1, n = 3: p = 1/3, centre (p + z²/6) / (1 + z²/3) = 0.42692, half-width 0.36542.
    const one = judgeRule(beatsBaseline, results([run('lstm', 0, { loss: 0.01 }, { loss: 0.001 }), run('lstm', 1, { loss: 0.5 }), run('lstm', 2, { loss: 0.5 })]));
    expect([one.k, one.n]).toEqual([1, 3]);
    expect(one.interval!.lo).toBeCloseTo(0.06149, 5);
    expect(one.interval!.hi).toBeCloseTo(0.79234, 5);
    const none = judgeRule(beatsBaseline, results([run('lstm', 0, {}, {}, 'failed'), run('lstm', 1, {}, {}, 'interrupted')]));
    expect([none.n, none.excluded, none.interval, none.verdict]).toEqual([0, 2, null, 'not judged']);
  });

  it('crossing "below" is strict, reads valLoss where older logs have no valMetrics, and skips a missing or non-finite value', () => {
    const r = results([
      // 0.1 is not below 0.1; 0.09 at step 99 is: (99 + 1) x 8 = 800 <= 800.
      run('lstm', 0, {}, {}, 'ok', entries([[49, { valMetrics: { loss: 0.1 } }], [99, { valMetrics: { loss: 0.09 } }]])),
      // An older log: valLoss only. Crossed at step 49 -> 400.
      run('lstm', 1, {}, {}, 'ok', entries([[49, { valLoss: 0.05 }]])),
      // A diverged validation (null, -Infinity) is not a crossing, though null < 0.1 in JavaScript.
      run('lstm', 2, {}, {}, 'ok', entries([[9, { valMetrics: { loss: null } }], [19, { valMetrics: { loss: -Infinity } }], [199, { valMetrics: { loss: 0.01 } }]])),
      // No log at all: never crossed.
      { ...run('lstm', 3, {}), log: undefined } as unknown as ReturnType<typeof run>,
    ]);
    const j = judgeRule(sequences, r);
    expect(j.seeds.map((s) => [s.value, s.asClaimed])).toEqual([[800, true], [400, true], [1600, false], [null, false]]);
    // The metric may be named valLoss, the trainer's name for the same number.
    const named = judgeRule({ ...sequences, metric: 'valLoss' }, results([run('lstm', 0, {}, {}, 'ok', entries([[9, { valLoss: 0.05 }]]))]));
    expect(named.seeds[0].value).toBe(80);
    // "above" skips +Infinity the same way.
    const above: Rule = { ...sequences, metric: 'accuracy', direction: 'above', than: 0.9 };
    const inf = judgeRule(above, results([run('lstm', 0, {}, {}, 'ok', entries([[0, { valMetrics: { accuracy: Infinity } }], [9, { valMetrics: { accuracy: 0.95 } }]]))]));
    expect(inf.seeds[0].value).toBe(80);
  });

  it('a failure claim of a crossing: a seed that never crosses in time is as claimed', () => {
    const slow: Rule = { ...sequences, expect: 'failure' };
    const r = results([
      run('lstm', 0, {}, {}, 'ok', entries([[199, { valMetrics: { loss: 0.2 } }]])), // never: as claimed
      run('lstm', 1, {}, {}, 'ok', entries([[9, { valMetrics: { loss: 0.01 } }]])), // 80 <= 800: not as claimed
    ]);
    expect(judgeRule(slow, r).seeds.map((s) => s.asClaimed)).toEqual([true, false]);
  });

  it('a crossing without a known batch size (not in the configuration, or malformed) judges nothing; a final rule needs none', () => {
    const log = entries([[9, { valMetrics: { loss: 0.01 } }]]);
    const threeSeeds = (config: unknown) => ({ ...results([0, 1, 2].map((s) => run('lstm', s, { loss: 0.01 }, { loss: 0.001 }, 'ok', log))), config }) as unknown as Results;
    // Three seeds, so a count would give a verdict: 0 of 3 as claimed would read "not reproduced".
    const noSize = judgeRule({ ...sequences, expect: 'failure' }, threeSeeds(null));
    expect([noSize.k, noSize.n, noSize.verdict]).toEqual([0, 3, 'not judged']);
    // 3 of 3: the Wilson interval [3 / (3 + 1.96²), 1] = [0.438, 1] holds 1/2, so "partly".
    const final = judgeRule(beatsBaseline, threeSeeds(null));
    expect([final.k, final.n, final.verdict]).toEqual([3, 3, 'partly']);
    const configs: unknown[] = [
      { variants: [{ name: 'rnn', batchSize: 8 }] }, // not this variant
      { variants: [{ name: 'lstm', batchSize: 'eight' }] },
      { variants: 'lstm' },
      null,
    ];
    for (const config of configs) {
      const r = { ...results([run('lstm', 0, {}, {}, 'ok', log)]), config } as unknown as Results;
      const j = judgeRule(sequences, r);
      expect([j.seeds[0].value, j.seeds[0].asClaimed, j.verdict], JSON.stringify(config)).toEqual([null, false, 'not judged']);
    }
  });
});
