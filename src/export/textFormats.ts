import { stringify } from 'csv-stringify/sync';
import type { Cell, Table } from './table.ts';

/** Rows per chunk handed to the sink: large enough that writes are few, small enough that a
 * chunk of a wide table stays a few megabytes. */
const ROWS_PER_CHUNK = 4096;

/**
 * CSV that reads back as written: numbers as JavaScript's shortest round-trip decimal (String(x),
 * so every double parses back to the same double), booleans as true/false (pandas, duckdb and
 * R's read.csv read them as logicals; csv-stringify's default is 1/empty), null as an empty
 * field and an empty string as "" so the two stay apart.
 */
const CSV_OPTIONS = {
  cast: {
    boolean: (b: boolean): string => (b ? 'true' : 'false'),
    number: (x: number): string => String(x),
    string: (s: string): string | { value: string; quoted_empty: boolean } => (s === '' ? { value: '', quoted_empty: true } : s),
  },
};

/** Batches of rows, so the encoders handle a chunk at a time. */
function* batches<T>(rows: Iterable<T>): Iterable<T[]> {
  let batch: T[] = [];
  for (const row of rows) {
    batch.push(row);
    if (batch.length === ROWS_PER_CHUNK) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** One CSV record per row, without the line ends. */
function csvRecords(rows: readonly (readonly Cell[])[]): string[] {
  // Without text cells no field is quoted, so no field holds a line end: one stringify call
  // for the batch, split at the line ends (csv-stringify's cost is mostly per call).
  if (rows.every((r) => r.every((c) => typeof c !== 'string'))) return stringify(rows as Cell[][], CSV_OPTIONS).split('\n').slice(0, -1);
  return rows.map((r) => stringify([r as Cell[]], CSV_OPTIONS).slice(0, -1));
}

/** The CSV text in chunks: the header line, then the rows; a group's shared cells (most of
 * the columns) are rendered once. */
export function* csvChunks(table: Table): Iterable<string> {
  yield stringify([table.columns.map((c) => c.name)], CSV_OPTIONS);
  for (const group of table.groups()) {
    const prefix = group.shared.length > 0 ? `${stringify([group.shared as Cell[]], CSV_OPTIONS).slice(0, -1)},` : '';
    for (const batch of batches(group.rows)) yield csvRecords(batch).map((r) => `${prefix}${r}\n`).join('');
  }
}

/** JSON lines: one object per row, its keys the column names in column order. */
export function* jsonlChunks(table: Table): Iterable<string> {
  const names = table.columns.map((c) => c.name);
  // Object.fromEntries defines each key as its own property, "__proto__" included.
  const object = (keys: readonly string[], cells: readonly Cell[]): string => JSON.stringify(Object.fromEntries(keys.map((k, i) => [k, cells[i]])));
  for (const group of table.groups()) {
    const n = group.shared.length;
    const rest = names.slice(n);
    // The shared members once: '{"experiment":"x",...' joined to each row's '"step":0,...}'.
    const head = n > 0 ? object(names.slice(0, n), group.shared).slice(0, -1) : null;
    const line = (row: readonly Cell[]): string => {
      const tail = object(rest, row);
      return head === null ? tail : rest.length === 0 ? `${head}}` : `${head},${tail.slice(1)}`;
    };
    for (const batch of batches(group.rows)) yield batch.map((r) => `${line(r)}\n`).join('');
  }
}
