/**
 * results.json, schema "gradlab.results/1": the types live in the lowest layer,
 * src/records/results.ts (so that train, diagnostics, report and export can use them without
 * importing upwards), and are re-exported here for the experiment runner and the CLI.
 */
export * from '../records/results.ts';
