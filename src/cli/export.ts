import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkExportInput, ExportInputError, type ExportInput } from '../export/input.ts';
import { EXPORT_FORMATS, EXPORT_WHATS, type ExportFormat, type ExportWhat, type Table } from '../export/table.ts';
import { buildTable } from '../export/tables.ts';
import { writeTableFile, writeTableText } from '../export/writers.ts';
import { shownPath } from './shownPath.ts';
import { UsageError } from './usageError.ts';

interface ExportOptions {
  format: string;
  what: string;
  out?: string;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`export: ${option} must be ${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}, got "${value}"`);
}

/** The results.json of a folder (or the file itself), checked for export. */
function readInput(path: string): { file: string; results: ExportInput } {
  const target = resolve(path);
  if (!existsSync(target)) throw new UsageError(`export: ${path} does not exist; give an output folder of gradlab experiment (or its results.json)`);
  const file = statSync(target).isDirectory() ? join(target, 'results.json') : target;
  if (!existsSync(file)) {
    throw new UsageError(`export: ${path} has no results.json; for a folder left by a kill, gradlab report ${path} assembles one from its run files`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`export: cannot read ${shownPath(file)} as JSON (${(e as Error).message})`);
  }
  try {
    return { file, results: checkExportInput(json) };
  } catch (e) {
    if (e instanceof ExportInputError) throw new UsageError(`export: ${shownPath(file)} is not a gradlab results file: ${e.message}`);
    throw e;
  }
}

/** A failure to write the output (a missing permission, a full disk) is the user's to fix: one
 * line, not a stack trace. */
function writeError(out: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === undefined) throw e;
  throw new UsageError(`export: cannot write ${out} (${code}: ${(e as Error).message})`);
}

export function registerExport(program: Command): void {
  program
    .command('export <dir>')
    .description('write an output folder\'s results.json as a long table for pandas, duckdb or R')
    .requiredOption('--format <format>', 'csv, jsonl or parquet')
    .option('--what <table>', 'steps: a row per run and logged step; dldh: a row per run, step, layer and t of ||dL/dh_t||; runs: a row per run', 'steps')
    .option('--out <file>', 'the file to write (default <dir>/export-<what>.<format>); - writes csv or jsonl to stdout')
    .addHelpText('after', '\nEvery row carries its run (experiment, run, variant, seed, status) and the variant\'s settings (optimizer.lr, clip.kind, task.T, ...).\nColumns are named as in results.json, nested fields joined with dots: gradNorm, sigmaMaxWhh.l0, paramGradNorms.rnn.weight_hh_l0, metrics.mse.\nA null (NaN or Infinity in training, or a value a run lacks) is an empty CSV field, JSON null, a Parquet null.')
    .action(async (dir: string, opts: ExportOptions) => {
      const format = oneOf<ExportFormat>(opts.format, EXPORT_FORMATS, '--format');
      const what = oneOf<ExportWhat>(opts.what, EXPORT_WHATS, '--what');
      if (opts.out === '-' && format === 'parquet') throw new UsageError('export: parquet is binary and is written to a file only; give --out FILE (or use --format csv or jsonl for stdout)');
      const { file, results } = readInput(dir);
      let table: Table;
      try {
        table = buildTable(results, what);
      } catch (e) {
        if (e instanceof ExportInputError) throw new UsageError(`export: ${shownPath(file)}: ${e.message}`);
        throw e;
      }
      if (opts.out === '-') {
        await writeTableText(table, format as 'csv' | 'jsonl', process.stdout);
        return;
      }
      const out = resolve(opts.out ?? join(dirname(file), `export-${what}.${format}`));
      if (existsSync(out) && statSync(out).isDirectory()) throw new UsageError(`export: --out ${opts.out ?? out} is a folder; name a file`);
      let rows: number;
      try {
        rows = await writeTableFile(table, format, out);
      } catch (e) {
        writeError(shownPath(out), e);
      }
      const unfinished = results.runs.filter((r) => r.status === 'interrupted').length;
      const note = unfinished > 0 ? ` (${unfinished} of ${results.runs.length} runs unfinished, status "interrupted")` : '';
      process.stderr.write(`wrote ${shownPath(out)}: ${rows} rows x ${table.columns.length} columns${note}\n`);
    });
}
