import type { CellSpec } from '../../cells/spec.ts';
import { Tensor } from '../../tensor/tensor.ts';
import type {
  Backend, CellStepGrads, CellStepKernels, CellStepOutput, CellWeights, SequenceGrads, SequenceKernels, SequenceTape,
} from '../backend.ts';
import { stepBackward, stepForward, type Dims, type RawWeights } from './cells.ts';
import * as sequence from './sequence.ts';
import { isWasmTape, sequenceBackwardWasm, sequenceForwardWasm, wasmRuns } from './sequenceWasm.ts';
import type { WasmGemm } from './wasm.ts';

const raw = (w: CellWeights): RawWeights => ({ wIh: w.wIh.data, wHh: w.wHh.data, bIh: w.bIh.data, bHh: w.bHh.data });
const dims = (x: Tensor, h: Tensor): Dims => ({ batch: x.shape[0], input: x.shape[1], hidden: h.shape[1] });

/**
 * The CPU backend's fused recurrent kernels, for every cell in the table: per step (cells.ts)
 * and per whole sequence — float64 in JavaScript (sequence.ts), float32 on the WebAssembly SIMD
 * kernels when the backend has them (sequenceWasm.ts) and the cell's recurrence is dense.
 */
export class CpuCellKernels implements CellStepKernels, SequenceKernels {
  constructor(private readonly backend: Backend, private readonly wasm: () => WasmGemm | null) {}

  private make(data: Tensor['data'], shape: readonly number[], like: Tensor): Tensor {
    return new Tensor([...shape], like.dtype, data, this.backend);
  }

  cellForward(spec: CellSpec, x: Tensor, h: Tensor, c: Tensor | null, w: CellWeights): CellStepOutput {
    const d = dims(x, h);
    const out = stepForward(spec, x.data, h.data, c?.data ?? null, raw(w), d, x.dtype);
    return {
      h: this.make(out.h, h.shape, x),
      c: out.c ? this.make(out.c, h.shape, x) : null,
      saved: this.make(out.saved, [d.batch, spec.saved.length * d.hidden], x),
    };
  }

  cellBackward(
    spec: CellSpec, x: Tensor, h: Tensor, c: Tensor | null, out: CellStepOutput,
    dh: Tensor | null, dc: Tensor | null, w: CellWeights,
  ): CellStepGrads {
    const g = stepBackward(spec, x.data, h.data, c?.data ?? null, out.h.data, out.saved.data, dh?.data ?? null, dc?.data ?? null, raw(w), dims(x, h), x.dtype);
    return {
      dx: this.make(g.dx, x.shape, x),
      dh: this.make(g.dh, h.shape, x),
      dc: g.dc ? this.make(g.dc, h.shape, x) : null,
      dWIh: this.make(g.dWIh, w.wIh.shape, x),
      dWHh: this.make(g.dWHh, w.wHh.shape, x),
      dBIh: this.make(g.dBIh, w.bIh.shape, x),
      dBHh: this.make(g.dBHh, w.bHh.shape, x),
    };
  }

  sequenceForward(spec: CellSpec, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights): { hs: Tensor[]; tape: SequenceTape } {
    const gm = this.wasm();
    if (gm && h0.dtype === 'float32' && wasmRuns(spec)) return sequenceForwardWasm(gm, this.backend, spec, xs, h0, c0, w);
    return sequence.sequenceForward(this.backend, spec, xs, h0, c0, w);
  }

  sequenceBackward(tape: SequenceTape, dhs: readonly (Tensor | null)[], inputGrads: boolean): SequenceGrads {
    const gm = this.wasm();
    if (isWasmTape(tape)) {
      if (!gm) throw new Error('sequence kernel: a wasm tape on a backend without the wasm kernels');
      return sequenceBackwardWasm(gm, tape, dhs, inputGrads);
    }
    return sequence.sequenceBackward(tape, dhs, inputGrads);
  }
}
