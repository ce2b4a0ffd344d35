import { record } from '../autograd/graph.ts';
import type { CellWeights } from '../backends/backend.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { CellKind } from './cellKinds.ts';

/**
 * The whole-sequence fast path: one layer over all T steps as ONE graph node, whose backward
 * runs BPTT inside one backend kernel (src/backends/cpu/sequence.ts). Same numbers as the
 * reference path (test/nn/sequencePath.test.ts proves it), without a tape node, a per-step
 * gradient tensor or a per-step weight-gradient accumulation inside the sequence.
 *
 * Graph node: inputs [x_1..x_T, h0, (c0 for lstm), W_ih, W_hh, b_ih, b_hh], outputs h_1..h_T.
 */
export function sequenceLayer(cell: CellKind, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights): Tensor[] {
  const k = h0.backend;
  const T = xs.length;
  if (T === 0) return [];
  const lstm = cell === 'lstm';
  if (lstm && !c0) throw new Error('sequenceLayer: lstm needs c0');
  const c = lstm ? c0 : null;
  const { hs, tape } = k.sequenceForward(cell, xs, h0, c, w);
  const inputs = [...xs, h0, ...(c ? [c] : []), w.wIh, w.wHh, w.bIh, w.bHh];
  const weightAt = T + (c ? 2 : 1);
  return record(`${cell}_sequence`, inputs, hs, (gradOutputs, needs) => {
    const g = k.sequenceBackward(tape, gradOutputs, needs.slice(0, T).some(Boolean));
    // The diagnostics contract (ForwardResult.hidden, hiddenGradNorms): after backward() each
    // h_t's `.grad` is the TOTAL derivative dL/dh_t, external plus through every later step,
    // as the reference path's retained grads are. Autograd handed us only the external part
    // (gradOutputs[t] is hs[t].grad as accumulated so far); the kernel forms the totals during
    // BPTT, so we store them here. This is safe because backward() visits nodes in topological
    // order: every consumer of h_t (the head, the layer above, a residual add, ...) has already
    // run and added its share before this node runs, and nothing visited later reads or adds to
    // h_t's grad (h_t is an output of this node only, and our own later steps are inside the
    // kernel). Steps after the last external gradient get none, as on the reference path.
    hs.forEach((h, t) => {
      h.grad = g.dhs[t];
    });
    const dxs = g.dxs;
    return [
      ...xs.map((_, t) => (needs[t] && dxs ? dxs[t] : null)),
      needs[T] ? g.dh0 : null,
      ...(c ? [needs[T + 1] ? g.dc0 : null] : []),
      needs[weightAt] ? g.dWIh : null,
      needs[weightAt + 1] ? g.dWHh : null,
      needs[weightAt + 2] ? g.dBIh : null,
      needs[weightAt + 3] ? g.dBHh : null,
    ];
  });
}
