import type { Num } from '../records/results.ts';

/** Small statistics over values that may be null (NaN/Inf in the run): nulls are left out. */

export function finite(values: readonly (Num | undefined)[]): number[] {
  const out: number[] = [];
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  return out;
}

/** Median of the finite values, or null when there are none. */
export function median(values: readonly (Num | undefined)[]): Num {
  const xs = finite(values).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const m = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

export function minOf(values: readonly (Num | undefined)[]): Num {
  const xs = finite(values);
  return xs.length === 0 ? null : Math.min(...xs);
}

export function maxOf(values: readonly (Num | undefined)[]): Num {
  const xs = finite(values);
  return xs.length === 0 ? null : Math.max(...xs);
}

export interface MeanStd {
  mean: number | null;
  /** Sample standard deviation (n - 1 in the denominator); null when n < 2. */
  std: number | null;
  n: number;
}

/** Mean and sample standard deviation over the finite values. */
export function meanStd(values: readonly (Num | undefined)[]): MeanStd {
  const xs = finite(values);
  const n = xs.length;
  if (n === 0) return { mean: null, std: null, n };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { mean, std: null, n };
  const ss = xs.reduce((s, x) => s + (x - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

/** Round to `digits` significant digits for the embedded chart data (keeps the file small). */
export function sig(v: Num, digits = 4): Num {
  if (v === null || !Number.isFinite(v)) return null;
  return v === 0 ? 0 : Number(v.toPrecision(digits));
}

/** A value for a log axis: positive and finite, or null (a gap). */
export function positive(v: Num): Num {
  return v !== null && v > 0 && Number.isFinite(v) ? v : null;
}

/** Format a number for text: 3 significant digits, exponent form outside [1e-3, 1e4). */
export function fmt(v: Num | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e4) return String(Number(v.toPrecision(digits)));
  const [m, e] = v.toExponential(digits - 1).split('e');
  return `${Number(m)}e${Number(e)}`;
}
