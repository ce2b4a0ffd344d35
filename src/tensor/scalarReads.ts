import type { Tensor } from './tensor.ts';

/**
 * Collects one-element tensors (losses, squared norms, sigma_max) and reads them all back at
 * once: on WebGPU every read-back is a mapAsync that costs milliseconds, so a training step
 * reads one small buffer instead of one per number. On the CPU it is a copy.
 */
export class ScalarReads {
  private readonly tensors: Tensor[] = [];

  /** Queue a one-element tensor; returns its index in what read() returns. */
  add(t: Tensor): number {
    if (t.size !== 1) throw new Error(`ScalarReads takes one-element tensors, got ${t.toString()}`);
    if (this.tensors.length > 0 && t.backend !== this.tensors[0].backend) {
      throw new Error(`ScalarReads: ${t.toString()} is on ${t.backend.name}, the others on ${this.tensors[0].backend.name}`);
    }
    this.tensors.push(t);
    return this.tensors.length - 1;
  }

  /** Every queued value, in float64, in the order they were added. */
  async read(): Promise<Float64Array> {
    if (this.tensors.length === 0) return new Float64Array(0);
    const k = this.tensors[0].backend;
    // float64 where any value has it (the CPU's norms are accumulated in float64), so none is rounded.
    const dtype = this.tensors.some((t) => t.dtype === 'float64') ? 'float64' : 'float32';
    const flat = this.tensors.map((t) => k.reshape(t.dtype === dtype ? t : k.cast(t, dtype), [1]));
    return k.readAsync(flat.length === 1 ? flat[0] : k.concat(flat, 0));
  }
}

/** The values of some one-element tensors, with one read-back. */
export function readScalars(tensors: Iterable<Tensor>): Promise<Float64Array> {
  const reads = new ScalarReads();
  for (const t of tensors) reads.add(t);
  return reads.read();
}
