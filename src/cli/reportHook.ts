import { dirname } from 'node:path';
import type { Results } from '../experiment/results.ts';
import { writeReport, writeReportsIndex } from '../report/write.ts';

/** Writes the HTML report next to results.json and refreshes reports/index.html; returns the
 * report's path. */
export function finishReport(dir: string, results: Results): string {
  const path = writeReport(dir, results);
  writeReportsIndex(dirname(dir));
  return path;
}
