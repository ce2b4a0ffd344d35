import type { Tensor } from '../tensor/tensor.ts';

/** L2 norm of a tensor's gradient over all its elements (batch and units); 0 when it got none. */
export function gradNorm(t: Tensor): number {
  return t.grad ? Math.sqrt(t.backend.sumOfSquares(t.grad)) : 0;
}

/**
 * The vanishing-gradient probe: ||dL/dh_t|| for every layer and timestep, read from the hidden
 * states' retained gradients after backward(). Index [layer][t], t = 1..T (h_0 excluded).
 */
export function hiddenGradNorms(hidden: readonly (readonly Tensor[])[]): number[][] {
  return hidden.map((layer) => layer.map(gradNorm));
}
