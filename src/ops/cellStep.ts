import { record } from '../autograd/graph.ts';
import type { CellWeights } from '../backends/backend.ts';
import type { CellSpec } from '../cells/spec.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { cellReferenceStep, type CellState } from './cellReference.ts';

/**
 * One timestep of any cell as ONE graph node, on the backend's fused step kernels (one kernel
 * forward, one backward, generated from the spec). A backend without them gets the spec's
 * reference path (cellReference.ts): the same numbers, more graph nodes.
 *
 * Graph node: inputs [x, h, (c), W_ih, W_hh, b_ih, b_hh], outputs [h', (c')].
 */
export function cellStep(spec: CellSpec, x: Tensor, state: CellState, w: CellWeights): CellState {
  const kernels = x.backend.cellSteps;
  if (!kernels) return cellReferenceStep(spec, x, state, w);
  const { h, c } = state;
  if (spec.cellState && !c) throw new Error(`${spec.kind} needs a cell state c`);
  const out = kernels.cellForward(spec, x, h, c, w);
  const inputs = [x, h, ...(c ? [c] : []), w.wIh, w.wHh, w.bIh, w.bHh];
  const outputs = out.c ? [out.h, out.c] : [out.h];
  const at = c ? 3 : 2;
  const recorded = record(`${spec.kind}_step`, inputs, outputs, ([dh, dc], needs) => {
    if (!dh && !dc) return inputs.map(() => null);
    const g = kernels.cellBackward(spec, x, h, c, out, dh ?? null, dc ?? null, w);
    return [
      needs[0] ? g.dx : null,
      needs[1] ? g.dh : null,
      ...(c ? [needs[2] ? g.dc : null] : []),
      needs[at] ? g.dWIh : null,
      needs[at + 1] ? g.dWHh : null,
      needs[at + 2] ? g.dBIh : null,
      needs[at + 3] ? g.dBHh : null,
    ];
  });
  return { h: recorded[0], c: out.c ? recorded[1] : null };
}
