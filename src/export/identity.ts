import type { RunResult } from '../records/results.ts';
import type { ExportConfig, ExportInput } from './input.ts';
import { ExportInputError } from './input.ts';
import type { Cell, Column, ColumnType } from './table.ts';

/**
 * The columns every table starts with: which run a row belongs to (experiment, run index,
 * variant, seed, status) and the variant's resolved settings, flattened. Repeating them on each
 * row is what makes the tables "tidy": a reader groups or filters by any setting without a join.
 */

/** Settings that are integers by the experiment schema (config.ts). A number elsewhere is a
 * double even when its value happens to be whole (lr: 1), so a column's type does not change
 * between experiments. */
const INTEGER_SETTINGS: ReadonlySet<string> = new Set([
  'hiddenSize', 'numLayers', 'accumulation', 'skipDelay', 'batchSize',
  'schedule.stepSize', 'schedule.tMax', 'task.T', 'task.testSize', 'task.seed',
]);

/** Not settings: `name` is the variant column, `description` is prose (repeated on every row
 * of a dL/dh table it would dwarf the numbers). */
const NOT_SETTINGS: ReadonlySet<string> = new Set(['name', 'description']);

export const IDENTITY_COLUMNS: readonly Column[] = [
  { name: 'experiment', type: 'string' },
  { name: 'run', type: 'int' },
  { name: 'variant', type: 'string' },
  { name: 'seed', type: 'int' },
  { name: 'status', type: 'string' },
];

/** Nested objects become dotted keys (optimizer.lr); arrays and primitives are leaves. */
function flatten(value: Record<string, unknown>, prefix: string, out: Map<string, unknown>): void {
  for (const [key, v] of Object.entries(value)) {
    const name = `${prefix}${key}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, `${name}.`, out);
    else out.set(name, v);
  }
}

function columnType(name: string, values: readonly unknown[]): ColumnType {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.every((v) => typeof v === 'number')) {
    if (present.length === 0 && !INTEGER_SETTINGS.has(name)) return 'string';
    return INTEGER_SETTINGS.has(name) && present.every((v) => Number.isSafeInteger(v)) ? 'int' : 'double';
  }
  if (present.every((v) => typeof v === 'boolean')) return 'bool';
  // Strings, and mixtures (a task setting that is a number in one variant and a string in
  // another): text, so every format holds the same values.
  return 'string';
}

function cell(value: unknown, type: ColumnType): Cell {
  if (value === null || value === undefined) return null;
  if (type !== 'string') return value as Cell;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Identity and settings cells of one run, and the columns they fill. */
export interface RunIdentities {
  columns: Column[];
  /** The identity and settings cells of results.runs[i]. */
  cellsOf(runPosition: number): Cell[];
}

/** The run's index in the experiment (its runs/run-<index> files): variants x seeds in order. */
function runIndex(config: ExportConfig, run: RunResult, position: number): number {
  const v = config.variants.findIndex((x) => x.name === run.variant);
  const s = config.seeds.indexOf(run.seed);
  if (v < 0 || s < 0) {
    throw new ExportInputError(`results.runs[${position}]: variant "${run.variant}" seed ${run.seed} is not in results.config (its variants and seeds); the file is inconsistent`);
  }
  return v * config.seeds.length + s;
}

export function runIdentities(results: ExportInput): RunIdentities {
  const flat = results.config.variants.map((v) => {
    const m = new Map<string, unknown>();
    flatten(v, '', m);
    for (const k of NOT_SETTINGS) m.delete(k);
    return m;
  });
  const names: string[] = [];
  for (const m of flat) for (const k of m.keys()) if (!names.includes(k)) names.push(k);
  const settings: Column[] = names.map((name) => ({ name, type: columnType(name, flat.map((m) => m.get(name))) }));
  const clash = settings.find((c) => IDENTITY_COLUMNS.some((i) => i.name === c.name));
  if (clash) throw new ExportInputError(`results.config.variants: the setting "${clash.name}" has the name of an identity column`);
  const byVariant = new Map(results.config.variants.map((v, i) => [v.name, settings.map((c) => cell(flat[i].get(c.name), c.type))]));
  const rows = results.runs.map((run, i) => [
    results.experiment, runIndex(results.config, run, i), run.variant, run.seed, run.status,
    ...(byVariant.get(run.variant) ?? []),
  ]);
  return { columns: [...IDENTITY_COLUMNS, ...settings], cellsOf: (i) => rows[i] };
}

/** The most layers of any variant: the per-layer columns (sigmaMaxWhh.l0, ...) run to it. */
export function maxLayers(config: ExportConfig): number {
  return Math.max(0, ...config.variants.map((v) => (typeof v.numLayers === 'number' ? v.numLayers : 1)));
}
