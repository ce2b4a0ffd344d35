import { record1, record } from '../autograd/graph.ts';
import { normalizeAxis, type Shape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';

export function reshape(x: Tensor, shape: Shape): Tensor {
  return record1('reshape', [x], x.backend.reshape(x, shape), (g) => [g.backend.reshape(g, x.shape)]);
}

/** Transpose of a 2-D tensor. */
export function transpose(x: Tensor): Tensor {
  return record1('transpose', [x], x.backend.transpose2d(x), (g) => [g.backend.transpose2d(g)]);
}

/** x[..., start:end, ...] along `axis`. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = normalizeAxis(axis, x.rank);
  const out = x.backend.slice(x, ax, start, end);
  return record1('slice', [x], out, (g) => [g.backend.sliceBackward(g, x.shape, ax, start)]);
}

/** x[..., index, ...]: the slice at one position, with that axis dropped (torch.select). */
export function select(x: Tensor, axis: number, index: number): Tensor {
  const ax = normalizeAxis(axis, x.rank);
  return reshape(slice(x, ax, index, index + 1), x.shape.filter((_, i) => i !== ax));
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat needs at least one tensor');
  const ax = normalizeAxis(axis, xs[0].rank);
  const out = xs[0].backend.concat(xs, ax);
  return record1('concat', xs, out, (g, needs) => {
    let at = 0;
    return xs.map((x, i) => {
      const start = at;
      at += x.shape[ax];
      return needs[i] ? g.backend.slice(g, ax, start, start + x.shape[ax]) : null;
    });
  });
}

/** Split along an axis into pieces of the given sizes (torch.split with a list). */
export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const ax = normalizeAxis(axis, x.rank);
  // Offsets as one running prefix sum: unbind splits a [B, T, I] input into T pieces, so
  // anything per piece that looks at the earlier pieces would make it quadratic in T.
  const starts = new Array<number>(sizes.length);
  let total = 0;
  for (let i = 0; i < sizes.length; i++) {
    starts[i] = total;
    total += sizes[i];
  }
  if (total !== x.shape[ax]) throw new Error(`split sizes sum to ${total}, axis ${ax} has ${x.shape[ax]}`);
  const k = x.backend;
  const outs = sizes.map((n, i) => k.slice(x, ax, starts[i], starts[i] + n));
  // One node for all pieces, so the gradient is assembled by a single concat.
  return record('split', [x], outs, (grads) => [
    k.concat(grads.map((g, i) => g ?? k.full(outs[i].shape, x.dtype, 0)), ax),
  ]);
}

/** Split into `chunks` equal pieces (torch.chunk when the size divides evenly). */
export function chunk(x: Tensor, chunks: number, axis: number): Tensor[] {
  const ax = normalizeAxis(axis, x.rank);
  const n = x.shape[ax];
  if (n % chunks !== 0) throw new Error(`cannot chunk size ${n} into ${chunks} equal pieces`);
  return split(x, new Array<number>(chunks).fill(n / chunks), ax);
}

/** The slices along an axis, with that axis dropped (torch.unbind): one graph node for all of
 * them, so a [B, T, I] input costs one gradient assembly, not T. */
export function unbind(x: Tensor, axis: number): Tensor[] {
  const ax = normalizeAxis(axis, x.rank);
  const pieces = split(x, new Array<number>(x.shape[ax]).fill(1), ax);
  const shape = x.shape.filter((_, i) => i !== ax);
  return pieces.map((p) => reshape(p, shape));
}

/** Stack equal-shaped tensors along a new axis (torch.stack). */
export function stack(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('stack needs at least one tensor');
  const ax = normalizeAxis(axis, xs[0].rank + 1);
  const shape = [...xs[0].shape];
  shape.splice(ax, 0, 1);
  return concat(xs.map((x) => reshape(x, shape)), ax);
}
