import type { CellStepKernels, SequenceKernels } from '../../src/backends/backend.ts';
import { cpu } from '../../src/backends/cpu/index.ts';

/**
 * Deliberate bugs for the "the checks can fail" tests: one of the CPU backend's fused kernels
 * wrapped (e.g. one gradient scaled by 1 + 1e-9) until `restoreKernels()`. The patch is an own
 * property shadowing the prototype's method; restoring deletes it.
 */
type Kernels = CellStepKernels & SequenceKernels;

function kernels(): Kernels {
  const k = cpu.cellSteps;
  if (!k || k !== cpu.sequences) throw new Error('patchKernels: the CPU backend keeps its step and sequence kernels in one object');
  return k as Kernels;
}

const patched = new Set<keyof Kernels>();

export function patchKernel<K extends keyof Kernels>(name: K, wrap: (original: Kernels[K]) => Kernels[K]): void {
  const k = kernels();
  const proto = Object.getPrototypeOf(k) as Kernels;
  const original = (proto[name] as (...args: unknown[]) => unknown).bind(k) as Kernels[K];
  (k as unknown as Record<string, unknown>)[name] = wrap(original);
  patched.add(name);
}

export function restoreKernels(): void {
  const k = kernels() as unknown as Record<string, unknown>;
  for (const name of patched) delete k[name];
  patched.clear();
}
