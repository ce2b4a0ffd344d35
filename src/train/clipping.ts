import type { Tensor } from '../tensor/tensor.ts';

export interface ClipResult {
  /** Global L2 norm of all gradients before clipping (what clip_grad_norm_ returns). */
  normBefore: number;
  clipped: boolean;
  /** The factor the gradients were multiplied by (1 when not clipped). */
  factor: number;
}

/** Global L2 norm over every parameter's gradient, in float64. */
export function globalGradNorm(params: readonly Tensor[]): number {
  let sq = 0;
  for (const p of params) if (p.grad) sq += p.backend.sumOfSquares(p.grad);
  return Math.sqrt(sq);
}

/**
 * torch.nn.utils.clip_grad_norm_ (torch 1.13, L2): coef = maxNorm / (norm + 1e-6), and the
 * gradients are multiplied by min(coef, 1) — so they change only when norm + 1e-6 > maxNorm.
 * A non-finite norm is returned as is and nothing is scaled (the run is about to be recorded as
 * diverged; torch would spread the NaN into every gradient).
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): ClipResult {
  const normBefore = globalGradNorm(params);
  const coef = maxNorm / (normBefore + 1e-6);
  if (!Number.isFinite(normBefore) || coef >= 1) return { normBefore, clipped: false, factor: 1 };
  for (const p of params) if (p.grad) p.backend.scaleInPlace(p.grad, coef);
  return { normBefore, clipped: true, factor: coef };
}

/** torch.nn.utils.clip_grad_value_: clamp every gradient element to [-clipValue, clipValue].
 * Returns how many elements were clamped. */
export function clipGradValue(params: readonly Tensor[], clipValue: number): number {
  let changed = 0;
  for (const p of params) if (p.grad) changed += p.backend.clampInPlace(p.grad, clipValue);
  return changed;
}
