import { formatShape, sameShape } from '../tensor/shape.ts';
import type { GraphNode, Tensor } from '../tensor/tensor.ts';

/** Accumulate a gradient into a tensor's `.grad` with `+=` (a weight used T times sums T terms). */
export function accumulateGrad(t: Tensor, g: Tensor): void {
  if (!sameShape(t.shape, g.shape)) {
    throw new Error(`gradient of shape ${formatShape(g.shape)} for ${t.toString()}`);
  }
  if (t.grad === null) t.grad = t.backend.cast(g, t.dtype); // a private copy we may add into
  else t.backend.addInto(t.grad, g);
}

/** Nodes reachable from `root`, ordered so that every node comes after all nodes that consume
 * its outputs (reverse post-order of a depth-first walk, iterative so deep unrolls don't
 * overflow the stack). */
function topologicalOrder(root: GraphNode): GraphNode[] {
  const visited = new Set<GraphNode>();
  const post: GraphNode[] = [];
  const stack: { node: GraphNode; next: number }[] = [{ node: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next < top.node.inputs.length) {
      const child = top.node.inputs[top.next++].node;
      if (child && !visited.has(child)) {
        visited.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      post.push(top.node);
      stack.pop();
    }
  }
  return post.reverse();
}

/**
 * Reverse-mode differentiation from `root`. Every tensor on the way keeps its `.grad` (as
 * torch's retain_grad would), which is what the dL/dh_t probe reads; parameters and other leaves
 * accumulate with `+=` across calls until zeroGrad(). `gradOutput` defaults to
 * ones for a one-element root.
 */
export function backward(root: Tensor, gradOutput?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward() on a tensor that does not require grad');
  let seed = gradOutput;
  if (!seed) {
    if (root.size !== 1) throw new Error(`backward() without a gradient needs a one-element output, got ${formatShape(root.shape)}`);
    seed = root.backend.full(root.shape, root.dtype, 1);
  }
  const order = root.node ? topologicalOrder(root.node) : [];
  // Intermediate tensors keep the gradient of the latest pass only: propagating a .grad left by
  // an earlier backward() through the same graph would count that pass twice. Leaves (no node)
  // accumulate across passes, as in torch.
  for (const node of order) for (const out of node.outputs) out.grad = null;
  accumulateGrad(root, seed);
  for (const node of order) {
    const gradOutputs = node.outputs.map((o) => o.grad);
    if (gradOutputs.every((g) => g === null)) continue;
    const needs = node.inputs.map((t) => t.requiresGrad);
    const gradInputs = node.backward(gradOutputs, needs);
    node.inputs.forEach((input, i) => {
      const g = gradInputs[i];
      if (needs[i] && g) accumulateGrad(input, g);
    });
  }
}

/** Clear `.grad` on the given tensors (parameters between steps). */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) t.grad = null;
}
