import { record1 } from '../autograd/graph.ts';
import type { BinaryOp, UnaryOp } from '../backends/pointwise.ts';
import type { Tensor } from '../tensor/tensor.ts';

function unaryOp(op: UnaryOp) {
  return (x: Tensor): Tensor => {
    const y = x.backend.unary(op, x);
    return record1(op, [x], y, (g) => [x.backend.unaryBackward(op, x, y, g)]);
  };
}

export const neg = unaryOp('neg');
export const tanh = unaryOp('tanh');
export const sigmoid = unaryOp('sigmoid');
export const relu = unaryOp('relu');
export const exp = unaryOp('exp');
export const log = unaryOp('log');
export const square = unaryOp('square');
export const sqrt = unaryOp('sqrt');

/** Binary op with broadcasting; each input's gradient is summed back down to its own shape. */
function binaryOp(op: BinaryOp, grads: (a: Tensor, b: Tensor, out: Tensor, g: Tensor) => [() => Tensor, () => Tensor]) {
  return (a: Tensor, b: Tensor): Tensor => {
    const out = a.backend.binary(op, a, b);
    return record1(op, [a, b], out, (g, needs) => {
      const [ga, gb] = grads(a, b, out, g);
      return [
        needs[0] ? a.backend.sumToShape(ga(), a.shape) : null,
        needs[1] ? a.backend.sumToShape(gb(), b.shape) : null,
      ];
    });
  };
}

export const add = binaryOp('add', (_a, _b, _o, g) => [() => g, () => g]);
export const sub = binaryOp('sub', (_a, _b, _o, g) => [() => g, () => g.backend.unary('neg', g)]);
export const mul = binaryOp('mul', (a, b, _o, g) => [() => g.backend.binary('mul', g, b), () => g.backend.binary('mul', g, a)]);
// d(a/b)/db = -(a/b)/b = -out/b
export const div = binaryOp('div', (_a, b, out, g) => [
  () => g.backend.binary('div', g, b),
  () => g.backend.unary('neg', g.backend.binary('div', g.backend.binary('mul', g, out), b)),
]);

/** x * factor for a plain number. */
export function scale(x: Tensor, factor: number): Tensor {
  return record1('scale', [x], x.backend.scale(x, factor), (g) => [g.backend.scale(g, factor)]);
}
