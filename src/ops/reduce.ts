import { record1 } from '../autograd/graph.ts';
import { normalizeAxis } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { scale } from './pointwise.ts';

/** Sum over one axis, or over everything when axis is omitted. Its gradient broadcasts back. */
export function sum(x: Tensor, axis?: number, keepDim = false): Tensor {
  const k = x.backend;
  const ax = axis === undefined ? null : normalizeAxis(axis, x.rank);
  const out = k.sum(x, ax, keepDim);
  return record1('sum', [x], out, (g) => {
    // Re-insert the reduced axis as size 1 so the gradient broadcasts over it.
    const kept = ax === null ? x.shape.map(() => 1) : x.shape.map((d, i) => (i === ax ? 1 : d));
    return [k.binary('add', k.full(x.shape, x.dtype, 0), k.reshape(g, kept))];
  });
}

export function mean(x: Tensor, axis?: number, keepDim = false): Tensor {
  const count = axis === undefined ? x.size : x.shape[normalizeAxis(axis, x.rank)];
  return scale(sum(x, axis, keepDim), 1 / count);
}
