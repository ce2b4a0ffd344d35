import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { writeParquetFile } from './parquet.ts';
import type { ExportFormat, RowGroup, Table } from './table.ts';
import { csvChunks, jsonlChunks } from './textFormats.ts';

let temps = 0;

/** A temporary file beside `path`: renamed over it once complete, so a reader (or an export
 * that fails half-way) never leaves half a table under the final name. */
function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${++temps}.tmp`);
}

function textChunks(table: Table, format: 'csv' | 'jsonl'): Iterable<string> {
  return format === 'csv' ? csvChunks(table) : jsonlChunks(table);
}

/** The table, counting the rows as they are read (for the "wrote N rows" line). */
function counted(table: Table): { table: Table; rows: () => number } {
  let n = 0;
  return {
    table: {
      columns: table.columns,
      *groups(): Iterable<RowGroup> {
        for (const g of table.groups()) yield { shared: g.shared, rows: (function* rows() { for (const r of g.rows) { n++; yield r; } })() };
      },
    },
    rows: () => n,
  };
}

/** Write the table to a file in the format; returns the number of rows. */
export async function writeTableFile(table: Table, format: ExportFormat, path: string): Promise<number> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempBeside(path);
  try {
    const c = counted(table);
    if (format === 'parquet') {
      await writeParquetFile(c.table, tmp);
    } else {
      const fd = openSync(tmp, 'w');
      try {
        for (const chunk of textChunks(c.table, format)) writeSync(fd, chunk);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(tmp, path);
    return c.rows();
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Write the table as text to a stream (stdout); Parquet is binary and goes to files only. */
export async function writeTableText(table: Table, format: 'csv' | 'jsonl', out: NodeJS.WritableStream): Promise<void> {
  for (const chunk of textChunks(table, format)) {
    // A full buffer (a slow reader) is waited for; waiting also lets a reader that stopped
    // early (EPIPE, handled in main.ts) end the process instead of the whole table being made.
    if (!out.write(chunk)) await once(out, 'drain');
  }
}
