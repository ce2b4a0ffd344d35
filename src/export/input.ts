import { z } from 'zod';
import type { Results } from '../records/results.ts';
import { resultsFileSchema } from '../experiment/resultsSchema.ts';
import { zodLine } from '../io/zodLine.ts';

/** A results.json the exporter cannot turn into tables; the message is one line naming the
 * field. */
export class ExportInputError extends Error {
  override name = 'ExportInputError';
}

/**
 * What the exporter reads beyond resultsFileSchema (which checks what the report needs and
 * leaves `config`, the summary and some log fields unchecked): each becomes a typed column, so a
 * hand-edited value of the wrong type must be refused here rather than break a Parquet column
 * or silently change a column's type. Loose objects: newer fields are ignored, not refused.
 */
const num = z.number().nullable();
const reach = z.looseObject({ decadesPerStep: num, reach: z.number().int().nullable(), firstToLast: num });
const exportFieldsSchema = z.looseObject({
  config: z.looseObject({
    // The run index (the runs/run-<index> files) is the variant's position x seeds + the seed's.
    seeds: z.array(z.number()),
    variants: z.array(z.looseObject({ name: z.string() })),
  }),
  runs: z.array(z.looseObject({
    seed: z.number().int().min(0),
    stepsRun: z.number().int().min(0),
    divergedAtStep: z.number().int().optional(),
    earlyStopped: z.boolean().optional(),
    summary: z.looseObject({
      reachAtStart: z.array(reach),
      reachAtEnd: z.array(reach),
      pascanuGamma: z.number().optional(),
      vanishingGuaranteed: z.array(z.boolean()).nullable().optional(),
    }).nullable().optional(),
    log: z.array(z.looseObject({
      valLoss: num.optional(),
      clipFactor: num.optional(),
      lr: num.optional(),
      updateRatio: num.optional(),
    })),
  })),
});

/** The parts of `config` (a ResolvedExperiment) the exporter uses. */
export interface ExportConfig {
  seeds: number[];
  variants: ({ name: string } & Record<string, unknown>)[];
}

/** results.json checked for export: the Results type, with `config` known to hold the variants. */
export type ExportInput = Results & { config: ExportConfig };

/** Check a parsed results.json; throws ExportInputError with the first problem's field path. */
export function checkExportInput(json: unknown): ExportInput {
  const base = resultsFileSchema.safeParse(json);
  if (!base.success) throw new ExportInputError(zodLine('results', base.error));
  const extra = exportFieldsSchema.safeParse(base.data);
  if (!extra.success) throw new ExportInputError(zodLine('results', extra.error));
  return base.data as unknown as ExportInput;
}
