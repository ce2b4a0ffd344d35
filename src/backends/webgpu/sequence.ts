import { formatShape } from '../../tensor/shape.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import type { CellGrads, CellWeights, SequenceCell, SequenceGrads, SequenceTape } from '../backend.ts';
import type { WebGpuBackend } from './index.ts';

/**
 * Whole-sequence kernels on the device: the per-step fused cells in a loop, every step's tensors
 * kept on the device for BPTT. Nothing is read back, so a whole layer's forward and backward
 * are queued without a single wait.
 */
class GpuSequenceTape implements SequenceTape {
  constructor(
    readonly cell: SequenceCell,
    readonly steps: number,
    readonly backend: WebGpuBackend,
    readonly w: CellWeights,
    readonly xs: readonly Tensor[],
    /** h_0..h_T. */
    readonly hs: readonly Tensor[],
    /** lstm: c_0..c_T. */
    readonly cs: readonly Tensor[],
    /** lstm/gru: the activated gates of steps 1..T. */
    readonly gates: readonly Tensor[],
    /** gru: W_hn h_{t-1} + b_hn of steps 1..T. */
    readonly hn: readonly Tensor[],
  ) {}
}

export function sequenceForward(
  k: WebGpuBackend, cell: SequenceCell, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights,
): { hs: Tensor[]; tape: SequenceTape } {
  if (cell === 'lstm' && !c0) throw new Error('sequence kernel: an lstm needs c0');
  const hs: Tensor[] = [h0];
  const cs: Tensor[] = c0 ? [c0] : [];
  const gates: Tensor[] = [];
  const hn: Tensor[] = [];
  xs.forEach((x, t) => {
    const h = hs[t];
    if (cell === 'lstm') {
      const r = k.lstmCellForward(x, h, cs[t], w);
      hs.push(r.h);
      cs.push(r.c);
      gates.push(r.gates);
    } else if (cell === 'gru') {
      const r = k.gruCellForward(x, h, w);
      hs.push(r.h);
      gates.push(r.gates);
      hn.push(r.hn);
    } else {
      hs.push(k.rnnCellForward(cell === 'rnn_relu' ? 'relu' : 'tanh', x, h, w));
    }
  });
  return { hs: hs.slice(1), tape: new GpuSequenceTape(cell, xs.length, k, w, xs, hs, cs, gates, hn) };
}

/** BPTT from the external dL/dh_t (null where none), with the CPU kernel's contract: totals are
 * null after the last step that got an external gradient, and nothing flows from there. */
export function sequenceBackward(k: WebGpuBackend, tapeIn: SequenceTape, dhs: readonly (Tensor | null)[], inputGrads: boolean): SequenceGrads {
  if (!(tapeIn instanceof GpuSequenceTape)) throw new Error('sequence kernel: the tape was made by another backend');
  const { cell, steps: T, w, xs, hs, cs, gates, hn } = tapeIn;
  if (dhs.length !== T) throw new Error(`sequence kernel: ${dhs.length} output gradients for ${T} steps`);
  const stateShape = hs[0].shape;
  dhs.forEach((d, t) => {
    if (d && (d.shape[0] !== stateShape[0] || d.shape[1] !== stateShape[1])) {
      throw new Error(`sequence kernel: dL/dh_${t + 1} has shape ${formatShape(d.shape)}, expected ${formatShape(stateShape)}`);
    }
  });
  let last = T - 1;
  while (last >= 0 && !dhs[last]) last--;

  const totals: (Tensor | null)[] = new Array<Tensor | null>(T).fill(null);
  const dxSteps: Tensor[] = [];
  let carry: Tensor | null = null;
  let dcCarry: Tensor | null = null;
  let sum: Omit<CellGrads, 'dx' | 'dh'> | null = null;
  for (let t = last; t >= 0; t--) {
    const ext = dhs[t];
    // A fresh tensor for the total: it becomes h_t's .grad, which autograd may add into.
    const total: Tensor = ext && carry ? k.binary('add', carry, ext) : ext ? k.cast(ext, 'float32') : (carry ?? k.full(stateShape, 'float32', 0));
    totals[t] = total;
    let g: CellGrads;
    if (cell === 'lstm') {
      const r = k.lstmCellBackward(xs[t], hs[t], cs[t], cs[t + 1], gates[t], total, dcCarry, w);
      dcCarry = r.dc;
      g = r;
    } else if (cell === 'gru') {
      g = k.gruCellBackward(xs[t], hs[t], gates[t], hn[t], total, w);
    } else {
      g = k.rnnCellBackward(cell === 'rnn_relu' ? 'relu' : 'tanh', xs[t], hs[t], hs[t + 1], total, w);
    }
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
  const zeros = (t: Tensor): Tensor => k.full(t.shape, 'float32', 0);
  return {
    // Steps after `last` got no gradient: their dx is zero.
    dxs: inputGrads ? xs.map((x, t) => dxSteps[t] ?? zeros(x)) : null,
    dh0: carry ?? zeros(hs[0]),
    dc0: cell === 'lstm' ? (dcCarry ?? zeros(hs[0])) : null,
    dWIh: sum?.dWIh ?? zeros(w.wIh),
    dWHh: sum?.dWHh ?? zeros(w.wHh),
    dBIh: sum?.dBIh ?? zeros(w.bIh),
    dBHh: sum?.dBHh ?? zeros(w.bHh),
    dhs: totals,
  };
}
