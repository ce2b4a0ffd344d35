import type { GraphNode, Tensor } from '../tensor/tensor.ts';

let gradEnabled = true;

/** Run `fn` without recording the graph (evaluation, optimizer updates), like torch.no_grad. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

export type BackwardFn = (gradOutputs: readonly (Tensor | null)[], needs: readonly boolean[]) => readonly (Tensor | null)[];

/**
 * Record that `outputs` were computed from `inputs` by `op`. Nothing is recorded when no input
 * needs a gradient, so data tensors and evaluation cost no graph memory.
 */
export function record<T extends Tensor[]>(op: string, inputs: readonly Tensor[], outputs: T, backward: BackwardFn): T {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return outputs;
  const node: GraphNode = { op, inputs, outputs, backward };
  for (const out of outputs) {
    out.requiresGrad = true;
    out.node = node;
  }
  return outputs;
}

/** One-output convenience over `record`. */
export function record1(op: string, inputs: readonly Tensor[], output: Tensor, backward: (g: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[]): Tensor {
  return record(op, inputs, [output], (grads, needs) => {
    const g = grads[0];
    return g ? backward(g, needs) : inputs.map(() => null);
  })[0];
}
