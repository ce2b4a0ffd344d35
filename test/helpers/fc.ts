import fc from 'fast-check';

/**
 * fast-check settings shared by the property tests. On failure fast-check prints the seed and
 * the shrunk counterexample; set FC_SEED (and FC_PATH) to replay a failure exactly.
 */
export function fcParams<T = unknown>(numRuns: number): fc.Parameters<T> {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
  const path = process.env.FC_PATH;
  return { numRuns, ...(seed !== undefined ? { seed } : {}), ...(path ? { path } : {}) };
}
