import type { Backend } from '../backends/backend.ts';
import type { DType, TypedArray } from './dtype.ts';
import { formatShape, numel, type Shape } from './shape.ts';

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
    readonly data: TypedArray,
    readonly backend: Backend,
    public requiresGrad = false,
  ) {
    if (data.length !== numel(shape)) {
      throw new Error(`data of length ${data.length} does not fit shape ${formatShape(shape)}`);
    }
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The values as a fresh float64 array (a device read-back on GPU backends). */
  toFloat64Array(): Float64Array {
    return this.backend.read(this);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a one-element tensor, got shape ${formatShape(this.shape)}`);
    return this.toFloat64Array()[0];
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}${this.name ? `, ${this.name}` : ''})`;
  }
}
