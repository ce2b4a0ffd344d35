import type { DType } from '../../tensor/dtype.ts';
import { broadcastShapes, concatShape, formatShape, normalizeAxis, numel, sameShape, splitAtAxis, type Shape } from '../../tensor/shape.ts';
import { track } from '../../tensor/scope.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { SIGMA_MAX_TINY, type Backend, type SequenceKernels } from '../backend.ts';
import type { AdamHyper, RmspropHyper, SgdHyper } from '../optimHyper.ts';
import type { BinaryOp, UnaryOp } from '../pointwise.ts';
import { WebGpuCellKernels } from './cellKernels.ts';
import { acquireDevice } from './device.ts';
import { DIRECT_GEMM_MAX_WORK, GEMM, GEMM_DIRECT, TILE } from './gemm.ts';
import * as K from './kernels.ts';
import { GpuRuntime, GpuStorage } from './runtime.ts';
import { webgpuSequenceKernels } from './sequence.ts';
import { sigmaMaxPowerKernel, sigmaMaxThreads } from './sigmaMaxPower.ts';

export const FLOAT32_ONLY =
  'the webgpu backend computes in float32 only (gradient checks run in float64 on the cpu backend): use --dtype float32, or --backend cpu for float64';

/** Chunks of the first stage of a full sum: enough parallel work, few enough for one thread to
 * add up in the second stage. */
const SUM_CHUNKS = 1024;

function requireSameShape(what: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) throw new Error(`${what}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
}

function require2d(what: string, x: Tensor): void {
  if (x.rank !== 2) throw new Error(`${what} needs a 2-D tensor, got shape ${formatShape(x.shape)}`);
}

const f32 = (v: number): { f32: number } => ({ f32: v });
const flag = (b: boolean): number => (b ? 1 : 0);

/** A tensor's standing with its backend (a WeakMap entry: nothing else is stored on the tensor). */
const LIVE = 1;
const DISPOSED = 2;

/**
 * The WebGPU backend: every kernel of the Backend interface as a WGSL compute shader, float32.
 * Kernels are queued without waiting; values come back only through readAsync (one mapAsync).
 * The recurrent cells are GEMMs (bias broadcast, then x W_ihᵀ and h W_hhᵀ accumulated) plus one
 * fused pointwise kernel per step and direction; the whole-sequence kernels (sequence.ts) do the
 * input projection and the weight gradients of all steps as single GEMMs around a per-step loop.
 *
 * Memory is explicit (src/tensor/scope.ts): every tensor made here is reported to the open scope,
 * if any, and counted on its storage; `dispose` returns the storage's buffer to the runtime's
 * pool once no live tensor uses it. A tensor made elsewhere around a storage of this backend
 * (`new Tensor(shape, dtype, storage, backend)`) is adopted the same way when a kernel first
 * uses it.
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  private readonly standing = new WeakMap<Tensor, typeof LIVE | typeof DISPOSED>();

  constructor(readonly runtime: GpuRuntime) {}

  /** The adapter, in words (for results.json and logs). */
  get description(): string {
    return this.runtime.description;
  }

  // ---- storage ----

  /** The device storage of a tensor of this backend; throws for a disposed tensor. */
  storageOf(t: Tensor): GpuStorage {
    const s = t.storage;
    if (!(s instanceof GpuStorage)) throw new Error(`${t.toString()} is on the ${t.backend.name} backend, not webgpu`);
    const standing = this.standing.get(t);
    if (standing === LIVE) return s;
    if (standing === DISPOSED) throw this.disposedError(t);
    this.adopt(t, s);
    return s;
  }

  private disposedError(t: Tensor): Error {
    return new Error(
      `${t.toString()} was disposed (its webgpu memory went back to the pool) and cannot be used: ` +
      'keep() it in the scope that made it, or return it from that scope',
    );
  }

  /** Count a new tensor on its storage and report it to the open scope. */
  private adopt(t: Tensor, s: GpuStorage): Tensor {
    if (s.released) throw this.disposedError(t);
    s.refs++;
    this.standing.set(t, LIVE);
    track(t);
    return t;
  }

  /** Return x's memory now (when no reshape of it is still live); x cannot be used again. */
  dispose(x: Tensor): void {
    const s = x.storage;
    if (!(s instanceof GpuStorage)) return;
    const standing = this.standing.get(x);
    if (standing === DISPOSED) return;
    this.standing.set(x, DISPOSED);
    if (standing === LIVE && --s.refs > 0) return;
    // Never adopted (made elsewhere and never used): nothing counts on it but this tensor, unless
    // a live reshape does.
    if (s.refs <= 0) this.runtime.free(s);
  }

  /** Whether `x` was disposed (for tests and assertions). */
  isDisposed(x: Tensor): boolean {
    return this.standing.get(x) === DISPOSED;
  }

  private requireFloat32(dtype: DType): void {
    if (dtype !== 'float32') throw new Error(FLOAT32_ONLY);
  }

  /** A fresh tensor of `shape` with undefined contents. */
  empty(shape: Shape): Tensor {
    const s = this.runtime.allocate(numel(shape));
    return this.adopt(new Tensor([...shape], 'float32', s, this), s);
  }

  /** Queue one kernel over `threads` invocations (also used by cellKernels.ts). */
  run(kernel: Parameters<GpuRuntime['dispatch']>[0], params: Parameters<GpuRuntime['dispatch']>[1], tensors: readonly Tensor[], threads: number): void {
    this.runtime.dispatch(kernel, params, tensors.map((t) => this.storageOf(t)), threads);
  }

  fromValues(values: ArrayLike<number>, shape: Shape, dtype: DType): Tensor {
    this.requireFloat32(dtype);
    const t = this.empty(shape);
    this.runtime.upload(this.storageOf(t), values);
    return t;
  }

  full(shape: Shape, dtype: DType, value: number): Tensor {
    this.requireFloat32(dtype);
    const t = this.empty(shape);
    this.run(K.fill(), [t.size, f32(value)], [t], t.size);
    return t;
  }

  read(x: Tensor): Float64Array {
    throw new Error(`${x.toString()} is on the webgpu backend, whose read-back is asynchronous: use await toFloat64ArrayAsync()`);
  }

  readAsync(x: Tensor): Promise<Float64Array> {
    return this.runtime.read(this.storageOf(x));
  }

  reshape(x: Tensor, shape: Shape): Tensor {
    if (numel(shape) !== x.size) throw new Error(`cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
    const s = this.storageOf(x);
    return this.adopt(new Tensor([...shape], 'float32', s, this), s);
  }

  cast(x: Tensor, dtype: DType): Tensor {
    this.requireFloat32(dtype);
    const out = this.empty(x.shape);
    this.runtime.copy(this.storageOf(x), this.storageOf(out), x.size);
    return out;
  }

  // ---- pointwise ----

  unary(op: UnaryOp, x: Tensor): Tensor {
    const out = this.empty(x.shape);
    this.run(K.unary(op), [x.size], [x, out], x.size);
    return out;
  }

  unaryBackward(op: UnaryOp, x: Tensor, y: Tensor, dy: Tensor): Tensor {
    const out = this.empty(x.shape);
    this.run(K.unaryBackward(op), [x.size], [x, y, dy, out], x.size);
    return out;
  }

  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    const shape = broadcastShapes(a.shape, b.shape);
    const rank = shape.length;
    if (rank > K.MAX_RANK) throw new Error(`${op}: rank ${rank} is above the webgpu backend's ${K.MAX_RANK}`);
    const strides = (s: Shape): number[] => {
      const out = new Array<number>(rank).fill(0);
      let stride = 1;
      for (let d = rank - 1; d >= 0; d--) {
        const size = s[s.length - rank + d] ?? 1;
        out[d] = size === 1 ? 0 : stride;
        stride *= size;
      }
      return out;
    };
    const sa = strides(a.shape);
    const sb = strides(b.shape);
    const out = this.empty(shape);
    const params: number[] = [out.size, Math.max(rank, 1)];
    if (rank === 0) params.push(1, 0, 0);
    for (let d = 0; d < rank; d++) params.push(shape[d], sa[d], sb[d]);
    this.run(K.binary(op), params, [a, b, out], out.size);
    return out;
  }

  scale(x: Tensor, factor: number): Tensor {
    const out = this.empty(x.shape);
    this.run(K.scale(), [x.size, f32(factor)], [x, out], x.size);
    return out;
  }

  addInto(acc: Tensor, x: Tensor): void {
    requireSameShape('addInto', acc, x);
    // A buffer may not be bound writable and readable in one dispatch: add a copy to itself.
    const src = this.storageOf(acc) === this.storageOf(x) ? this.cast(x, 'float32') : x;
    this.run(K.addInto(), [acc.size], [acc, src], acc.size);
    if (src !== x) this.dispose(src);
  }

  scaleInPlace(x: Tensor, factor: number): void {
    this.run(K.scaleInPlace(), [x.size, f32(factor)], [x], x.size);
  }

  clampInPlace(x: Tensor, limit: number): Tensor {
    const flags = this.empty(x.shape);
    this.run(K.clampInPlace(), [x.size, f32(limit)], [x, flags], x.size);
    const count = this.sumAll(flags);
    this.dispose(flags);
    return count;
  }

  copyInto(x: Tensor, src: Tensor): void {
    requireSameShape('copyInto', x, src);
    this.runtime.copy(this.storageOf(src), this.storageOf(x), x.size);
  }

  // ---- optimizers ----

  sgdStep(param: Tensor, grad: Tensor, momentumBuffer: Tensor | null, o: SgdHyper): void {
    requireSameShape('sgdStep', param, grad);
    const params = [param.size, f32(o.lr), f32(o.momentum), f32(1 - o.dampening), flag(o.nesterov), f32(o.weightDecay), flag(o.firstStep)];
    this.run(K.sgdStep(momentumBuffer !== null), params, momentumBuffer ? [param, grad, momentumBuffer] : [param, grad], param.size);
  }

  adamStep(param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, o: AdamHyper): void {
    requireSameShape('adamStep', param, grad);
    // The bias corrections are scalars of the step count: formed on the host in float64, as torch does.
    const stepSize = o.lr / (1 - o.beta1 ** o.step);
    const bc2Sqrt = Math.sqrt(1 - o.beta2 ** o.step);
    const params = [param.size, f32(o.beta1), f32(o.beta2), f32(o.eps), f32(o.weightDecay), f32(stepSize), f32(bc2Sqrt), f32(1 - o.beta1), f32(1 - o.beta2)];
    this.run(K.adamStep(), params, [param, grad, expAvg, expAvgSq], param.size);
  }

  rmspropStep(param: Tensor, grad: Tensor, squareAvg: Tensor, momentumBuffer: Tensor | null, o: RmspropHyper): void {
    requireSameShape('rmspropStep', param, grad);
    const params = [param.size, f32(o.lr), f32(o.alpha), f32(o.eps), f32(o.weightDecay), f32(o.momentum), f32(1 - o.alpha)];
    const tensors = momentumBuffer ? [param, grad, squareAvg, momentumBuffer] : [param, grad, squareAvg];
    this.run(K.rmspropStep(momentumBuffer !== null), params, tensors, param.size);
  }

  // ---- reductions ----

  /**
   * A full reduction of x into a fresh [] tensor (0 for an empty x): `stages` queues its kernels
   * given the chunk length and count of the first stage, chosen so that a final stage is one
   * thread adding at most SUM_CHUNKS partials.
   */
  private reduceAll(x: Tensor, stages: (out: Tensor, n: number, chunkLen: number, chunks: number) => void): Tensor {
    const n = x.size;
    const out = this.empty([]);
    if (n === 0) {
      this.run(K.fill(), [1, f32(0)], [out], 1);
      return out;
    }
    const chunkLen = Math.ceil(n / SUM_CHUNKS);
    stages(out, n, chunkLen, Math.ceil(n / chunkLen));
    return out;
  }

  /** Σ x, in two fixed-order stages: contiguous chunks, then their sum. */
  private sumAll(x: Tensor): Tensor {
    return this.reduceAll(x, (out, n, chunkLen, chunks) => {
      const partial = this.empty([chunks]);
      this.run(K.sumChunks(), [chunks, n, chunkLen], [x, partial], chunks);
      this.run(K.sumChunks(), [1, chunks, chunks], [partial, out], 1);
      this.dispose(partial);
    });
  }

  norm(x: Tensor): Tensor {
    return this.reduceAll(x, (out, n, chunkLen, chunks) => {
      const partial = this.empty([chunks]);
      const m = this.empty([]);
      this.run(K.maxAbsChunks(), [chunks, n, chunkLen, f32(NaN)], [x, partial], chunks);
      this.run(K.maxAbsChunks(), [1, chunks, chunks, f32(NaN)], [partial, m], 1);
      this.run(K.scaledSquareChunks(), [chunks, n, chunkLen], [x, m, partial], chunks);
      this.run(K.normFinish(), [1, chunks, 0, f32(NaN)], [partial, m, out], 1);
      this.dispose(partial);
      this.dispose(m);
    });
  }

  private sumAlong(x: Tensor, ax: number, keepDim: boolean): Tensor {
    const { outer, mid, inner } = splitAtAxis(x.shape, ax);
    const shape = x.shape.flatMap((d, i) => (i === ax ? (keepDim ? [1] : []) : [d]));
    const out = this.empty(shape);
    this.run(K.sumAxis(), [outer * inner, mid, inner], [x, out], outer * inner);
    return out;
  }

  sum(x: Tensor, axis: number | null, keepDim: boolean): Tensor {
    if (axis === null) {
      const total = this.sumAll(x);
      if (!keepDim) return total;
      const view = this.reshape(total, x.shape.map(() => 1));
      this.dispose(total); // the view keeps the storage
      return view;
    }
    return this.sumAlong(x, normalizeAxis(axis, x.rank), keepDim);
  }

  sumToShape(x: Tensor, shape: Shape): Tensor {
    if (sameShape(x.shape, shape)) return x;
    // Sum the extra leading axes away, then every axis that was broadcast from 1, one at a time.
    let t = x;
    const step = (next: Tensor): void => {
      if (t !== x) this.dispose(t);
      t = next;
    };
    while (t.rank > shape.length) step(this.sumAlong(t, 0, false));
    for (let d = 0; d < shape.length; d++) {
      if (shape[d] === 1 && t.shape[d] !== 1) step(this.sumAlong(t, d, true));
    }
    if (!sameShape(t.shape, shape)) throw new Error(`cannot sum ${formatShape(x.shape)} down to ${formatShape(shape)}`);
    return t;
  }

  // ---- matrices and layout ----

  /** c (+)= op(a) @ op(b) into an existing [m, n] tensor. */
  gemmInto(a: Tensor, b: Tensor, c: Tensor, transA: boolean, transB: boolean, accumulate: boolean): void {
    const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (k !== k2) {
      throw new Error(`matmul: inner sizes differ (${formatShape(a.shape)}${transA ? 'ᵀ' : ''} @ ${formatShape(b.shape)}${transB ? 'ᵀ' : ''})`);
    }
    if (c.shape[0] !== m || c.shape[1] !== n) throw new Error(`matmul: output ${formatShape(c.shape)} is not [${m}, ${n}]`);
    this.gemmSized(a, b, c, { m, n, k }, transA, transB, accumulate);
  }

  /**
   * C (+)= op(A) @ op(B) with the sizes given rather than read from the shapes: A is [m, k] (or
   * [k, m] transposed), B [k, n] (or [n, k]), C [m, n], each the leading values of its tensor. The
   * whole-sequence kernels use it for products over the first rows of time-major buffers.
   */
  gemmSized(a: Tensor, b: Tensor, c: Tensor, dims: { m: number; n: number; k: number }, transA: boolean, transB: boolean, accumulate: boolean): void {
    const { m, n, k } = dims;
    if (a.size < m * k || b.size < k * n || c.size < m * n) {
      throw new Error(`matmul: [${m}, ${k}] @ [${k}, ${n}] does not fit ${formatShape(a.shape)}, ${formatShape(b.shape)} -> ${formatShape(c.shape)}`);
    }
    if (k === 0 && !accumulate) {
      this.run(K.fill(), [m * n, f32(0)], [c], m * n);
      return;
    }
    if (m * n * k <= DIRECT_GEMM_MAX_WORK) {
      this.run(GEMM_DIRECT, [m * n, n, k, flag(transA), flag(transB), flag(accumulate), m], [a, b, c], m * n);
      return;
    }
    const params = [m, n, k, flag(transA), flag(transB), flag(accumulate)];
    this.runtime.dispatchGroups(GEMM, params, [this.storageOf(a), this.storageOf(b), this.storageOf(c)], Math.ceil(n / TILE), Math.ceil(m / TILE));
  }

  /** dst[dstAt, dstAt + length) = src[srcAt, srcAt + length), in elements (one step's block of a
   * time-major buffer to or from a tensor of its own). */
  copyBlock(src: Tensor, srcAt: number, dst: Tensor, dstAt: number, length: number): void {
    this.runtime.copyRange(this.storageOf(src), srcAt, this.storageOf(dst), dstAt, length);
  }

  matmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
    require2d('matmul', a);
    require2d('matmul', b);
    const m = transA ? a.shape[1] : a.shape[0];
    const n = transB ? b.shape[0] : b.shape[1];
    const out = this.empty([m, n]);
    this.gemmInto(a, b, out, transA, transB, false);
    return out;
  }

  transpose2d(x: Tensor): Tensor {
    require2d('transpose2d', x);
    const [r, c] = x.shape;
    const out = this.empty([c, r]);
    this.run(K.transpose2d(), [x.size, r, c], [x, out], x.size);
    return out;
  }

  slice(x: Tensor, axis: number, start: number, end: number): Tensor {
    const ax = normalizeAxis(axis, x.rank);
    if (!(0 <= start && start <= end && end <= x.shape[ax])) {
      throw new Error(`slice ${start}:${end} is out of range for axis ${ax} of ${formatShape(x.shape)}`);
    }
    const shape = x.shape.map((d, i) => (i === ax ? end - start : d));
    const out = this.empty(shape);
    const { mid, inner } = splitAtAxis(x.shape, ax);
    this.run(K.sliceAxis(), [out.size, end - start, inner, mid, start], [x, out], out.size);
    return out;
  }

  /** Write src into dst at [start, start + src.shape[ax]) along axis ax. */
  private place(src: Tensor, dst: Tensor, ax: number, start: number): void {
    const { inner } = splitAtAxis(src.shape, ax);
    this.run(K.placeAxis(), [src.size, src.shape[ax], inner, dst.shape[ax], start], [src, dst], src.size);
  }

  sliceBackward(dy: Tensor, shape: Shape, axis: number, start: number): Tensor {
    const ax = normalizeAxis(axis, shape.length);
    const out = this.full(shape, 'float32', 0);
    this.place(dy, out, ax, start);
    return out;
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    const { axis: ax, shape } = concatShape(xs.map((x) => x.shape), axis);
    const out = this.empty(shape);
    let at = 0;
    for (const x of xs) {
      this.place(x, out, ax, at);
      at += x.shape[ax];
    }
    return out;
  }

  // ---- loss ----

  softmaxCrossEntropy(logits: Tensor, labels: Tensor): { loss: Tensor; probs: Tensor } {
    require2d('cross_entropy logits', logits);
    const [batch, classes] = logits.shape;
    if (labels.size !== batch) throw new Error(`cross_entropy: ${labels.size} labels for a batch of ${batch}`);
    const probs = this.empty(logits.shape);
    const rowLoss = this.empty([batch]);
    this.run(K.softmaxRows(), [batch, classes, f32(NaN)], [logits, labels, probs, rowLoss], batch);
    const total = this.sumAll(rowLoss);
    const loss = this.scale(total, 1 / batch);
    this.dispose(rowLoss);
    this.dispose(total);
    return { loss, probs };
  }

  softmaxCrossEntropyBackward(probs: Tensor, labels: Tensor, dy: Tensor): Tensor {
    const [batch, classes] = probs.shape;
    const out = this.empty(probs.shape);
    this.run(K.softmaxCrossEntropyBackward(), [probs.size, classes, batch], [probs, labels, dy, out], probs.size);
    return out;
  }

  // ---- diagnostics ----

  /** σ_max(w) by `rounds` rounds of power iteration, in one dispatch (sigmaMaxPower.ts). */
  sigmaMaxPower(w: Tensor, rounds: number): Tensor {
    if (w.rank !== 1 && w.rank !== 2) throw new Error(`sigmaMaxPower needs a 1-D (diagonal) or 2-D tensor, got ${formatShape(w.shape)}`);
    const diagonal = w.rank === 1;
    const [rows, cols] = diagonal ? [w.shape[0], w.shape[0]] : w.shape;
    const v = this.empty([cols]);
    const u = this.empty([diagonal ? 0 : rows]);
    const out = this.empty([]);
    const params = [rows, cols, rounds, flag(diagonal), f32(1 / Math.sqrt(cols)), f32(SIGMA_MAX_TINY), f32(NaN), f32(Infinity)];
    this.runtime.dispatchGroups(sigmaMaxPowerKernel(sigmaMaxThreads(rows, cols)), params, [this.storageOf(w), this.storageOf(v), this.storageOf(u), this.storageOf(out)], 1, 1);
    // Queue order: the pool hands these out again only to commands recorded after this dispatch.
    this.dispose(v);
    this.dispose(u);
    return out;
  }

  /** The fused recurrent steps, generated from each cell's spec (cellKernels.ts): the per-step
   * path (ops/cellStep.ts) and the building blocks of the whole-sequence kernels. */
  readonly cellSteps: WebGpuCellKernels = new WebGpuCellKernels(this);
  /** Whole layers: one input-projection GEMM, two dispatches per step each way, one GEMM per
   * weight gradient (sequence.ts). */
  readonly sequences: SequenceKernels = webgpuSequenceKernels(this);
}

let shared: Promise<WebGpuBackend> | null = null;

/** The process's WebGPU backend (one device, made on first use). Rejects with a
 * WebGpuUnavailableError, whose message says how to get an adapter, where there is none. */
export function webgpuBackend(): Promise<WebGpuBackend> {
  shared ??= acquireDevice().then(({ device, description }) => new WebGpuBackend(new GpuRuntime(device, description)));
  shared.catch(() => (shared = null));
  return shared;
}
