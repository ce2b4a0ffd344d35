import type { DType } from '../tensor/dtype.ts';
import type { Shape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { AdamHyper, RmspropHyper, SgdHyper } from './optimHyper.ts';
import type { BinaryOp, UnaryOp } from './pointwise.ts';
import type { CellSpec } from '../cells/spec.ts';

/** The four weights of one recurrent layer, in torch's layout: W_ih [G*H, I], W_hh [G*H, H]
 * ([G*H] for a diagonal recurrence), b_ih [G*H], b_hh [G*H], gate blocks in torch's order. */
export interface CellWeights {
  readonly wIh: Tensor;
  readonly wHh: Tensor;
  readonly bIh: Tensor;
  readonly bHh: Tensor;
}

/** Gradients of one cell step (or one layer's sequence) with respect to its weights. */
export interface WeightGrads {
  readonly dWIh: Tensor;
  readonly dWHh: Tensor;
  readonly dBIh: Tensor;
  readonly dBHh: Tensor;
}

/** One fused step's outputs: the new state and the per-unit values its backward needs
 * ([B, S·H], the spec's `saved` in order). */
export interface CellStepOutput {
  readonly h: Tensor;
  /** c_t for cells with a cell state, else null. */
  readonly c: Tensor | null;
  readonly saved: Tensor;
}

/** Gradients of one fused step with respect to its input, state and weights. */
export interface CellStepGrads extends WeightGrads {
  readonly dx: Tensor;
  readonly dh: Tensor;
  /** dL/dc_{t-1} for cells with a cell state, else null. */
  readonly dc: Tensor | null;
}

/** What a sequence forward keeps for its backward. Its buffers belong to the backend that made it. */
export interface SequenceTape {
  readonly spec: CellSpec;
  readonly steps: number;
}

/** Gradients of one layer's whole-sequence kernel. */
export interface SequenceGrads extends WeightGrads {
  /** dL/dx_t, t = 1..T, each [B, I]; null when the input gradients were not asked for. */
  readonly dxs: readonly Tensor[] | null;
  readonly dh0: Tensor;
  /** Cells with a cell state only. */
  readonly dc0: Tensor | null;
  /** The total derivative dL/dh_t (external plus through every later step), t = 1..T, each
   * [B, H]; null for the steps after the last one that got an external gradient (nothing reaches
   * them, as on the reference path). */
  readonly dhs: readonly (Tensor | null)[];
}

/**
 * Optional fused kernels for one recurrent step, generated from the cell's spec. A backend
 * without them runs the reference path (the spec's forward composed from core ops, autograd for
 * the backward); one with them but without SequenceKernels gets whole sequences built from its
 * steps (src/backends/sequenceFromSteps.ts).
 */
export interface CellStepKernels {
  cellForward(spec: CellSpec, x: Tensor, h: Tensor, c: Tensor | null, w: CellWeights): CellStepOutput;
  /** dh or dc may be null (no gradient reached that output). */
  cellBackward(
    spec: CellSpec, x: Tensor, h: Tensor, c: Tensor | null, out: CellStepOutput,
    dh: Tensor | null, dc: Tensor | null, w: CellWeights,
  ): CellStepGrads;
}

/** Optional whole-sequence kernels: one forward over all T steps of a layer, one backward
 * through all T steps (BPTT inside the kernel). */
export interface SequenceKernels {
  /** h_1..h_T of one layer, each [B, H], from x_1..x_T ([B, I] each) and h0 (and c0). */
  sequenceForward(spec: CellSpec, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights): { hs: Tensor[]; tape: SequenceTape };
  /** BPTT from the external dL/dh_t (null where none); input gradients only when asked. */
  sequenceBackward(tape: SequenceTape, dhs: readonly (Tensor | null)[], inputGrads: boolean): SequenceGrads;
}

/**
 * The small set of kernels every backend provides (tinygrad/tfjs style). Kernels are not
 * differentiable: the ops in src/ops wrap them and own the gradient rules. Every kernel returns
 * a fresh tensor, except `addInto`, the in-place `+=` used to accumulate gradients.
 */
export interface Backend {
  readonly name: string;

  fromValues(values: ArrayLike<number>, shape: Shape, dtype: DType): Tensor;
  full(shape: Shape, dtype: DType, value: number): Tensor;
  /** Read the values back as float64, synchronously; backends whose memory is not host memory
   * (WebGPU) throw and point to readAsync. */
  read(x: Tensor): Float64Array;
  /** Read the values back as float64 (one device read-back on GPU backends). */
  readAsync(x: Tensor): Promise<Float64Array>;
  /** Same storage, new shape (sizes must agree). */
  reshape(x: Tensor, shape: Shape): Tensor;
  /** Device backends only: release x's memory now (storage shared with reshapes goes with the
   * last of them); using x afterwards throws; a second call does nothing. Such a backend also
   * reports every tensor it creates to src/tensor/scope.ts's `track`. Absent where memory is the
   * garbage collector's (CPU). */
  dispose?(x: Tensor): void;
  cast(x: Tensor, dtype: DType): Tensor;

  unary(op: UnaryOp, x: Tensor): Tensor;
  /** dL/dx of a unary op, from x, y = op(x) and dL/dy. */
  unaryBackward(op: UnaryOp, x: Tensor, y: Tensor, dy: Tensor): Tensor;
  /** Elementwise with numpy broadcasting. */
  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor;
  scale(x: Tensor, factor: number): Tensor;
  /** acc += x, in place; shapes must be equal. */
  addInto(acc: Tensor, x: Tensor): void;
  /** x *= factor, in place (gradient clipping, loss scaling of accumulated gradients). */
  scaleInPlace(x: Tensor, factor: number): void;
  /** Clamp every element to [-limit, limit] in place; returns how many elements changed, as a
   * one-element tensor (so a GPU backend need not read back). */
  clampInPlace(x: Tensor, limit: number): Tensor;
  /** Overwrite x's values with src's (same shape). */
  copyInto(x: Tensor, src: Tensor): void;

  // In-place optimizer steps (torch.optim semantics); state tensors are updated in place.
  sgdStep(param: Tensor, grad: Tensor, momentumBuffer: Tensor | null, o: SgdHyper): void;
  adamStep(param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, o: AdamHyper): void;
  rmspropStep(param: Tensor, grad: Tensor, squareAvg: Tensor, momentumBuffer: Tensor | null, o: RmspropHyper): void;

  /** Sum over one axis (or all elements when axis is null). */
  sum(x: Tensor, axis: number | null, keepDim: boolean): Tensor;
  /** Sum a broadcast result back down to `shape` (the gradient of broadcasting). */
  sumToShape(x: Tensor, shape: Shape): Tensor;
  /** The L2 norm of all elements as a one-element tensor of shape [] (norms stay on the device
   * and are read back together, once per step): float64, accumulated in float64, where the
   * backend has it; float32 on WebGPU, computed as max|x| · sqrt(Σ (x / max|x|)²) so that the
   * norms of vanished gradients (whose squares underflow float32) survive down to 1e-38. */
  norm(x: Tensor): Tensor;

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
  /** dL/dlogits = dy * (probs - onehot(labels)) / B, where dy is the one-element upstream
   * gradient (a tensor, so it never leaves the device). */
  softmaxCrossEntropyBackward(probs: Tensor, labels: Tensor, dy: Tensor): Tensor;

  /** Optional fused kernels (see CellStepKernels, SequenceKernels); the ops fall back to
   * generic paths built from the core above when they are absent. */
  readonly cellSteps?: CellStepKernels;
  readonly sequences?: SequenceKernels;

  /**
   * Optional: σ_max(w) as a one-element tensor of shape [], by exactly the power iteration of
   * src/diagnostics/sigmaMax.ts (which uses this kernel when present, else runs that iteration
   * through the core kernels above): start v = 1/sqrt(cols) in every entry; each of `rounds`
   * rounds next = wᵀ(w v) (for a 1-D w read as diag(w): w² ⊙ v), norm = this backend's norm(next),
   * estimate = sqrt(norm), v = next / (norm + SIGMA_MAX_TINY). Returns the last estimate (0 after
   * 0 rounds; 0 for a zero matrix; NaN for one with a non-finite entry), deterministically. For
   * backends where every kernel is a dispatch (WebGPU: one instead of ~6 per round).
   */
  sigmaMaxPower?(w: Tensor, rounds: number): Tensor;
}

/** The guard of σ_max's power iteration (see Backend.sigmaMaxPower): keeps a zero matrix's
 * iteration at v = 0 (and σ = 0) instead of 0/0 = NaN; far below any norm a float32 weight
 * matrix can have. */
export const SIGMA_MAX_TINY = 1e-30;
