import type { Backend } from '../backends/backend.ts';
import type { DType, TypedArray } from './dtype.ts';
import { formatShape, numel, type Shape } from './shape.ts';

/** Storage that lives on an accelerator (a GPU buffer): only its backend can read or write it. */
export interface DeviceStorage {
  readonly kind: 'device';
  /** Number of elements. */
  readonly length: number;
}

/** Host memory for the CPU backend, device memory for accelerator backends. */
export type Storage = TypedArray | DeviceStorage;

/**
 * A node of the autograd graph: the op that produced one or more tensors. `backward` receives
 * the gradients of its outputs (null where an output got none) and returns the gradient of each
 * input (null where the input needs none, as `needs` says).
 */
export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: Tensor[];
  backward(gradOutputs: readonly (Tensor | null)[], needs: readonly boolean[]): readonly (Tensor | null)[];
}

/**
 * An n-dimensional array on a backend. Tensors are immutable once made (kernels write only into
 * fresh tensors), except `.grad`, which backward() accumulates into with `+=` so that a weight
 * used at every timestep collects the gradient of every use.
 */
export class Tensor {
  grad: Tensor | null = null;
  node: GraphNode | null = null;
  /** A label for error messages and diagnostics (torch's parameter name, for parameters). */
  name: string | undefined;

  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    /** Backend storage. Only backends read or write it; ops go through kernels. */
    readonly storage: Storage,
    readonly backend: Backend,
    public requiresGrad = false,
  ) {
    if (storage.length !== numel(shape)) {
      throw new Error(`data of length ${storage.length} does not fit shape ${formatShape(shape)}`);
    }
  }

  /** The host values of a CPU tensor (kernels and gradcheck use it); device tensors have none. */
  get data(): TypedArray {
    const s = this.storage;
    if (!ArrayBuffer.isView(s)) {
      throw new Error(`${this.toString()} lives on the ${this.backend.name} backend: read it with await toFloat64ArrayAsync()`);
    }
    return s;
  }

  get size(): number {
    return this.storage.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The values as a fresh float64 array, synchronously: CPU tensors only (a GPU read-back is
   * asynchronous; use toFloat64ArrayAsync). */
  toFloat64Array(): Float64Array {
    return this.backend.read(this);
  }

  /** The values as a fresh float64 array, on any backend (one device read-back on GPUs). */
  toFloat64ArrayAsync(): Promise<Float64Array> {
    return this.backend.readAsync(this);
  }

  /** The single value of a one-element tensor (CPU tensors; see itemAsync). */
  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a one-element tensor, got shape ${formatShape(this.shape)}`);
    return this.toFloat64Array()[0];
  }

  async itemAsync(): Promise<number> {
    if (this.size !== 1) throw new Error(`item() needs a one-element tensor, got shape ${formatShape(this.shape)}`);
    return (await this.toFloat64ArrayAsync())[0];
  }

  /**
   * Release the tensor's memory now (tfjs's dispose): a device backend returns its buffer to the
   * pool (storage shared with reshapes goes when the last of them is disposed), after which using
   * the tensor throws. Disposing twice is harmless; on the CPU backend it does nothing (host
   * memory is the garbage collector's). See src/tensor/scope.ts for scopes that dispose for you.
   */
  dispose(): void {
    this.backend.dispose?.(this);
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}${this.name ? `, ${this.name}` : ''})`;
  }
}
