/**
 * sliceBatch's range check, on both sides of every bound: rows [start, end) must satisfy
 * 0 <= start < end <= B. An unchecked slice would not fail: Float64Array.slice clamps and
 * wraps negative indices, so a bad range silently returns wrong or empty rows.
 */
import { describe, expect, it } from 'vitest';
import { sliceBatch } from '../../src/tasks/batch.ts';
import type { Batch } from '../../src/tasks/task.ts';

/** B = 4 sequences of T = 2 steps, 1 input each; x[b, t] = 2b + t, y[b] = 10 + b. */
function smallBatch(): Batch {
  return {
    x: Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]),
    xShape: [4, 2, 1],
    y: Float64Array.from([10, 11, 12, 13]),
    yShape: [4, 1],
  };
}

describe('sliceBatch', () => {
  it('accepts the bounds themselves: the whole batch, the first row, the last row', () => {
    const whole = sliceBatch(smallBatch(), 0, 4);
    expect(whole.xShape).toEqual([4, 2, 1]);
    expect(Array.from(whole.x)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(whole.y)).toEqual([10, 11, 12, 13]);
    const first = sliceBatch(smallBatch(), 0, 1);
    expect(first.xShape).toEqual([1, 2, 1]);
    expect(first.yShape).toEqual([1, 1]);
    expect(Array.from(first.x)).toEqual([0, 1]);
    expect(Array.from(first.y)).toEqual([10]);
    const last = sliceBatch(smallBatch(), 3, 4);
    expect(Array.from(last.x)).toEqual([6, 7]);
    expect(Array.from(last.y)).toEqual([13]);
  });

  // Each just past one bound: start = -1, start = end (empty), start > end, end = B + 1.
  const bad: [number, number, string][] = [
    [-1, 1, 'batch rows -1:1 out of range for B=4'],
    [2, 2, 'batch rows 2:2 out of range for B=4'],
    [0, 0, 'batch rows 0:0 out of range for B=4'],
    [3, 1, 'batch rows 3:1 out of range for B=4'],
    [0, 5, 'batch rows 0:5 out of range for B=4'],
    [3, 5, 'batch rows 3:5 out of range for B=4'],
  ];
  it.each(bad)('rejects rows %i:%i with a one-line message', (start, end, message) => {
    expect(() => sliceBatch(smallBatch(), start, end)).toThrow(new Error(message));
  });
});
