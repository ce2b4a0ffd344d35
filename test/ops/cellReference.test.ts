import { describe, expect, it } from 'vitest';
import { gradcheck } from '../../src/autograd/index.ts';
import { parseExpression } from '../../src/cells/expression.ts';
import { defineCell, type CellSpec } from '../../src/cells/spec.ts';
import { cellSpec } from '../../src/cells/table.ts';
import { cellReferenceStep } from '../../src/ops/cellReference.ts';
import { full, tensor } from '../../src/tensor/create.ts';
import type { DType } from '../../src/tensor/dtype.ts';

/**
 * The reference path (a spec's forward read as differentiable ops) on what no built-in cell
 * exercises: numeric constants in a forward statement (no built-in forward has one; torch's GRU
 * mix is written n + z (h - n)), and the refusals for a spec it cannot run.
 */

/** A leaky tanh cell, h' = 0.3 tanh(W_ih x + b_ih + W_hh h + b_hh) + 0.7 h. 0.3 and 0.7 are not
 * float32 numbers, so a constant made in the wrong dtype shows in a float64 result. */
const LEAKY = defineCell('leaky_test', {
  title: 'test cell with constants in its forward',
  gates: ['h'],
  recurrent: 'matrix',
  cellState: false,
  saved: ['t'],
  forward: [
    ['t', 'tanh(xi_h + hh_h)'],
    ['h_next', '0.3 * t + 0.7 * h'],
  ],
  backward: [
    ['dxi_h', 'dh * 0.3 * (1 + t) * (1 - t)'],
    ['dhh_h', 'dxi_h'],
    ['dh_direct', 'dh * 0.7'],
  ],
});

function oneUnit(dtype: DType, requiresGrad = false) {
  const make = (v: number[], shape: number[]) => tensor(v, shape, { dtype, requiresGrad });
  return {
    x: make([1], [1, 1]),
    h: make([0.4], [1, 1]),
    w: { wIh: make([0.5], [1, 1]), wHh: make([-0.25], [1, 1]), bIh: make([0], [1]), bHh: make([0], [1]) },
  };
}

describe('cell reference path', () => {
  it('evaluates numeric constants in the input dtype: 0.3 tanh(0.5 - 0.25·0.4) + 0.7·0.4 by hand', () => {
    const { x, h, w } = oneUnit('float64');
    const out = cellReferenceStep(LEAKY, x, { h, c: null }, w);
    expect(out.c).toBeNull();
    expect(out.h.dtype).toBe('float64');
    expect(out.h.shape).toEqual([1, 1]);
    // Python: 0.3*math.tanh(0.4) + 0.7*0.4 = 0.39398468867656744; with the constants rounded to
    // float32 it would be 0.3939846884375405, 2.4e-10 away.
    expect(out.h.data[0]).toBeCloseTo(0.39398468867656744, 14);
    const f32 = oneUnit('float32');
    expect(cellReferenceStep(LEAKY, f32.x, { h: f32.h, c: null }, f32.w).h.dtype).toBe('float32');
  });

  it('differentiates through the constants (gradcheck, float64)', () => {
    const { x, h, w } = oneUnit('float64', true);
    const result = gradcheck(
      (xx, hh, wIh, wHh, bIh, bHh) => cellReferenceStep(LEAKY, xx, { h: hh, c: null }, { wIh, wHh, bIh, bHh }).h,
      [x, h, w.wIh, w.wHh, w.bIh, w.bHh],
    );
    expect(result.ok).toBe(true);
    expect(result.comparisons).toBe(6);
  });

  it('refuses an LSTM step without its cell state, naming the cell', () => {
    const H = 2;
    const x = full([1, 1], 1, { dtype: 'float64' });
    const w = {
      wIh: full([4 * H, 1], 0.1, { dtype: 'float64' }), wHh: full([4 * H, H], 0.1, { dtype: 'float64' }),
      bIh: full([4 * H], 0, { dtype: 'float64' }), bHh: full([4 * H], 0, { dtype: 'float64' }),
    };
    expect(() => cellReferenceStep(cellSpec('lstm'), x, { h: full([1, H], 0, { dtype: 'float64' }), c: null }, w)).toThrow(/^lstm needs a cell state c$/);
  });

  it('refuses ifpos in a forward statement (defineCell already does; a hand-built spec meets the same wall)', () => {
    const { x, h, w } = oneUnit('float64');
    const spec: CellSpec = { ...cellSpec('rnn_tanh'), forwardStatements: [{ name: 'h_next', expr: parseExpression('ifpos(xi_h, hh_h)') }] };
    expect(() => cellReferenceStep(spec, x, { h, c: null }, w)).toThrow(/^cell reference: ifpos has no derivative here; it belongs in backward statements$/);
  });
});
