import { fileWriter, ParquetWriter, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import type { Cell, Column, ColumnType, Table } from './table.ts';

/** Rows per row group (and per write): readers skip and parallelise by row group, and the
 * writer holds one group's column arrays at a time. */
const ROWS_PER_GROUP = 65_536;

const PARQUET_TYPES: Record<ColumnType, Omit<SchemaElement, 'name'>> = {
  // INT64: seeds go up to 2^53; pandas, duckdb and R read INT64 as their 64-bit integer.
  int: { type: 'INT64', repetition_type: 'OPTIONAL' },
  double: { type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  bool: { type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
};

function schemaOf(columns: readonly Column[]): SchemaElement[] {
  return [{ name: 'root', num_children: columns.length }, ...columns.map((c) => ({ name: c.name, ...PARQUET_TYPES[c.type] }))];
}

/** A row group's column arrays, filled a row at a time; the writer takes INT64 as bigints. */
class ColumnBuffers {
  private data: (Cell | bigint)[][];
  private readonly isInt: boolean[];

  constructor(private readonly columns: readonly Column[]) {
    this.isInt = columns.map((c) => c.type === 'int');
    this.data = columns.map(() => []);
  }

  get rows(): number {
    return this.data[0]?.length ?? 0;
  }

  push(shared: readonly Cell[], rest: readonly Cell[]): void {
    const n = shared.length;
    for (let j = 0; j < this.columns.length; j++) {
      const v = j < n ? shared[j] : rest[j - n];
      this.data[j].push(this.isInt[j] && v !== null ? BigInt(v as number) : v);
    }
  }

  /** The columns so far, and empty buffers for the next group. */
  take(): ColumnSource[] {
    const out = this.columns.map((c, j) => ({ name: c.name, data: this.data[j] }));
    this.data = this.columns.map(() => []);
    return out;
  }
}

/** Write the table as a Parquet file (Snappy-compressed, one row group per 65536 rows). */
export async function writeParquetFile(table: Table, path: string): Promise<void> {
  const writer = new ParquetWriter({ writer: fileWriter(path), schema: schemaOf(table.columns), createdBy: 'gradlab export' });
  const buffers = new ColumnBuffers(table.columns);
  const flush = async (): Promise<void> => {
    if (buffers.rows > 0) await writer.write({ columnData: buffers.take(), rowGroupSize: ROWS_PER_GROUP });
  };
  for (const group of table.groups()) {
    for (const row of group.rows) {
      buffers.push(group.shared, row);
      if (buffers.rows === ROWS_PER_GROUP) await flush();
    }
  }
  await flush();
  await writer.finish();
}
