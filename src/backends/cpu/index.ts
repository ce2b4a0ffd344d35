import { allocate, fromValues, type DType, type TypedArray } from '../../tensor/dtype.ts';
import { concatShape, formatShape, normalizeAxis, numel, sameShape, type Shape } from '../../tensor/shape.ts';
import { Tensor } from '../../tensor/tensor.ts';
import type { Backend, CellGrads, CellWeights, RnnActivation, SequenceCell, SequenceGrads, SequenceTape } from '../backend.ts';
import * as cells from './cells.ts';
import { binary, sumToShape, unary, unaryBackward } from './elementwise.ts';
import { gemm } from './gemm.ts';
import { concat, slice, sliceBackward, transpose2d } from './layout.ts';
import * as optim from './optim.ts';
import type { AdamHyper, RmspropHyper, SgdHyper } from '../optimHyper.ts';
import { softmaxCrossEntropy, softmaxCrossEntropyBackward } from './loss.ts';
import { sumAll, sumAxis, sumOfSquares } from './reduce.ts';
import * as sequence from './sequence.ts';
import { isWasmTape, sequenceBackwardWasm, sequenceForwardWasm } from './sequenceWasm.ts';
import { matmulWasm, wasmGemm } from './wasm.ts';

function raw(w: CellWeights): cells.RawWeights {
  return { wIh: w.wIh.data, wHh: w.wHh.data, bIh: w.bIh.data, bHh: w.bHh.data };
}

function dims(x: Tensor, h: Tensor): cells.Dims {
  return { batch: x.shape[0], input: x.shape[1], hidden: h.shape[1] };
}

function requireSameShape(what: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`${what}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  }
}

function require2d(what: string, x: Tensor): void {
  if (x.rank !== 2) throw new Error(`${what} needs a 2-D tensor, got shape ${formatShape(x.shape)}`);
}

/**
 * The CPU backend: JavaScript loops over Float32Array/Float64Array, and for float32 `matmul` and
 * the whole-sequence kernels a WebAssembly SIMD GEMM (wasm.ts) when its module is built. float64
 * always takes the JavaScript kernels (sums exact to float64 rounding: the gradient checks).
 */
class CpuBackend implements Backend {
  readonly name = 'cpu';

  private make(data: TypedArray, shape: Shape, dtype: DType): Tensor {
    return new Tensor([...shape], dtype, data, this);
  }

  fromValues(values: ArrayLike<number>, shape: Shape, dtype: DType): Tensor {
    return this.make(fromValues(dtype, values), shape, dtype);
  }

  full(shape: Shape, dtype: DType, value: number): Tensor {
    const data = allocate(dtype, numel(shape));
    if (value !== 0) data.fill(value);
    return this.make(data, shape, dtype);
  }

  read(x: Tensor): Float64Array {
    return Float64Array.from(x.data);
  }

  readAsync(x: Tensor): Promise<Float64Array> {
    return Promise.resolve(this.read(x));
  }

  reshape(x: Tensor, shape: Shape): Tensor {
    if (numel(shape) !== x.size) throw new Error(`cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
    return this.make(x.data, shape, x.dtype);
  }

  cast(x: Tensor, dtype: DType): Tensor {
    return this.make(fromValues(dtype, x.data), x.shape, dtype);
  }

  unary(op: Parameters<Backend['unary']>[0], x: Tensor): Tensor {
    return this.make(unary(op, x.data, x.dtype), x.shape, x.dtype);
  }

  unaryBackward(op: Parameters<Backend['unaryBackward']>[0], x: Tensor, y: Tensor, dy: Tensor): Tensor {
    return this.make(unaryBackward(op, x.data, y.data, dy.data, x.dtype), x.shape, x.dtype);
  }

  binary(op: Parameters<Backend['binary']>[0], a: Tensor, b: Tensor): Tensor {
    if (a.dtype !== b.dtype) throw new Error(`${op}: dtypes ${a.dtype} and ${b.dtype} differ`);
    const { data, shape } = binary(op, a.data, a.shape, b.data, b.shape, a.dtype);
    return this.make(data, shape, a.dtype);
  }

  scale(x: Tensor, factor: number): Tensor {
    const out = allocate(x.dtype, x.size);
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] * factor;
    return this.make(out, x.shape, x.dtype);
  }

  addInto(acc: Tensor, x: Tensor): void {
    requireSameShape('addInto', acc, x);
    const a = acc.data;
    const b = x.data;
    for (let i = 0; i < a.length; i++) a[i] += b[i];
  }

  scaleInPlace(x: Tensor, factor: number): void {
    const a = x.data;
    for (let i = 0; i < a.length; i++) a[i] *= factor;
  }

  clampInPlace(x: Tensor, limit: number): Tensor {
    const a = x.data;
    let changed = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i] > limit) (a[i] = limit), changed++;
      else if (a[i] < -limit) (a[i] = -limit), changed++;
    }
    return this.fromValues([changed], [], 'float64');
  }

  copyInto(x: Tensor, src: Tensor): void {
    requireSameShape('copyInto', x, src);
    x.data.set(src.data);
  }

  sgdStep(param: Tensor, grad: Tensor, momentumBuffer: Tensor | null, o: SgdHyper): void {
    requireSameShape('sgdStep', param, grad);
    optim.sgdStep(param.data, grad.data, momentumBuffer?.data ?? null, o);
  }

  adamStep(param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, o: AdamHyper): void {
    requireSameShape('adamStep', param, grad);
    optim.adamStep(param.data, grad.data, expAvg.data, expAvgSq.data, o);
  }

  rmspropStep(param: Tensor, grad: Tensor, squareAvg: Tensor, momentumBuffer: Tensor | null, o: RmspropHyper): void {
    requireSameShape('rmspropStep', param, grad);
    optim.rmspropStep(param.data, grad.data, squareAvg.data, momentumBuffer?.data ?? null, o);
  }

  sum(x: Tensor, axis: number | null, keepDim: boolean): Tensor {
    if (axis === null) {
      const shape = keepDim ? x.shape.map(() => 1) : [];
      return this.fromValues([sumAll(x.data)], shape, x.dtype);
    }
    const ax = normalizeAxis(axis, x.rank);
    const shape = x.shape.flatMap((d, i) => (i === ax ? (keepDim ? [1] : []) : [d]));
    return this.make(sumAxis(x.data, x.shape, ax, x.dtype), shape, x.dtype);
  }

  sumToShape(x: Tensor, shape: Shape): Tensor {
    if (sameShape(x.shape, shape)) return x;
    return this.make(sumToShape(x.data, x.shape, shape, x.dtype), shape, x.dtype);
  }

  norm(x: Tensor): Tensor {
    return this.fromValues([Math.sqrt(sumOfSquares(x.data))], [], 'float64');
  }

  matmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
    require2d('matmul', a);
    require2d('matmul', b);
    const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (k !== k2) {
      throw new Error(`matmul: inner sizes differ (${formatShape(a.shape)}${transA ? 'ᵀ' : ''} @ ${formatShape(b.shape)}${transB ? 'ᵀ' : ''})`);
    }
    const out = allocate(a.dtype, m * n);
    if (wasmGemm && a.dtype === 'float32' && b.dtype === 'float32') {
      matmulWasm(wasmGemm, a.data as Float32Array, b.data as Float32Array, out as Float32Array, m, n, k, transA, transB);
    } else {
      gemm(a.data, b.data, out, m, n, k, transA, transB, false);
    }
    return this.make(out, [m, n], a.dtype);
  }

  transpose2d(x: Tensor): Tensor {
    require2d('transpose2d', x);
    return this.make(transpose2d(x.data, x.shape[0], x.shape[1], x.dtype), [x.shape[1], x.shape[0]], x.dtype);
  }

  slice(x: Tensor, axis: number, start: number, end: number): Tensor {
    const ax = normalizeAxis(axis, x.rank);
    if (!(0 <= start && start <= end && end <= x.shape[ax])) {
      throw new Error(`slice ${start}:${end} is out of range for axis ${ax} of ${formatShape(x.shape)}`);
    }
    const shape = x.shape.map((d, i) => (i === ax ? end - start : d));
    return this.make(slice(x.data, x.shape, ax, start, end, x.dtype), shape, x.dtype);
  }

  sliceBackward(dy: Tensor, shape: Shape, axis: number, start: number): Tensor {
    const ax = normalizeAxis(axis, shape.length);
    return this.make(sliceBackward(dy.data, dy.shape, shape, ax, start, dy.dtype), shape, dy.dtype);
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    const { axis: ax, shape } = concatShape(xs.map((x) => x.shape), axis);
    return this.make(concat(xs, ax, shape, xs[0].dtype), shape, xs[0].dtype);
  }

  softmaxCrossEntropy(logits: Tensor, labels: Tensor): { loss: Tensor; probs: Tensor } {
    require2d('cross_entropy logits', logits);
    const [batch, classes] = logits.shape;
    if (labels.size !== batch) throw new Error(`cross_entropy: ${labels.size} labels for a batch of ${batch}`);
    const { loss, probs } = softmaxCrossEntropy(logits.data, labels.data, batch, classes, logits.dtype);
    return { loss: this.fromValues([loss], [], logits.dtype), probs: this.make(probs, logits.shape, logits.dtype) };
  }

  softmaxCrossEntropyBackward(probs: Tensor, labels: Tensor, dy: Tensor): Tensor {
    const [batch, classes] = probs.shape;
    const scale = dy.data[0];
    return this.make(softmaxCrossEntropyBackward(probs.data, labels.data, batch, classes, scale, probs.dtype), probs.shape, probs.dtype);
  }

  private grads(g: cells.RawCellGrads, x: Tensor, h: Tensor, w: CellWeights): CellGrads {
    const dt = x.dtype;
    return {
      dx: this.make(g.dx, x.shape, dt),
      dh: this.make(g.dh, h.shape, dt),
      dWIh: this.make(g.dWIh, w.wIh.shape, dt),
      dWHh: this.make(g.dWHh, w.wHh.shape, dt),
      dBIh: this.make(g.dBIh, w.bIh.shape, dt),
      dBHh: this.make(g.dBHh, w.bHh.shape, dt),
    };
  }

  rnnCellForward(act: RnnActivation, x: Tensor, h: Tensor, w: CellWeights): Tensor {
    return this.make(cells.rnnForward(act === 'relu', x.data, h.data, raw(w), dims(x, h), x.dtype), h.shape, x.dtype);
  }

  rnnCellBackward(act: RnnActivation, x: Tensor, h: Tensor, hNext: Tensor, dhNext: Tensor, w: CellWeights): CellGrads {
    const g = cells.rnnBackward(act === 'relu', x.data, h.data, hNext.data, dhNext.data, raw(w), dims(x, h), x.dtype);
    return this.grads(g, x, h, w);
  }

  lstmCellForward(x: Tensor, h: Tensor, c: Tensor, w: CellWeights): { h: Tensor; c: Tensor; gates: Tensor } {
    const d = dims(x, h);
    const out = cells.lstmForward(x.data, h.data, c.data, raw(w), d, x.dtype);
    return {
      h: this.make(out.h, h.shape, x.dtype),
      c: this.make(out.c, h.shape, x.dtype),
      gates: this.make(out.gates, [d.batch, 4 * d.hidden], x.dtype),
    };
  }

  lstmCellBackward(
    x: Tensor, h: Tensor, c: Tensor, cNext: Tensor, gates: Tensor,
    dhNext: Tensor | null, dcNext: Tensor | null, w: CellWeights,
  ): CellGrads & { dc: Tensor } {
    const g = cells.lstmBackward(
      x.data, h.data, c.data, cNext.data, gates.data, dhNext?.data ?? null, dcNext?.data ?? null, raw(w), dims(x, h), x.dtype,
    );
    return { ...this.grads(g, x, h, w), dc: this.make(g.dc, h.shape, x.dtype) };
  }

  gruCellForward(x: Tensor, h: Tensor, w: CellWeights): { h: Tensor; gates: Tensor; hn: Tensor } {
    const d = dims(x, h);
    const out = cells.gruForward(x.data, h.data, raw(w), d, x.dtype);
    return {
      h: this.make(out.h, h.shape, x.dtype),
      gates: this.make(out.gates, [d.batch, 3 * d.hidden], x.dtype),
      hn: this.make(out.hn, h.shape, x.dtype),
    };
  }

  gruCellBackward(x: Tensor, h: Tensor, gates: Tensor, hn: Tensor, dhNext: Tensor, w: CellWeights): CellGrads {
    const g = cells.gruBackward(x.data, h.data, gates.data, hn.data, dhNext.data, raw(w), dims(x, h), x.dtype);
    return this.grads(g, x, h, w);
  }

  sequenceForward(
    cell: SequenceCell, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights,
  ): { hs: Tensor[]; tape: SequenceTape } {
    if (wasmGemm && h0.dtype === 'float32') return sequenceForwardWasm(wasmGemm, this, cell, xs, h0, c0, w);
    return sequence.sequenceForward(this, cell, xs, h0, c0, w);
  }

  sequenceBackward(tape: SequenceTape, dhs: readonly (Tensor | null)[], inputGrads: boolean): SequenceGrads {
    if (wasmGemm && isWasmTape(tape)) return sequenceBackwardWasm(wasmGemm, tape, dhs, inputGrads);
    return sequence.sequenceBackward(tape, dhs, inputGrads);
  }
}

export const cpu: Backend = new CpuBackend();
