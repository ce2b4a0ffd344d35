import { allocate, fromValues, type DType, type TypedArray } from '../../tensor/dtype.ts';
import { concatShape, formatShape, normalizeAxis, numel, sameShape, type Shape } from '../../tensor/shape.ts';
import { Tensor } from '../../tensor/tensor.ts';
import type { Backend } from '../backend.ts';
import { CpuCellKernels } from './cellKernels.ts';
import { binary, sumToShape, unary, unaryBackward } from './elementwise.ts';
import { gemm } from './gemm.ts';
import { concat, slice, sliceBackward, transpose2d } from './layout.ts';
import * as optim from './optim.ts';
import type { AdamHyper, RmspropHyper, SgdHyper } from '../optimHyper.ts';
import { softmaxCrossEntropy, softmaxCrossEntropyBackward } from './loss.ts';
import { sumAll, sumAxis, sumOfSquares } from './reduce.ts';
import { loadWasmGemm, matmulWasm, type WasmGemm } from './wasm.ts';

function requireSameShape(what: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`${what}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  }
}

function require2d(what: string, x: Tensor): void {
  if (x.rank !== 2) throw new Error(`${what} needs a 2-D tensor, got shape ${formatShape(x.shape)}`);
}

/** What a CPU backend is made of: its float32 WebAssembly kernels (null: JavaScript only) and
 * the name it reports (in errors, and in a manifest's numerics and results' env). */
export interface CpuBackendOptions {
  readonly wasm: WasmGemm | null;
  readonly name: string;
}

/**
 * The CPU backend: JavaScript loops over Float32Array/Float64Array, and for float32 `matmul` and
 * the whole-sequence kernels the WebAssembly SIMD kernels it was made with (`wasm`; null: the
 * JavaScript kernels for float32 too). float64 always takes the JavaScript kernels (sums exact to
 * float64 rounding: the gradient checks). Use the instances below: `cpu` (the default), `cpuJs`,
 * `cpuWasm`.
 */
export class CpuBackend implements Backend {
  readonly name: string;
  /** The float32 kernels this instance runs, or null for the JavaScript ones. */
  readonly wasm: WasmGemm | null;

  constructor(o: CpuBackendOptions) {
    this.name = o.name;
    this.wasm = o.wasm;
  }

  /** Which float32 kernels run ('wasm relaxed-simd', 'wasm simd' or 'javascript'): with the
   * name, what fixes a run's numbers (a manifest's numerics). */
  get kernels(): string {
    return this.wasm ? this.wasm.build : 'javascript';
  }

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
    if (this.wasm && a.dtype === 'float32' && b.dtype === 'float32') {
      matmulWasm(this.wasm, a.data as Float32Array, b.data as Float32Array, out as Float32Array, m, n, k, transA, transB);
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

  /** The fused recurrent kernels (cellKernels.ts), generated from each cell's spec. */
  readonly cellSteps: CpuCellKernels = new CpuCellKernels(this, () => this.wasm);
  readonly sequences: CpuCellKernels = this.cellSteps;
}

const loaded = loadWasmGemm();

/** float32 on the JavaScript kernels, even where the wasm ones are built: what a machine whose
 * `npm run build` failed runs (`--backend cpu-js`). */
export const cpuJs = new CpuBackend({ wasm: null, name: 'cpu-js' });

/** float32 on the WebAssembly SIMD kernels; null when they did not load (`cpuWasmStatus` says
 * why; `requireCpuWasm()` throws it). */
export const cpuWasm: CpuBackend | null = loaded.gemm ? new CpuBackend({ wasm: loaded.gemm, name: 'cpu-wasm' }) : null;

/** The wasm build cpuWasm runs ('wasm relaxed-simd', 'wasm simd'), or why it is null. */
export const cpuWasmStatus: string = loaded.status;

/** The default CPU backend (`--backend cpu`): cpuWasm where the kernels loaded, else cpuJs. Its
 * `name` says which. */
export const cpu: CpuBackend = cpuWasm ?? cpuJs;

/** cpuWasm, or an error saying why the wasm kernels are unavailable: for whoever asked for them
 * by name (a test, a worker told to run cpu-wasm) and must not get JavaScript instead. */
export function requireCpuWasm(): CpuBackend & { readonly wasm: WasmGemm } {
  if (!cpuWasm?.wasm) throw new Error(`the cpu-wasm backend is unavailable: ${cpuWasmStatus}`);
  return cpuWasm as CpuBackend & { readonly wasm: WasmGemm };
}

/** Whether a backend is one of the CPU backends (any kernels). */
export function isCpuBackend(b: Backend): b is CpuBackend {
  return b instanceof CpuBackend;
}

/** The CPU backend of a name ('cpu-js' or 'cpu-wasm'): how a worker thread gets the one its
 * parent runs (each thread loads its own kernels). */
export function cpuBackendNamed(name: string): CpuBackend {
  if (name === cpuJs.name) return cpuJs;
  if (name === 'cpu-wasm') return requireCpuWasm();
  throw new Error(`no CPU backend is named "${name}" (cpu-js, cpu-wasm)`);
}
