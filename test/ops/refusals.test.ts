import { describe, expect, it } from 'vitest';
import { cellSpec } from '../../src/cells/table.ts';
import { cellStep } from '../../src/ops/cellStep.ts';
import { sum } from '../../src/ops/reduce.ts';
import { sequenceLayer } from '../../src/ops/sequenceLayer.ts';
import { concat, stack } from '../../src/ops/shape.ts';
import { full, tensor } from '../../src/tensor/create.ts';

/** The ops' refusals and defaults, each with its literal message or shape (mutation survivors). */
describe('ops: refusals and defaults', () => {
  it('concat and stack of no tensors are refused by name', () => {
    expect(() => concat([], 0)).toThrow(/^concat needs at least one tensor$/);
    expect(() => stack([], 0)).toThrow(/^stack needs at least one tensor$/);
  });

  it('sum over an axis drops it unless keepDim is asked for', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3], { dtype: 'float64' });
    expect(sum(x, 0).shape).toEqual([3]);
    expect([...sum(x, 0).data]).toEqual([5, 7, 9]);
    expect(sum(x, 0, true).shape).toEqual([1, 3]);
  });

  it('an LSTM step or layer without its cell state is refused, naming the cell; an empty sequence gives no states', () => {
    const spec = cellSpec('lstm');
    const H = 2;
    const I = 1;
    const w = {
      wIh: full([4 * H, I], 0.1, { dtype: 'float64' }), wHh: full([4 * H, H], 0.1, { dtype: 'float64' }),
      bIh: full([4 * H], 0, { dtype: 'float64' }), bHh: full([4 * H], 0, { dtype: 'float64' }),
    };
    const x = full([1, I], 1, { dtype: 'float64' });
    const h0 = full([1, H], 0, { dtype: 'float64' });
    expect(() => cellStep(spec, x, { h: h0, c: null }, w)).toThrow(/^lstm needs a cell state c$/);
    expect(() => sequenceLayer(spec, [x], h0, null, w)).toThrow(/^sequenceLayer: lstm needs c0$/);
    expect(sequenceLayer(spec, [], h0, null, w)).toEqual([]);
  });
});
