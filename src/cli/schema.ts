import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { experimentSchema } from '../experiment/config.ts';
import { firstLine } from '../experiment/resolve.ts';
import { writeFileAtomic } from '../io/atomicWrite.ts';
import { shownPath } from './shownPath.ts';
import { UsageError } from './usageError.ts';

/** Where the generated schema is committed (test/experiment/overrides.test.ts fails when it is
 * stale), so editors can point at it without running gradlab. */
export const SCHEMA_FILE = 'schema/experiment.schema.json';

/**
 * The JSON Schema (draft 2020-12) of an experiment definition, generated from the zod schema in
 * config.ts so the two cannot drift apart. `io: 'input'` describes what a user writes: a field
 * with a default (`defaults`, `quick`, a task's `variant`) is optional, where the output view
 * would make it required. Strict objects become `additionalProperties: false`, so an editor flags
 * a misspelt key as gradlab does.
 *
 * zod's refinements have no JSON Schema form and are not in it: distinct seeds, earlyStop's
 * below/above, and the checks resolveExperiment makes across fields (accumulation dividing the
 * batch, required cell/hiddenSize/optimizer per variant, unique variant names). A file the schema
 * accepts can still be refused by gradlab; one it refuses is always refused.
 */
export function experimentJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(experimentSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'gradlab experiment definition',
    description: 'An experiment for `gradlab experiment` (a .json or .yaml file, or the default export of a .ts file). '
      + `Generated from src/experiment/config.ts by \`gradlab schema\`; do not edit ${SCHEMA_FILE} by hand.`,
    ...rest,
  };
}

/** The schema as the file holds it: two-space JSON and a final newline, byte-stable. */
export function experimentJsonSchemaText(): string {
  return `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`;
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of an experiment definition (for editors and validators)')
    .option('--out <file>', `write it to a file instead of stdout (the repository keeps it as ${SCHEMA_FILE})`)
    .action((opts: { out?: string }) => {
      const text = experimentJsonSchemaText();
      if (opts.out === undefined) {
        process.stdout.write(text);
        return;
      }
      const file = resolve(opts.out);
      try {
        writeFileAtomic(file, text);
      } catch (e) {
        throw new UsageError(`--out: cannot write ${shownPath(file)}: ${firstLine(e)}`);
      }
      process.stderr.write(`wrote ${shownPath(file)}\n`);
    });
}
