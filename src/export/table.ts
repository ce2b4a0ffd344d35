/**
 * A long ("tidy") table as the exporters see it: typed columns and rows produced on demand, so
 * that a large dL/dh table (runs x logged steps x layers x T rows) streams to its file instead
 * of being held in memory. Rows come in groups that share their leading cells (a run's identity
 * and settings, most of a row's columns): a writer renders those once per run, not per row.
 */

/** A column's type; it decides the Parquet type (int -> INT64, double -> DOUBLE, bool ->
 * BOOLEAN, string -> UTF8). Every column is nullable. */
export type ColumnType = 'int' | 'double' | 'bool' | 'string';

export interface Column {
  name: string;
  type: ColumnType;
}

/** One cell: null where results.json has null (NaN/Infinity) or the row lacks the value. An
 * 'int' or 'double' cell is a number, a 'bool' cell a boolean, a 'string' cell a string. */
export type Cell = number | string | boolean | null;

/** Rows that begin with the same cells: each row is `shared` followed by one of `rows`. */
export interface RowGroup {
  shared: readonly Cell[];
  /** The rest of each row; read it before asking for the next group. */
  rows: Iterable<readonly Cell[]>;
}

export interface Table {
  columns: readonly Column[];
  /** The rows, in groups; iterable more than once. */
  groups(): Iterable<RowGroup>;
}

/** The table's rows whole: one cell per column, in column order. */
export function* rowsOf(table: Table): Iterable<Cell[]> {
  for (const g of table.groups()) for (const r of g.rows) yield [...g.shared, ...r];
}

/** What to export: a row per logged step, per dL/dh_t value, or per run. */
export const EXPORT_WHATS = ['steps', 'dldh', 'runs'] as const;
export type ExportWhat = (typeof EXPORT_WHATS)[number];

export const EXPORT_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
