import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { zodLine } from '../io/zodLine.ts';
import { EXPERIMENTS_DIR, listExperimentNames } from './registry.ts';
import { ExperimentError, firstLine } from './resolve.ts';

/**
 * Suites: named lists of shipped experiments run one after another into one folder, with a
 * summary page of every experiment's claims (experiments/suites/<name>.ts, e.g. `paper`).
 */

export const SUITES_DIR = fileURLToPath(new URL('../../experiments/suites', import.meta.url));

export const suiteSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes').max(64),
  description: z.string().max(2000),
  /** Shipped experiment names, run in this order. */
  experiments: z.array(z.string()).min(1).max(100),
});
export type Suite = z.output<typeof suiteSchema>;

export function defineSuite(suite: Suite): Suite {
  return suite;
}

export function listSuiteNames(): string[] {
  if (!existsSync(SUITES_DIR)) return [];
  return readdirSync(SUITES_DIR).filter((f) => f.endsWith('.ts')).map((f) => basename(f, '.ts')).sort();
}

/** A shipped suite by name: validated, every member a shipped experiment, none twice, and no
 * suite named like an experiment (the command line could not tell them apart). */
export async function loadSuite(name: string): Promise<Suite> {
  let mod: { default?: unknown };
  try {
    mod = (await import(join(SUITES_DIR, `${name}.ts`))) as { default?: unknown };
  } catch (e) {
    throw new ExperimentError(`suite ${name}: cannot load it: ${firstLine(e)}`);
  }
  const r = suiteSchema.safeParse(mod.default);
  if (!r.success) throw new ExperimentError(zodLine(`suite ${name}`, r.error));
  const suite = r.data;
  const shipped = listExperimentNames();
  if (shipped.includes(suite.name)) throw new ExperimentError(`suite ${name}: "${suite.name}" is also an experiment in ${EXPERIMENTS_DIR}; rename one`);
  suite.experiments.forEach((e, i) => {
    if (!shipped.includes(e)) throw new ExperimentError(`suite ${name}.experiments[${i}]: no shipped experiment "${e}"; choose from ${shipped.join(', ')}`);
    if (suite.experiments.indexOf(e) !== i) throw new ExperimentError(`suite ${name}.experiments[${i}]: "${e}" is listed twice`);
  });
  return suite;
}
