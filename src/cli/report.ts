import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { assembleResults } from '../experiment/assemble.ts';
import { loadManifest, MANIFEST_FILE } from '../experiment/outputFolder.ts';
import type { Results } from '../experiment/results.ts';
import { resultsFileSchema } from '../experiment/resultsSchema.ts';
import { zodLine } from '../io/zodLine.ts';
import { manifestEnv } from './provenance.ts';
import { finishReport, writeResults } from './reportHook.ts';
import { shownPath } from './shownPath.ts';
import { UsageError } from './usageError.ts';

function readResults(file: string): Results {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`report: cannot read ${file} as JSON (${(e as Error).message})`);
  }
  const parsed = resultsFileSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`report: ${file} is not a gradlab results file: ${zodLine('results', parsed.error)}`);
  return parsed.data as unknown as Results;
}

/**
 * A folder gradlab ran in (it has a manifest): results assembled afresh from its run files, so
 * a folder left by a kill (no results.json, or an older one) renders with its unfinished runs
 * as "interrupted" and what they logged. The env of an existing results.json is kept.
 */
function resultsOfFolder(dir: string): Results {
  const m = loadManifest(dir, 'report');
  const file = join(dir, 'results.json');
  return assembleResults(dir, m, existsSync(file) ? readResults(file).env : manifestEnv(m));
}

export function registerReport(program: Command): void {
  program
    .command('report <path>')
    .description('render index.html without re-running: from an output folder (assembling results.json from its run files, finished or not) or a results.json')
    .action((path: string) => {
      const target = resolve(path);
      if (!existsSync(target)) throw new UsageError(`report: ${path} does not exist; give an output folder or a results.json`);
      const isDir = statSync(target).isDirectory();
      const dir = isDir ? target : dirname(target);
      // A folder gradlab ran in gets its results.json assembled anew; a results.json alone is rendered as it is.
      const fromRuns = isDir && existsSync(join(dir, MANIFEST_FILE));
      const results = fromRuns ? resultsOfFolder(dir) : readResults(isDir ? join(dir, 'results.json') : target);
      const reportPath = fromRuns ? writeResults(dir, results) : finishReport(dir, results);
      const unfinished = results.runs.filter((r) => r.status === 'interrupted').length;
      process.stderr.write(`wrote ${shownPath(reportPath)}${unfinished ? ` (${unfinished} of ${results.runs.length} runs unfinished, shown as interrupted)` : ''}\n`);
    });
}
