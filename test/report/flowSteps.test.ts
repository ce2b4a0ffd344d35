import { describe, expect, it } from 'vitest';
import { flowSteps } from '../../src/report/view.ts';

describe('flowSteps: the logged steps the gradient-flow charts show', () => {
  it('by default the first, the middle and the last logged step', () => {
    expect(flowSteps([0, 100, 200, 300, 399])).toEqual([
      { label: 'start', step: 0 }, { label: 'middle', step: 200 }, { label: 'end', step: 399 },
    ]);
  });

  it('an experiment\'s flowSteps pick the logged step nearest each (Arjovsky et al.\'s figure: 0 and 100)', () => {
    expect(flowSteps([0, 50, 100, 150, 199], [0, 100])).toEqual([{ label: 'start', step: 0 }, { label: 'middle', step: 100 }]);
    // A --quick run logs every 10 of 30 steps: 100 falls on the last one, 29.
    expect(flowSteps([0, 10, 20, 29], [0, 100])).toEqual([{ label: 'start', step: 0 }, { label: 'middle', step: 29 }]);
    // Ties go to the earlier step.
    expect(flowSteps([0, 40, 60], [50])).toEqual([{ label: 'start', step: 40 }]);
  });

  it('nothing logged, nothing shown', () => {
    expect(flowSteps([], [0, 100])).toEqual([]);
  });
});
