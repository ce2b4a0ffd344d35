/**
 * The scale a loss is known to, for comparing ours with torch's. Near 0 a loss is a cancellation:
 * MSE of predictions against close targets, cross-entropy lse(z) - z_y of a confident prediction
 * (seed 1037386043: 3.9e-7, off by 6.7e-10 of itself; seed 930505263: 2.5e-9, off by 8.8e-8 of
 * itself). The predictions agree to ε of their largest magnitude P like every tensor compared, and
 * that bounds the loss's error: MSE, with d = pred - y, |δL| <= (2/n) Σ|d_i| ε P <= 2 sqrt(L) ε P
 * (Cauchy-Schwarz); cross-entropy, |δ lse| and |δ z_y| <= ε P each, |δL| <= 2 ε P. Returns
 * undefined (expectClose's default scale, |L|) when the reference gives no P.
 */
export function lossScale(loss: string, ref: { loss: number | null; predAbsMax?: number | null }): number | undefined {
  if (ref.loss === null || ref.predAbsMax === null || ref.predAbsMax === undefined) return undefined;
  const L = Math.abs(ref.loss);
  return Math.max(L, loss === 'mse' ? 2 * Math.sqrt(L) * ref.predAbsMax : 2 * ref.predAbsMax);
}
