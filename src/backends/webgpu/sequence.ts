import type { CellSpec } from '../../cells/spec.ts';
import { writesDirect } from '../../cells/generateJs.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import type { CellWeights, SequenceGrads, SequenceKernels, SequenceTape } from '../backend.ts';
import { checkSequenceArgs, checkShape } from '../sequenceArgs.ts';
import type { WebGpuBackend } from './index.ts';
import * as K from './kernels.ts';
import { carryBack, RECURRENT_PROJECTION, stepBackward, stepForward } from './sequenceShaders.ts';

/**
 * The WebGPU backend's whole-sequence kernels, arranged as the CPU's (src/backends/cpu/sequence.ts):
 *  - forward: the input projection X W_ihᵀ + b_ih of all T steps is ONE GEMM into a time-major
 *    [T·B, G·H] buffer; each step then runs only its recurrent projection h_{t-1} W_hhᵀ + b_hh
 *    (matrix recurrences) and the cell's fused pointwise shader, which reads its rows of the
 *    projections (sequenceShaders.ts);
 *  - backward: each step runs the pointwise backward and one pass forming dL/dh_{t-1}
 *    (dG_t W_hh + direct path + external gradient); then dW_ih = dGᵀ X, dW_hh = dGᵀ H_prev, the
 *    bias gradients (column sums) and dX = dG W_ih are ONE GEMM or reduction each over all rows.
 * So a step costs 2 dispatches each way (1 forward for a diagonal recurrence) instead of 5 and
 * 11-13 in the per-step loop of src/backends/sequenceFromSteps.ts, which this replaces on WebGPU
 * (LSTM, B=4, T=50, H=16: 102 + 106 dispatches per layer against 252 + 596). Every cell in the
 * table runs here: the generated shaders only need their index offset.
 *
 * The contract is the other backends': totals are null after the last step that got an external
 * gradient, and nothing flows from there (the backward starts at that step and its GEMMs run over
 * the rows up to it); the input gradients only when asked. Every returned tensor is fresh (a
 * total becomes h_t's .grad, which autograd may add into); scratch buffers go back to the pool
 * when the call ends, the tape's with the scope that made them.
 */

class WebGpuSequenceTape implements SequenceTape {
  constructor(
    readonly spec: CellSpec,
    readonly steps: number,
    readonly owner: WebGpuBackend,
    readonly batch: number,
    readonly input: number,
    readonly hidden: number,
    readonly w: CellWeights,
    /** x_1..x_T, [T·B, I]. */
    readonly x: Tensor,
    /** h_0..h_T, [(T+1)·B, H]: block t is step t's h_{t-1}, and its first T·B rows are H_prev. */
    readonly hPrev: Tensor,
    /** h_1..h_T, [T·B, H] (the generated backward's h_next). */
    readonly hNext: Tensor,
    /** c_0..c_T, [(T+1)·B, H], cells with a cell state. */
    readonly cPrev: Tensor | null,
    /** The spec's saved values of every step, [T·B, S·H]; null when it saves none. */
    readonly saved: Tensor | null,
  ) {}
}

export function webgpuSequenceKernels(k: WebGpuBackend): SequenceKernels {
  return {
    sequenceForward: (spec, xs, h0, c0, w) => forward(k, spec, xs, h0, c0, w),
    sequenceBackward: (tape, dhs, inputGrads) => backward(k, tape, dhs, inputGrads),
  };
}

/** The tensors a step shader binds, by its binding names. */
function bind(names: readonly string[], byName: Readonly<Record<string, Tensor | null>>): Tensor[] {
  return names.map((n) => {
    const t = byName[n];
    if (!t) throw new Error(`webgpu sequence kernel: nothing to bind to ${n}`);
    return t;
  });
}

function forward(
  k: WebGpuBackend, spec: CellSpec, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights,
): { hs: Tensor[]; tape: SequenceTape } {
  const { T, B, I, H, GH } = checkSequenceArgs(spec, xs, h0, c0, w);
  const SH = spec.saved.length * H;
  const BH = B * H;
  const matrix = spec.recurrent === 'matrix';

  const x = k.empty([T * B, I]);
  xs.forEach((xt, t) => k.copyBlock(xt, 0, x, t * B * I, B * I));
  // The input projection of every step: bias broadcast over all T·B rows, then one GEMM onto it.
  const xi = k.empty([T * B, GH]);
  k.run(K.rowBroadcast(), [xi.size, GH], [w.bIh, xi], xi.size);
  k.gemmInto(x, w.wIh, xi, false, true, true);

  const hPrev = k.empty([(T + 1) * B, H]);
  k.copyBlock(h0, 0, hPrev, 0, BH);
  const cPrev = spec.cellState ? k.empty([(T + 1) * B, H]) : null;
  if (cPrev && c0) k.copyBlock(c0, 0, cPrev, 0, BH);
  const hNext = k.empty([T * B, H]);
  const cNext = spec.cellState ? k.empty([T * B, H]) : null; // written by the generated code, read by nobody
  const saved = SH > 0 ? k.empty([T * B, SH]) : null;
  const hh = matrix ? k.empty([T * B, GH]) : null;
  const shader = stepForward(spec);
  for (let t = 0; t < T; t++) {
    if (hh) k.run(RECURRENT_PROJECTION, [B * GH, GH, H, t * BH, t * B * GH], [hPrev, w.wHh, w.bHh, hh], B * GH);
    const tensors = bind(shader.bindings, { XI: xi, HH: hh, U: w.wHh, HB: w.bHh, HP: hPrev, CP: cPrev, SV: saved, HO: hNext, CO: cNext });
    k.run(shader.kernel, [BH, H, t * BH], tensors, BH);
  }
  const hs = Array.from({ length: T }, (_, t) => {
    const h = k.empty([B, H]);
    k.copyBlock(hNext, t * BH, h, 0, BH);
    return h;
  });
  for (const scratch of [xi, hh, cNext]) if (scratch) k.dispose(scratch);
  return { hs, tape: new WebGpuSequenceTape(spec, T, k, B, I, H, w, x, hPrev, hNext, cPrev, saved) };
}

function backward(k: WebGpuBackend, tapeIn: SequenceTape, dhs: readonly (Tensor | null)[], inputGrads: boolean): SequenceGrads {
  if (!(tapeIn instanceof WebGpuSequenceTape) || tapeIn.owner !== k) throw new Error('sequence kernel: the tape was made by another backend');
  const { spec, steps: T, batch: B, input: I, hidden: H, w } = tapeIn;
  if (dhs.length !== T) throw new Error(`sequence kernel: ${dhs.length} output gradients for ${T} steps`);
  dhs.forEach((d, t) => d && checkShape(`dL/dh_${t + 1}`, d, [B, H]));
  const GH = spec.gates.length * H;
  const BH = B * H;
  const matrix = spec.recurrent === 'matrix';
  const direct = writesDirect(spec);
  const zeros = (shape: readonly number[]): Tensor => k.full(shape, 'float32', 0);

  // Steps after the last external gradient receive nothing: BPTT starts there.
  let last = T - 1;
  while (last >= 0 && !dhs[last]) last--;
  if (last < 0) {
    return {
      dxs: inputGrads ? Array.from({ length: T }, () => zeros([B, I])) : null,
      dh0: zeros([B, H]),
      dc0: spec.cellState ? zeros([B, H]) : null,
      dWIh: zeros(w.wIh.shape), dWHh: zeros(w.wHh.shape), dBIh: zeros(w.bIh.shape), dBHh: zeros(w.bHh.shape),
      dhs: new Array<Tensor | null>(T).fill(null),
    };
  }
  const rows = (last + 1) * B;

  // Time-major, rows up to `last` only: dL/d(pre-activation) of the input side (dGi) and the
  // hidden side (dGh, the same buffer when the spec ties them), dGh ⊙ h_{t-1} (diagonal), the
  // direct path, the totals dL/dh_t and dL/dc_t.
  const dGi = k.empty([rows, GH]);
  const dGh = spec.tied ? dGi : k.empty([rows, GH]);
  const dur = matrix ? null : k.empty([rows, GH]);
  const dhd = direct ? k.empty([rows, H]) : null;
  const total = k.empty([rows, H]);
  k.copyBlock(dhs[last]!, 0, total, last * BH, BH);
  // dL/dc_t: block `last` is zero (nothing comes from later steps); each step writes the block before.
  const dc = spec.cellState ? zeros([rows, H]) : null;
  const dcPrev = spec.cellState ? k.empty([rows, H]) : null;
  const dh0 = k.empty([B, H]);

  const shader = stepBackward(spec);
  const carry = carryBack(matrix, direct);
  for (let t = last; t >= 0; t--) {
    const tensors = bind(shader.bindings, {
      SV: tapeIn.saved, HP: tapeIn.hPrev, CP: tapeIn.cPrev, HN: tapeIn.hNext, DH: total, DC: dc, U: w.wHh,
      DXI: dGi, DHH: dGh, DUR: dur, DHD: dhd, DCO: dcPrev,
    });
    k.run(shader.kernel, [BH, H, t * BH], tensors, BH);
    const ext = t > 0 ? dhs[t - 1] : null;
    // EXT is read only when P[6] says so; W_hh stands in for a missing one (any readable buffer).
    const carryTensors = [...(matrix ? [dGh, w.wHh] : []), ...(dhd ? [dhd] : []), ext ?? w.wHh, t > 0 ? total : dh0];
    k.run(carry, [BH, H, GH, t > 0 ? (t - 1) * BH : 0, t * B * GH, t * BH, ext ? 1 : 0], carryTensors, BH);
  }

  const totals = dhs.map((_, t) => {
    if (t > last) return null;
    const d = k.empty([B, H]);
    k.copyBlock(total, t * BH, d, 0, BH);
    return d;
  });
  let dc0: Tensor | null = null;
  if (dcPrev) {
    dc0 = k.empty([B, H]);
    k.copyBlock(dcPrev, 0, dc0, 0, BH);
  }

  // The weight gradients, one product or reduction each over all rows.
  const dWIh = k.empty([GH, I]);
  k.gemmSized(dGi, tapeIn.x, dWIh, { m: GH, n: I, k: rows }, true, false, false);
  const dWHh = k.empty(w.wHh.shape);
  if (matrix) k.gemmSized(dGh, tapeIn.hPrev, dWHh, { m: GH, n: H, k: rows }, true, false, false);
  else k.run(K.sumAxis(), [GH, rows, GH], [dur!, dWHh], GH);
  // Two sums even when dGi is dGh: the bias gradients become two parameters' .grad, which
  // autograd adds into in place, so they must not share storage.
  const dBIh = k.empty([GH]);
  k.run(K.sumAxis(), [GH, rows, GH], [dGi, dBIh], GH);
  const dBHh = k.empty([GH]);
  k.run(K.sumAxis(), [GH, rows, GH], [dGh, dBHh], GH);

  let dxs: Tensor[] | null = null;
  if (inputGrads) {
    const dx = k.empty([rows, I]);
    k.gemmSized(dGi, w.wIh, dx, { m: rows, n: I, k: GH }, false, false, false);
    dxs = Array.from({ length: T }, (_, t) => {
      if (t > last) return zeros([B, I]); // no gradient reached step t
      const d = k.empty([B, I]);
      k.copyBlock(dx, t * B * I, d, 0, B * I);
      return d;
    });
    k.dispose(dx);
  }
  for (const scratch of new Set([dGi, dGh, dur, dhd, total, dc, dcPrev])) if (scratch) k.dispose(scratch);
  return { dxs, dh0, dc0, dWIh, dWHh, dBIh, dBHh, dhs: totals };
}
