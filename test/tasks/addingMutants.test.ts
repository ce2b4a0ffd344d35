import { describe, expect, it } from 'vitest';
import { addingTask, type AddingVariant } from '../../src/tasks/adding.ts';
import { Rng } from '../../src/tensor/rng.ts';

/**
 * What the adding task tells its users besides the data: the error for a misspelt variant, the
 * per-variant description and source shown in reports, the metric names an experiment checks
 * before its first step, and the error for a prediction of the wrong length. Each differs between
 * the two variants, so each is checked for both (a task that always described itself as one of
 * them would mislabel every report of the other).
 */
describe('adding problem: variant-specific labels and messages', () => {
  it('a misspelt variant names the field and the allowed values', () => {
    // common.ts: option errors read `task.<field> must be ...`; the user must see which option.
    expect(() => addingTask({ T: 30, variant: 'elman' as AddingVariant })).toThrow(
      "task.variant must be one of 'arjovsky', 'hochreiter', got \"elman\"",
    );
  });

  // Each variant's description and source cite its own paper (section, value range, and for
  // hochreiter the paper's target 0.5 + (X1 + X2)/4 and its |error| < 0.04 criterion), never the other's.
  it.each([
    { variant: 'arjovsky', description: ['Arjovsky et al. 2016', 'T = 30', 'U[0,1]'], source: ['Arjovsky, Shah & Bengio 2016', 'sec. 4.2'], other: 'Hochreiter' },
    {
      variant: 'hochreiter', description: ['Hochreiter & Schmidhuber 1997', 'T = 30', '0.5 + (X1+X2)/4', 'U[-1,1]', '0.04'],
      source: ['Long Short-Term Memory', 'sec. 5.4'], other: 'Arjovsky',
    },
  ] as const)('$variant: description and source cite its paper, section, values and criterion, not $other', ({ variant, description, source, other }) => {
    const task = addingTask({ T: 30, variant });
    for (const text of description) expect(task.description).toContain(text);
    for (const text of source) expect(task.source).toContain(text);
    expect(task.description).not.toContain(other);
    expect(task.source).not.toContain(other);
  });

  it('metric names: loss and mse, plus accuracy for hochreiter; all are means over sequences', () => {
    // File comment: "Metrics: loss (= mse), mse, and for 'hochreiter' accuracy". Every one is a
    // mean over test sequences of a per-sequence value (a squared error, a 0/1 hit), so every one
    // is a sequence mean.
    const cases: [AddingVariant, string[]][] = [
      ['arjovsky', ['loss', 'mse']],
      ['hochreiter', ['loss', 'mse', 'accuracy']],
    ];
    for (const [variant, names] of cases) {
      const task = addingTask({ T: 20, variant, testSize: 5 });
      expect([...task.metricNames], variant).toEqual(names);
      expect([...task.sequenceMeans], variant).toEqual(names);
      const test = task.testSet();
      expect(Object.keys(task.metrics(new Float64Array(5), test)).sort(), variant).toEqual([...names].sort());
    }
  });

  it('a prediction of the wrong length is rejected with the target shape [B, 1]', () => {
    for (const variant of ['arjovsky', 'hochreiter'] as const) {
      const task = addingTask({ T: 20, variant });
      const batch = task.trainSampler(Rng.seeded(2), 3)();
      expect(() => task.metrics(new Float64Array(2), batch), variant).toThrow('metrics: pred has 2 values, expected 3 ([3, 1])');
      expect(() => task.metrics(new Float64Array(3), batch), variant).not.toThrow();
    }
  });
});
