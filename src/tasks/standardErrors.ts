import { sliceBatch } from './batch.ts';
import type { Batch, Task } from './task.ts';

/**
 * The standard error of each metric the task declares a mean over sequences
 * (`task.sequenceMeans`): the metric is recomputed on every test sequence alone, and its standard
 * error is the sample standard deviation of those per-sequence values over sqrt(n).
 *
 * Why this is the right uncertainty: every test sequence is drawn independently from the task's
 * distribution, each sequence weighs the same in the metric (a fixed length), so the metric is a
 * mean of n i.i.d. values and sd/sqrt(n) estimates how far it lies from the expectation a
 * bigger test set would give. A metric that is not such a mean (R², a least-squares constant)
 * has no entry. n < 2 gives no entry (no spread to measure).
 */
export function sequenceStandardErrors(task: Task, pred: Float64Array, batch: Batch): Record<string, number> {
  const n = batch.xShape[0];
  const names = task.sequenceMeans;
  if (n < 2 || names.length === 0) return {};
  if (pred.length % n !== 0) throw new Error(`sequenceStandardErrors: ${pred.length} predictions do not split into ${n} sequences`);
  const per = pred.length / n;
  // Welford's running mean and sum of squared deviations: stable for 10^6 values of any scale.
  const mean = new Float64Array(names.length);
  const m2 = new Float64Array(names.length);
  for (let b = 0; b < n; b++) {
    const m = task.metrics(pred.subarray(b * per, (b + 1) * per), sliceBatch(batch, b, b + 1));
    names.forEach((name, i) => {
      const x = m[name];
      const d = x - mean[i];
      mean[i] += d / (b + 1);
      m2[i] += d * (x - mean[i]);
    });
  }
  return Object.fromEntries(names.map((name, i) => [name, Math.sqrt(m2[i] / (n - 1) / n)]));
}
