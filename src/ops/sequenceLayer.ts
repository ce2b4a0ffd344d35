import { record } from '../autograd/graph.ts';
import type { CellWeights, SequenceKernels } from '../backends/backend.ts';
import { sequenceKernelsFromSteps } from '../backends/sequenceFromSteps.ts';
import type { CellSpec } from '../cells/spec.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { cellStep } from './cellStep.ts';

/**
 * The whole-sequence fast path: one layer over all T steps as ONE graph node, whose backward
 * runs BPTT inside the backend's sequence kernel (on the CPU: src/backends/cpu/sequence.ts).
 * Same numbers as the reference path (test/nn/sequencePath.test.ts proves it), without a tape
 * node, a per-step gradient tensor or a per-step weight-gradient accumulation inside the sequence.
 * A backend with step kernels but no sequence kernels gets them built from its steps; one with
 * neither runs the steps on the reference path.
 *
 * Graph node: inputs [x_1..x_T, h0, (c0), W_ih, W_hh, b_ih, b_hh], outputs h_1..h_T.
 */
export function sequenceLayer(spec: CellSpec, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights): Tensor[] {
  const k = h0.backend;
  const T = xs.length;
  if (T === 0) return [];
  if (spec.cellState && !c0) throw new Error(`sequenceLayer: ${spec.kind} needs c0`);
  const c = spec.cellState ? c0 : null;
  const kernels: SequenceKernels | null = k.sequences ?? (k.cellSteps ? sequenceKernelsFromSteps(k, k.cellSteps) : null);
  if (!kernels) {
    const hs: Tensor[] = [];
    let state = { h: h0, c };
    for (const x of xs) {
      state = cellStep(spec, x, state, w);
      hs.push(state.h);
    }
    return hs;
  }
  const { hs, tape } = kernels.sequenceForward(spec, xs, h0, c, w);
  const inputs = [...xs, h0, ...(c ? [c] : []), w.wIh, w.wHh, w.bIh, w.bHh];
  const weightAt = T + (c ? 2 : 1);
  return record(`${spec.kind}_sequence`, inputs, hs, (gradOutputs, needs) => {
    const g = kernels.sequenceBackward(tape, gradOutputs, needs.slice(0, T).some(Boolean));
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
