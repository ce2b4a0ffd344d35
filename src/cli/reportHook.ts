import { join, relative, resolve, sep } from 'node:path';
import type { Results } from '../experiment/results.ts';
import { toJson, writeFileAtomic } from '../io/atomicWrite.ts';
import { writeReport, writeReportsIndex } from '../report/write.ts';

/** The reports/ folder of the current directory: `npm run experiment` writes there by default,
 * and its index.html lists what is under it. */
export const REPORTS_DIR = resolve('reports');

function insideReports(dir: string): boolean {
  const rel = relative(REPORTS_DIR, dir);
  return rel !== '' && !rel.startsWith('..') && !rel.split(sep).includes('..') && resolve(REPORTS_DIR, rel) === dir;
}

/** Writes the HTML report next to results.json and, for a folder under reports/, refreshes
 * reports/index.html; a folder elsewhere gets its own report only. Returns the report's path. */
export function finishReport(dir: string, results: Results): string {
  const path = writeReport(dir, results);
  if (insideReports(dir)) writeReportsIndex(REPORTS_DIR);
  return path;
}

/** Writes `dir/results.json` atomically (`beforeRename`: the tests' final-write fault point),
 * then the report; returns the report's path. */
export function writeResults(dir: string, results: Results, hooks: { beforeRename?: () => void } = {}): string {
  writeFileAtomic(join(dir, 'results.json'), `${toJson(results)}\n`, hooks);
  return finishReport(dir, results);
}
