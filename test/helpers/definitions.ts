/** The smallest valid experiment definition (3 steps of a 3-unit LSTM on a T=6 adding problem),
 * for tests that mutate it into bad input or run it in seconds. */
export function tinyDefinition(name: string): Record<string, unknown> {
  return {
    name,
    description: 'a tiny valid experiment',
    task: { name: 'adding', T: 6, variant: 'arjovsky', testSize: 16 },
    steps: 3,
    seeds: [0],
    batchSize: 4,
    logEvery: 1,
    valSize: 8,
    defaults: { cell: 'lstm', hiddenSize: 3, optimizer: { name: 'adam' } },
    variants: [{ name: 'a' }],
  };
}
