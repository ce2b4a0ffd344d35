import type { DType } from '../tensor/dtype.ts';
import type { Shape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { BinaryOp, UnaryOp } from './pointwise.ts';

/** The four weights of one recurrent layer, in torch's layout: W_ih [G*H, I], W_hh [G*H, H],
 * b_ih [G*H], b_hh [G*H], with the gate blocks stacked in torch's order. */
export interface CellWeights {
  readonly wIh: Tensor;
  readonly wHh: Tensor;
  readonly bIh: Tensor;
  readonly bHh: Tensor;
}

/** Gradients of one fused cell step with respect to its input, state and weights. */
export interface CellGrads {
  readonly dx: Tensor;
  readonly dh: Tensor;
  readonly dWIh: Tensor;
  readonly dWHh: Tensor;
  readonly dBIh: Tensor;
  readonly dBHh: Tensor;
}

export type RnnActivation = 'tanh' | 'relu';

/**
 * The small set of kernels every backend provides (tinygrad/tfjs style). Kernels are not
 * differentiable: the ops in src/ops wrap them and own the gradient rules. Every kernel returns
 * a fresh tensor, except `addInto`, the in-place `+=` used to accumulate gradients.
 */
export interface Backend {
  readonly name: string;

  fromValues(values: ArrayLike<number>, shape: Shape, dtype: DType): Tensor;
  full(shape: Shape, dtype: DType, value: number): Tensor;
  /** Read the values back as float64 (a device read-back on GPU backends). */
  read(x: Tensor): Float64Array;
  /** Same storage, new shape (sizes must agree). */
  reshape(x: Tensor, shape: Shape): Tensor;
  cast(x: Tensor, dtype: DType): Tensor;

  unary(op: UnaryOp, x: Tensor): Tensor;
  /** dL/dx of a unary op, from x, y = op(x) and dL/dy. */
  unaryBackward(op: UnaryOp, x: Tensor, y: Tensor, dy: Tensor): Tensor;
  /** Elementwise with numpy broadcasting. */
  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor;
  scale(x: Tensor, factor: number): Tensor;
  /** acc += x, in place; shapes must be equal. */
  addInto(acc: Tensor, x: Tensor): void;

  /** Sum over one axis (or all elements when axis is null). */
  sum(x: Tensor, axis: number | null, keepDim: boolean): Tensor;
  /** Sum a broadcast result back down to `shape` (the gradient of broadcasting). */
  sumToShape(x: Tensor, shape: Shape): Tensor;
  /** Sum of squares of all elements, accumulated in float64. */
  sumOfSquares(x: Tensor): number;

  /** op(a) @ op(b) for 2-D a, b, where op transposes when asked. */
  matmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor;
  /** Permute the two axes of a 2-D tensor. */
  transpose2d(x: Tensor): Tensor;
  /** x[..., start:end, ...] along one axis. */
  slice(x: Tensor, axis: number, start: number, end: number): Tensor;
  /** A zero tensor of `shape` with dy written at [start, start + dy.shape[axis]) along axis. */
  sliceBackward(dy: Tensor, shape: Shape, axis: number, start: number): Tensor;
  concat(xs: readonly Tensor[], axis: number): Tensor;

  /** Mean softmax cross-entropy of logits [B, C] against class indices [B]; also the softmax. */
  softmaxCrossEntropy(logits: Tensor, labels: Tensor): { loss: Tensor; probs: Tensor };
  /** dL/dlogits = scale * (probs - onehot(labels)) / B. */
  softmaxCrossEntropyBackward(probs: Tensor, labels: Tensor, scale: number): Tensor;

  // Fused recurrent steps (the fast path): one kernel per timestep forward, one backward.
  rnnCellForward(act: RnnActivation, x: Tensor, h: Tensor, w: CellWeights): Tensor;
  rnnCellBackward(act: RnnActivation, x: Tensor, h: Tensor, hNext: Tensor, dhNext: Tensor, w: CellWeights): CellGrads;
  /** Returns the new state and the activated gates [B, 4H] in torch's order i, f, g, o. */
  lstmCellForward(x: Tensor, h: Tensor, c: Tensor, w: CellWeights): { h: Tensor; c: Tensor; gates: Tensor };
  lstmCellBackward(
    x: Tensor, h: Tensor, c: Tensor, cNext: Tensor, gates: Tensor,
    dhNext: Tensor | null, dcNext: Tensor | null, w: CellWeights,
  ): CellGrads & { readonly dc: Tensor };
  /** Returns the new state, the activated gates [B, 3H] (r, z, n) and W_hn h + b_hn [B, H]. */
  gruCellForward(x: Tensor, h: Tensor, w: CellWeights): { h: Tensor; gates: Tensor; hn: Tensor };
  gruCellBackward(x: Tensor, h: Tensor, gates: Tensor, hn: Tensor, dhNext: Tensor, w: CellWeights): CellGrads;
}
