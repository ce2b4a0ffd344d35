import type { GradientReach, Num } from '../records/results.ts';

/** How small, relative to ||dL/dh_T||, a gradient may get and still count as reaching t. */
export const REACH_THRESHOLD = 1e-6;

/**
 * Summarise one layer's ||dL/dh_t|| profile (t = 1..T): the least-squares slope of
 * log10 ||dL/dh_t|| over t (decades per step: positive = shrinking going back in time), how many
 * steps back from T the gradient stays above 1e-6 of ||dL/dh_T||, and ||dL/dh_1|| / ||dL/dh_T||.
 */
export function gradientReach(profile: readonly Num[]): GradientReach {
  const T = profile.length;
  const last = profile[T - 1];
  if (last === null || !(last > 0)) return { decadesPerStep: null, reach: 0, firstToLast: null };
  let reach = 0;
  for (let t = T - 1; t >= 0; t--) {
    const v = profile[t];
    if (v === null || !(v >= REACH_THRESHOLD * last)) break;
    reach++;
  }
  // Fit only finite, positive points (log of 0 is -Inf: a gradient that underflowed).
  const pts: [number, number][] = [];
  profile.forEach((v, t) => {
    if (v !== null && v > 0 && Number.isFinite(v)) pts.push([t + 1, Math.log10(v)]);
  });
  let slope: Num = null;
  if (pts.length >= 2) {
    const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
    const my = pts.reduce((s, p) => s + p[1], 0) / pts.length;
    let sxy = 0;
    let sxx = 0;
    for (const [x, y] of pts) {
      sxy += (x - mx) * (y - my);
      sxx += (x - mx) ** 2;
    }
    slope = sxy / sxx;
  }
  const first = profile[0];
  return { decadesPerStep: slope, reach, firstToLast: first === null ? null : first / last };
}
