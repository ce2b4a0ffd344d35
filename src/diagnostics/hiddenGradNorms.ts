import type { Tensor } from '../tensor/tensor.ts';
import { ScalarReads } from '../tensor/scalarReads.ts';

/** ||grad|| of a tensor over all its elements, as a one-element tensor on its backend; null
 * when it got no gradient. */
export function gradNormOnDevice(t: Tensor): Tensor | null {
  return t.grad ? t.backend.norm(t.grad) : null;
}

/**
 * The vanishing-gradient probe, left on the device: ||dL/dh_t|| over batch and units for every
 * layer and timestep, from the hidden states' retained gradients after backward(). Index
 * [layer][t], t = 1..T (h_0 excluded); null where a state got no gradient.
 */
export function hiddenGradNormsOnDevice(hidden: readonly (readonly Tensor[])[]): (Tensor | null)[][] {
  return hidden.map((layer) => layer.map(gradNormOnDevice));
}

/** The same probe read back as norms ||dL/dh_t|| (0 where a state got no gradient), with one
 * read-back for all of them. */
export async function hiddenGradNorms(hidden: readonly (readonly Tensor[])[]): Promise<number[][]> {
  const reads = new ScalarReads();
  const at = hiddenGradNormsOnDevice(hidden).map((layer) => layer.map((n) => (n ? reads.add(n) : -1)));
  const values = await reads.read();
  return at.map((layer) => layer.map((i) => (i < 0 ? 0 : values[i])));
}
