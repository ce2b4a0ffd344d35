import { gradNormOnDevice } from '../diagnostics/hiddenGradNorms.ts';
import { readScalars } from '../tensor/scalarReads.ts';
import type { Tensor } from '../tensor/tensor.ts';

export interface ClipResult {
  /** Global L2 norm of all gradients before clipping (what clip_grad_norm_ returns). */
  normBefore: number;
  clipped: boolean;
  /** The factor the gradients were multiplied by (1 when not clipped). */
  factor: number;
}

/** Global L2 norm over every parameter's gradient, as torch.nn.utils.clip_grad_norm_ forms it:
 * the norm of the per-parameter norms (float64 on the CPU; one read-back). */
export async function globalGradNorm(params: readonly Tensor[]): Promise<number> {
  const norms = params.map(gradNormOnDevice).filter((n): n is Tensor => n !== null);
  return normOfNorms(await readScalars(norms));
}

/** sqrt(Σ n²) in float64: the global norm from per-parameter norms. */
export function normOfNorms(norms: ArrayLike<number>): number {
  let sq = 0;
  for (let i = 0; i < norms.length; i++) sq += norms[i] * norms[i];
  return Math.sqrt(sq);
}

/**
 * torch.nn.utils.clip_grad_norm_ (torch 1.13, L2) given the global norm already read back (the
 * trainer reads it with the loss, in the step's one read-back): coef = maxNorm / (norm + 1e-6),
 * and the gradients are multiplied by min(coef, 1) — so they change only when norm + 1e-6 >
 * maxNorm. A non-finite norm is returned as is and nothing is scaled (the run is about to be
 * recorded as diverged; torch would spread the NaN into every gradient).
 */
export function clipGradNormWith(params: readonly Tensor[], maxNorm: number, normBefore: number): ClipResult {
  const coef = maxNorm / (normBefore + 1e-6);
  if (!Number.isFinite(normBefore) || coef >= 1) return { normBefore, clipped: false, factor: 1 };
  for (const p of params) if (p.grad) p.backend.scaleInPlace(p.grad, coef);
  return { normBefore, clipped: true, factor: coef };
}

/** torch.nn.utils.clip_grad_norm_: measure the global norm, then clip with it. */
export async function clipGradNorm(params: readonly Tensor[], maxNorm: number): Promise<ClipResult> {
  return clipGradNormWith(params, maxNorm, await globalGradNorm(params));
}

/** torch.nn.utils.clip_grad_value_: clamp every gradient element to [-clipValue, clipValue].
 * Returns how many elements were clamped. */
export async function clipGradValue(params: readonly Tensor[], clipValue: number): Promise<number> {
  const counts = params.flatMap((p) => (p.grad ? [p.backend.clampInPlace(p.grad, clipValue)] : []));
  return (await readScalars(counts)).reduce((s, x) => s + x, 0);
}
