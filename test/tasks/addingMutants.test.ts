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

  it('arjovsky: description and source cite Arjovsky et al. 2016, sec. 4.2, values U[0,1]', () => {
    const task = addingTask({ T: 30, variant: 'arjovsky' });
    expect(task.description).toContain('Arjovsky et al. 2016');
    expect(task.description).toContain('T = 30');
    expect(task.description).toContain('U[0,1]');
    expect(task.description).not.toContain('Hochreiter');
    expect(task.source).toContain('Arjovsky, Shah & Bengio 2016');
    expect(task.source).toContain('sec. 4.2');
    expect(task.source).not.toContain('Hochreiter');
  });

  it('hochreiter: description and source cite Hochreiter & Schmidhuber 1997, sec. 5.4, target and tolerance', () => {
    const task = addingTask({ T: 30, variant: 'hochreiter' });
    expect(task.description).toContain('Hochreiter & Schmidhuber 1997');
    expect(task.description).toContain('T = 30');
    // The paper's target 0.5 + (X1 + X2)/4, values U[-1, 1], correct if |error| < 0.04.
    expect(task.description).toContain('0.5 + (X1+X2)/4');
    expect(task.description).toContain('U[-1,1]');
    expect(task.description).toContain('0.04');
    expect(task.description).not.toContain('Arjovsky');
    expect(task.source).toContain('Long Short-Term Memory');
    expect(task.source).toContain('sec. 5.4');
    expect(task.source).not.toContain('Arjovsky');
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
