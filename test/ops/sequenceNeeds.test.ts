import { describe, expect, it, vi } from 'vitest';
import { backward } from '../../src/autograd/index.ts';
import { cellSpec } from '../../src/cells/table.ts';
import { sum } from '../../src/ops/reduce.ts';
import { sequenceLayer } from '../../src/ops/sequenceLayer.ts';
import { tensor } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

/**
 * A layer's gradients go to exactly the inputs that ask for one: dL/dc0 and dL/dh0 must not
 * depend on whether the inputs x_t need a gradient (the last one in particular), and come out
 * the same as when every input needs one.
 */
describe('sequenceLayer: gradients to the inputs that need them', () => {
  it('LSTM: dL/dh0, dL/dc0 and dL/dx_t are the same whether all, some or none of the x_t need a gradient', () => {
    const H = 3;
    const I = 2;
    const T = 4;
    const B = 2;
    const rng = Rng.seeded(5);
    const values = (n: number) => Array.from({ length: n }, () => rng.normal() * 0.5);
    const w = {
      wIh: tensor(values(4 * H * I), [4 * H, I], { dtype: 'float64' }), wHh: tensor(values(4 * H * H), [4 * H, H], { dtype: 'float64' }),
      bIh: tensor(values(4 * H), [4 * H], { dtype: 'float64' }), bHh: tensor(values(4 * H), [4 * H], { dtype: 'float64' }),
    };
    const xValues = Array.from({ length: T }, () => values(B * I));
    const h0Values = values(B * H);
    const c0Values = values(B * H);
    const run = (xsNeed: boolean | 'first'): { h0: Tensor; c0: Tensor; xs: Tensor[] } => {
      const xs = xValues.map((v, t) => tensor(v, [B, I], { dtype: 'float64', requiresGrad: xsNeed === 'first' ? t === 0 : xsNeed }));
      const h0 = tensor(h0Values, [B, H], { dtype: 'float64', requiresGrad: true });
      const c0 = tensor(c0Values, [B, H], { dtype: 'float64', requiresGrad: true });
      const hs = sequenceLayer(cellSpec('lstm'), xs, h0, c0, w);
      backward(sum(hs[T - 1]));
      return { h0, c0, xs };
    };
    const all = run(true);
    const none = run(false);
    expect(all.xs.every((x) => x.grad !== null)).toBe(true);
    expect(none.xs.every((x) => x.grad === null)).toBe(true);
    expect(none.c0.grad, 'dL/dc0 with no x needing a gradient').not.toBeNull();
    expect(none.h0.grad, 'dL/dh0 with no x needing a gradient').not.toBeNull();
    expect([...none.c0.grad!.data]).toEqual([...all.c0.grad!.data]);
    expect([...none.h0.grad!.data]).toEqual([...all.h0.grad!.data]);
    expect(all.c0.grad!.data.some((v) => v !== 0)).toBe(true);
    // Only x_1 asks: it gets the same gradient as when every x_t does, the others none.
    const first = run('first');
    expect([...first.xs[0].grad!.data]).toEqual([...all.xs[0].grad!.data]);
    expect(first.xs.slice(1).every((x) => x.grad === null)).toBe(true);
    expect([...first.c0.grad!.data]).toEqual([...all.c0.grad!.data]);
  });

  it('asks the kernel for dL/dx only when some x_t needs it (a first layer\'s inputs are data: no GEMM per step for them)', () => {
    const H = 2;
    const I = 2;
    const w = {
      wIh: tensor([0.1, -0.2, 0.3, 0.4], [H, I], { dtype: 'float64' }), wHh: tensor([0.5, 0.1, -0.3, 0.2], [H, H], { dtype: 'float64' }),
      bIh: tensor([0, 0.1], [H], { dtype: 'float64' }), bHh: tensor([0.2, 0], [H], { dtype: 'float64' }),
    };
    const h0 = tensor([0.1, -0.1], [1, H], { dtype: 'float64', requiresGrad: true });
    const kernels = h0.backend.sequences;
    expect(kernels, 'the cpu backend has whole-sequence kernels').toBeDefined();
    const spy = vi.spyOn(kernels!, 'sequenceBackward');
    try {
      const wantDx = (xsNeed: boolean[]): boolean => {
        spy.mockClear();
        const xs = xsNeed.map((need, t) => tensor([t, 1 - t], [1, I], { dtype: 'float64', requiresGrad: need }));
        backward(sum(sequenceLayer(cellSpec('rnn_tanh'), xs, h0, null, w)[xsNeed.length - 1]));
        expect(spy).toHaveBeenCalledTimes(1);
        return spy.mock.calls[0][2];
      };
      expect(wantDx([false, false, false])).toBe(false);
      expect(wantDx([false, false, true])).toBe(true);
      expect(wantDx([true, false, false])).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});
