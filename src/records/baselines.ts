import type { ResultBaseline } from './results.ts';

/** The baselines that apply to a variant (all, for a file written before baselines named variants). */
export function baselinesFor<B extends ResultBaseline>(baselines: readonly B[] | undefined, variant: string): B[] {
  return (baselines ?? []).filter((b) => !b.variants || b.variants.includes(variant));
}
