import { parse } from 'csv-parse/sync';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { Cell, Column } from '../../src/export/table.ts';

/** A table row read back from a file, keyed by column name. */
export type Row = Record<string, Cell>;

export interface ReadBack {
  header: string[];
  rows: Row[];
}

export function readJsonl(text: string): ReadBack {
  const rows = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Row);
  return { header: rows.length > 0 ? Object.keys(rows[0]) : [], rows };
}

/** CSV parsed by csv-parse: an unquoted empty field is null, "" the empty string; the cells are
 * typed by the exported columns (a CSV file has no types of its own). */
export function readCsv(text: string, columns: readonly Column[]): ReadBack {
  const records = parse(text, {
    cast: (value: string, ctx: { quoting: boolean }) => (value === '' && !ctx.quoting ? null : value),
  }) as (string | null)[][];
  const [header, ...body] = records;
  const typeOf = new Map(columns.map((c) => [c.name, c.type]));
  const typed = (name: string, v: string | null): Cell => {
    if (v === null) return null;
    switch (typeOf.get(name)) {
      case 'int':
      case 'double': return Number(v);
      case 'bool':
        if (v !== 'true' && v !== 'false') throw new Error(`${name}: not a boolean: ${v}`);
        return v === 'true';
      default: return v;
    }
  };
  const names = header as string[];
  return { header: names, rows: body.map((r) => Object.fromEntries(names.map((n, i) => [n, typed(n, r[i])]))) };
}

/** The Parquet schema as "name:TYPE[/CONVERTED]" and the rows, INT64 bigints as numbers. */
export async function readParquet(path: string): Promise<ReadBack & { types: string[] }> {
  const file = await asyncBufferFromFile(path);
  const meta = await parquetMetadataAsync(file);
  const leaves = meta.schema.slice(1);
  const types = leaves.map((s) => `${s.name}:${s.type}${s.converted_type ? `/${s.converted_type}` : ''}${s.repetition_type === 'OPTIONAL' ? '?' : ''}`);
  const objects = await parquetReadObjects({ file, metadata: meta });
  const rows = objects.map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : (v as Cell)])));
  return { header: leaves.map((s) => s.name), rows, types };
}
