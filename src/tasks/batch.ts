import type { Batch } from './task.ts';

/** Sequences [start, end) of a batch (rows of x and y), copied. */
export function sliceBatch(batch: Batch, start: number, end: number): Batch {
  const [B, T, I] = batch.xShape;
  if (!(0 <= start && start < end && end <= B)) throw new Error(`batch rows ${start}:${end} out of range for B=${B}`);
  const xRow = T * I;
  const yRow = batch.y.length / B;
  return {
    x: batch.x.slice(start * xRow, end * xRow),
    xShape: [end - start, T, I],
    y: batch.y.slice(start * yRow, end * yRow),
    yShape: [end - start, ...batch.yShape.slice(1)],
  };
}
