import { expect } from 'vitest';

/** Every number in a nested array (a results.json tensor or profile), in order. */
export function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

/**
 * Agreement "to float64 rounding": both sides sum the same products in different orders, so each
 * value carries a relative error of order (number of terms) * 2^-53 ≈ 1e-14 for our sizes,
 * amplified at most by the conditioning of the unrolled recurrence. 1e-10 of the largest
 * magnitude in the tensor leaves four orders of headroom; a wrong equation misses it by ~10 orders.
 * Saturated cases can drive a whole gradient tensor into float64's subnormal range (< 2.2e-308),
 * where numbers carry fewer than 53 bits and a relative bound means nothing: there an absolute
 * 1e-300 applies. `rel` widens the relative bound where a test has a reason to (float32).
 * `scale` replaces the largest magnitude where a value is a cancellation of larger ones (a loss
 * near 0: test/parity/pytorchParity.test.ts derives its scale).
 */
export function expectClose(ours: ArrayLike<number>, theirs: ArrayLike<number>, what: string, rel = 1e-10, scale?: number): void {
  expect(ours.length, `${what}: length`).toBe(theirs.length);
  scale ??= Math.max(...Array.from(theirs, Math.abs), Number.MIN_VALUE);
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i];
    const b = theirs[i];
    if (!(Math.abs(a - b) <= rel * scale + 1e-300)) {
      expect.fail(`${what}[${i}]: ours ${a}, reference ${b} (scale ${scale})`);
    }
  }
}
