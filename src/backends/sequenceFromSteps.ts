import type { CellSpec } from '../cells/spec.ts';
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type {
  Backend, CellStepKernels, CellStepOutput, CellWeights, SequenceGrads, SequenceKernels, SequenceTape, WeightGrads,
} from './backend.ts';

/**
 * Whole-sequence kernels for any backend that has per-step kernels: the fused steps in a loop,
 * every step's tensors kept for BPTT, the weight gradients summed in place. Nothing is read
 * back, so on a GPU a whole layer's forward and backward are queued without a single wait.
 * The contract is the CPU sequence kernel's (totals are null after the last step that got an
 * external gradient, and nothing flows from there). src/ops/sequenceLayer.ts builds these for a
 * backend with step kernels but no sequence kernels of its own (the CPU and WebGPU backends have
 * their own; test/backends/coreOnly.test.ts runs this path).
 */
class StepsTape implements SequenceTape {
  constructor(
    readonly spec: CellSpec,
    readonly steps: number,
    readonly owner: Backend,
    readonly w: CellWeights,
    readonly xs: readonly Tensor[],
    /** h_0..h_T. */
    readonly hs: readonly Tensor[],
    /** c_0..c_T for cells with a cell state (else all null). */
    readonly cs: readonly (Tensor | null)[],
    /** Each step's outputs (its saved values). */
    readonly outs: readonly CellStepOutput[],
  ) {}
}

export function sequenceKernelsFromSteps(k: Backend, steps: CellStepKernels): SequenceKernels {
  return {
    sequenceForward: (spec, xs, h0, c0, w) => forward(k, steps, spec, xs, h0, c0, w),
    sequenceBackward: (tape, dhs, inputGrads) => backward(k, steps, tape, dhs, inputGrads),
  };
}

function forward(
  k: Backend, steps: CellStepKernels, spec: CellSpec, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights,
): { hs: Tensor[]; tape: SequenceTape } {
  if (spec.cellState && !c0) throw new Error(`sequence kernel: ${spec.kind} needs c0`);
  const hs: Tensor[] = [h0];
  const cs: (Tensor | null)[] = [spec.cellState ? c0 : null];
  const outs: CellStepOutput[] = [];
  xs.forEach((x, t) => {
    const out = steps.cellForward(spec, x, hs[t], cs[t], w);
    hs.push(out.h);
    cs.push(out.c);
    outs.push(out);
  });
  return { hs: hs.slice(1), tape: new StepsTape(spec, xs.length, k, w, xs, hs, cs, outs) };
}

function backward(
  k: Backend, steps: CellStepKernels, tapeIn: SequenceTape, dhs: readonly (Tensor | null)[], inputGrads: boolean,
): SequenceGrads {
  if (!(tapeIn instanceof StepsTape) || tapeIn.owner !== k) throw new Error('sequence kernel: the tape was made by another backend');
  const { spec, steps: T, w, xs, hs, cs, outs } = tapeIn;
  if (dhs.length !== T) throw new Error(`sequence kernel: ${dhs.length} output gradients for ${T} steps`);
  const stateShape = hs[0].shape;
  dhs.forEach((d, t) => {
    if (d && (d.shape[0] !== stateShape[0] || d.shape[1] !== stateShape[1])) {
      throw new Error(`sequence kernel: dL/dh_${t + 1} has shape ${formatShape(d.shape)}, expected ${formatShape(stateShape)}`);
    }
  });
  let last = T - 1;
  while (last >= 0 && !dhs[last]) last--;

  const dtype = hs[0].dtype;
  const totals: (Tensor | null)[] = new Array<Tensor | null>(T).fill(null);
  const dxSteps: Tensor[] = [];
  let carry: Tensor | null = null;
  let dcCarry: Tensor | null = null;
  let sum: WeightGrads | null = null;
  for (let t = last; t >= 0; t--) {
    const ext = dhs[t];
    // A fresh tensor for the total: it becomes h_t's .grad, which autograd may add into.
    const total: Tensor = ext && carry ? k.binary('add', carry, ext) : ext ? k.cast(ext, dtype) : (carry ?? k.full(stateShape, dtype, 0));
    totals[t] = total;
    const g = steps.cellBackward(spec, xs[t], hs[t], cs[t], outs[t], total, dcCarry, w);
    dcCarry = g.dc;
    carry = g.dh;
    if (inputGrads) dxSteps[t] = g.dx;
    if (!sum) {
      sum = { dWIh: g.dWIh, dWHh: g.dWHh, dBIh: g.dBIh, dBHh: g.dBHh };
    } else {
      k.addInto(sum.dWIh, g.dWIh);
      k.addInto(sum.dWHh, g.dWHh);
      k.addInto(sum.dBIh, g.dBIh);
      k.addInto(sum.dBHh, g.dBHh);
    }
  }
  const zeros = (t: Tensor): Tensor => k.full(t.shape, dtype, 0);
  return {
    // Steps after `last` got no gradient: their dx is zero.
    dxs: inputGrads ? xs.map((x, t) => dxSteps[t] ?? zeros(x)) : null,
    dh0: carry ?? zeros(hs[0]),
    dc0: spec.cellState ? (dcCarry ?? zeros(hs[0])) : null,
    dWIh: sum?.dWIh ?? zeros(w.wIh),
    dWHh: sum?.dWHh ?? zeros(w.wHh),
    dBIh: sum?.dBIh ?? zeros(w.bIh),
    dBHh: sum?.dBHh ?? zeros(w.bHh),
    dhs: totals,
  };
}
