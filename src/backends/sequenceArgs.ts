import type { CellSpec } from '../cells/spec.ts';
import type { DType } from '../tensor/dtype.ts';
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { CellWeights } from './backend.ts';

/* The argument checks of every backend's whole-sequence kernels (CPU JavaScript, CPU wasm,
 * WebGPU), one place and the same one-line messages. */

export function checkShape(what: string, t: Tensor, shape: readonly number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`sequence kernel: ${what} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`);
  }
}

/** The sizes of a sequence forward, after checking every shape and dtype against h0's. */
export interface SequenceDims {
  T: number; B: number; I: number; H: number; G: number; GH: number; dtype: DType;
}

export function checkSequenceArgs(
  spec: CellSpec, xs: readonly Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights,
): SequenceDims {
  const T = xs.length;
  if (T === 0) throw new Error('sequence kernel: needs at least one timestep');
  if (h0.rank !== 2) throw new Error(`sequence kernel: h0 must be [B, H], got ${formatShape(h0.shape)}`);
  const [B, H] = h0.shape;
  const I = xs[0].shape[1];
  const G = spec.gates.length;
  const GH = G * H;
  const dtype = h0.dtype;
  xs.forEach((xt, t) => checkShape(`x_${t + 1}`, xt, [B, I]));
  checkShape('weight_ih', w.wIh, [GH, I]);
  checkShape('weight_hh', w.wHh, spec.recurrent === 'matrix' ? [GH, H] : [GH]);
  checkShape('bias_ih', w.bIh, [GH]);
  checkShape('bias_hh', w.bHh, [GH]);
  if (spec.cellState) {
    if (!c0) throw new Error(`sequence kernel: ${spec.kind} needs c0`);
    checkShape('c0', c0, [B, H]);
  }
  for (const t of [...xs, w.wIh, w.wHh, w.bIh, w.bHh, ...(c0 ? [c0] : [])]) {
    if (t.dtype !== dtype) throw new Error(`sequence kernel: dtypes ${t.dtype} and ${dtype} differ`);
  }
  return { T, B, I, H, G, GH, dtype };
}
