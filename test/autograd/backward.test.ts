/**
 * backward(): gradients accumulate with += (a tensor used several times, a weight shared across
 * timesteps), multi-output nodes (split/unbind) wait for all their outputs' gradients, noGrad
 * records nothing, and the error cases say what is wrong.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backward, gradcheck, isGradEnabled, noGrad, zeroGrad } from '../../src/autograd/index.ts';
import { add, matmul, mul, reshape, split, square, sum, tanh, unbind } from '../../src/ops/index.ts';
import { tensor } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { fcParams } from '../helpers/fc.ts';
import { dimArb, doubleIn, numel, shapeArb, shapedArb, U64, valuesArb } from '../ops/helpers.ts';

const RUNS = 40;

function t64(values: ArrayLike<number>, shape: readonly number[], requiresGrad = true): Tensor {
  return tensor(values, shape, { dtype: 'float64', requiresGrad });
}

function grad(t: Tensor): number[] {
  expect(t.grad, `${t.toString()} has no gradient`).not.toBeNull();
  return Array.from(t.grad!.toFloat64Array());
}

describe('gradient accumulation', () => {
  it('x * x + x gives 2x + 1 (three uses of x summed with +=)', () => {
    // The three contributions 1, x, x are added in some order: <= 2 roundings, so within
    // 2u (2|x| + 1) of 2x + 1.
    fc.assert(fc.property(shapedArb(shapeArb(), doubleIn(-10, 10)), ({ shape, values }) => {
      const x = t64(values, shape);
      const y = add(mul(x, x), x);
      backward(y, t64(new Array(numel(shape)).fill(1), shape, false));
      grad(x).forEach((g, i) => {
        const v = values[i];
        expect(Math.abs(g - (2 * v + 1))).toBeLessThanOrEqual(2 * U64 * (2 * Math.abs(v) + 1));
      });
    }), fcParams(RUNS));
  });

  it('a weight used in two terms gets the sum of both gradients', () => {
    const w = t64([1, 2, 3], [3]);
    const c1 = t64([0.5, -1, 2], [3], false);
    const c2 = t64([4, 0.25, -3], [3], false);
    backward(add(sum(mul(w, c1)), sum(mul(c2, w))));
    expect(grad(w)).toEqual([4.5, -0.75, -1]);
  });

  it('separate backward passes add into a leaf .grad until zeroGrad', () => {
    const x = t64([0.5, -2], [2]);
    backward(sum(x));
    backward(sum(mul(x, x)));
    expect(grad(x)).toEqual([1 + 2 * 0.5, 1 + 2 * -2]);
    zeroGrad([x]);
    expect(x.grad).toBeNull();
  });

  it('a weight shared across timesteps (an unrolled tanh RNN) passes gradcheck', () => {
    // h_t = tanh(x_t W + h_{t-1} U); loss-free output h_T. W and U are used at every step, so
    // their gradient is the sum over timesteps; gradcheck (full Jacobian) verifies that sum.
    const rnnArb = fc.tuple(dimArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
      .chain(([steps, batch, inF, hidden]) => fc.record({
        steps: fc.constant(steps), batch: fc.constant(batch), inF: fc.constant(inF), hidden: fc.constant(hidden),
        xs: valuesArb(steps * batch * inF, doubleIn(-2, 2)),
        w: valuesArb(inF * hidden, doubleIn(-1, 1)),
        u: valuesArb(hidden * hidden, doubleIn(-1, 1)),
        h0: valuesArb(batch * hidden, doubleIn(-1, 1)),
      }));
    fc.assert(fc.property(rnnArb, ({ steps, batch, inF, hidden, xs, w, u, h0 }) => {
      const run = (x: Tensor, wt: Tensor, ut: Tensor, h: Tensor): Tensor => {
        for (const xt of unbind(x, 1)) h = tanh(add(matmul(xt, wt), matmul(h, ut)));
        return h;
      };
      const r = gradcheck(run, [
        t64(xs, [batch, steps, inF]), t64(w, [inF, hidden]), t64(u, [hidden, hidden]), t64(h0, [batch, hidden]),
      ]);
      expect(r.ok).toBe(true);
    }), fcParams(20));
  });
});

describe('multi-output nodes', () => {
  it('split: each piece sends its gradient to its own slice of the input', () => {
    const x = t64([1, 2, 3, 4, 5], [5]);
    const [p0, p1] = split(x, [2, 3], 0);
    backward(add(sum(mul(p0, t64([10, 20], [2], false))), sum(mul(p1, t64([-1, -2, -3], [3], false)))));
    expect(grad(x)).toEqual([10, 20, -1, -2, -3]);
  });

  it('split: an unused piece contributes zeros', () => {
    const x = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    const [, mid, last] = split(x, [1, 1, 1], 1);
    backward(add(sum(mid), sum(mul(last, last))));
    expect(grad(x)).toEqual([0, 1, 6, 0, 1, 12]);
  });

  it('split: a piece used twice and a piece behind a long chain both arrive', () => {
    // p1 reaches the loss only through 8 tanh's, so the split node must wait for it: a
    // topological order that ran split's backward early would miss p1's gradient.
    fc.assert(fc.property(valuesArb(5, doubleIn(-2, 2)), (values) => {
      const f = (x: Tensor): Tensor => {
        const [p0, p1] = split(x, [2, 3], 0);
        let deep = p1;
        for (let i = 0; i < 8; i++) deep = tanh(deep);
        return add(sum(mul(p0, p0)), add(sum(deep), sum(p0)));
      };
      expect(gradcheck(f, [t64(values, [5])]).ok).toBe(true);
    }), fcParams(RUNS));
  });

  it('unbind along time, each slice used at a different depth', () => {
    const x = t64([1, 2, 3, 4, 5, 6], [1, 3, 2]); // [B=1, T=3, I=2]
    const steps = unbind(x, 1);
    // y = sum(x_0) + 2 sum(x_1) + 3 sum(x_2), built as a running sum.
    let acc = steps[0];
    for (let t = 1; t < steps.length; t++) acc = add(add(acc, steps[t]), mul(steps[t], t64([t], [1], false)));
    backward(sum(acc));
    expect(grad(x)).toEqual([1, 1, 2, 2, 3, 3]);
  });
});

describe('retained gradients of intermediates', () => {
  it('every tensor on the way keeps dL/dt (what the dL/dh_t probe reads)', () => {
    const x = t64([0.3, -0.7], [2]);
    const h = tanh(x);
    const c = t64([2, 5], [2], false);
    backward(sum(mul(h, c)));
    expect(grad(h)).toEqual([2, 5]);
    const y = Math.tanh(0.3);
    expect(grad(x)[0]).toBeCloseTo(2 * (1 - y * y), 14);
  });

  // A second backward() through the same graph must propagate only the current pass's gradient
  // (an earlier version re-sent the intermediates' retained grads and gave 4x here).
  it('a second backward through the same graph adds exactly one more gradient (torch retain_graph)', () => {
    const x = t64([0.5], [1]);
    const loss = sum(tanh(x));
    backward(loss);
    const once = grad(x)[0];
    backward(loss);
    expect(grad(x)[0]).toBeCloseTo(2 * once, 14);
  });

  it('two losses sharing one forward: the leaf gets the sum of both gradients', () => {
    const x = t64([0.5], [1]);
    const h = tanh(x);
    backward(sum(h));
    backward(sum(square(h)));
    const y = Math.tanh(0.5);
    expect(grad(x)[0]).toBeCloseTo((1 - y * y) * (1 + 2 * y), 14);
  });
});

describe('noGrad', () => {
  it('records no graph, even from inputs that require grad', () => {
    const x = t64([1, 2], [2]);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return sum(mul(tanh(x), x));
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(() => backward(y)).toThrow(/does not require grad/);
    expect(x.grad).toBeNull();
    expect(isGradEnabled()).toBe(true);
  });

  it('restores the previous state when nested and when the body throws', () => {
    noGrad(() => {
      noGrad(() => expect(isGradEnabled()).toBe(false));
      expect(isGradEnabled()).toBe(false);
    });
    expect(isGradEnabled()).toBe(true);
    expect(() => noGrad(() => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    // And recording works again afterwards.
    const x = t64([1], [1]);
    expect(tanh(x).node).not.toBeNull();
  });

  it('ops on data that needs no grad record nothing', () => {
    const y = mul(t64([1, 2], [2], false), t64([3, 4], [2], false));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
  });
});

describe('backward errors and seeds', () => {
  it('a non-scalar output without a gradient throws', () => {
    const x = t64([1, 2, 3], [3]);
    expect(() => backward(tanh(x))).toThrow(/one-element/);
    expect(x.grad).toBeNull();
  });

  it('a non-scalar output with an explicit gradient works (vector-Jacobian product)', () => {
    const x = t64([1, 2, 3], [3]);
    backward(mul(x, x), t64([1, 0.5, -1], [3], false));
    expect(grad(x)).toEqual([2, 2, -6]);
  });

  it('a one-element output of any rank defaults to a gradient of 1', () => {
    const x = t64([3], [1, 1]);
    backward(reshape(mul(x, x), [1, 1, 1]));
    expect(grad(x)).toEqual([6]);
  });

  it('a gradient of the wrong shape is refused, naming both', () => {
    const x = t64([1, 2, 3], [3]);
    expect(() => backward(mul(x, x), t64([1, 1], [2], false))).toThrow(/^gradient of shape \[2\] for .*\[3\]/);
    expect(x.grad).toBeNull();
  });

  it('backward from a leaf: its gradient is the seed (1 for one element)', () => {
    const x = t64([1, 2], [2]);
    backward(x, t64([3, -4], [2], false));
    expect(grad(x)).toEqual([3, -4]);
    const s = t64([5], []);
    backward(s);
    expect(grad(s)).toEqual([1]);
  });

  it('float32 leaves get float32 gradients', () => {
    const x = tensor([1, 2], [2], { dtype: 'float32', requiresGrad: true });
    backward(sum(mul(x, x)));
    expect(x.grad!.dtype).toBe('float32');
    expect(grad(x)).toEqual([2, 4]);
  });
});
