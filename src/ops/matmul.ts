import { record1 } from '../autograd/graph.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { add } from './pointwise.ts';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/**
 * C = op(A) op(B) for 2-D tensors. The gradients are matmuls with the transposes folded into
 * the kernel flags, so no transposed copy is ever made:
 *   C = A B   : dA = dC Bᵀ, dB = Aᵀ dC   (and the analogues for each transposed layout).
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const tA = opts.transA ?? false;
  const tB = opts.transB ?? false;
  const k = a.backend;
  const out = k.matmul(a, b, tA, tB);
  return record1('matmul', [a, b], out, (g, needs) => [
    needs[0] ? (tA ? k.matmul(b, g, tB, true) : k.matmul(g, b, false, !tB)) : null,
    needs[1] ? (tB ? k.matmul(g, a, true, tA) : k.matmul(a, g, !tA, false)) : null,
  ]);
}

/** torch.nn.functional.linear: x Wᵀ + b with W [out, in]. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const y = matmul(x, weight, { transB: true });
  return bias ? add(y, bias) : y;
}
