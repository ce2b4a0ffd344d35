import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { RESULTS_SCHEMA, type Results } from '../experiment/results.ts';
import { outputDir } from './experiment.ts';
import { finishReport } from './reportHook.ts';
import { UsageError } from './usageError.ts';

export function registerReport(program: Command): void {
  program
    .command('report <results>')
    .description('re-render index.html from a results.json (inside reports/) without re-running')
    .action((file: string) => {
      let results: Results;
      try {
        results = JSON.parse(readFileSync(file, 'utf8')) as Results;
      } catch (e) {
        throw new UsageError(`report: cannot read ${file} as JSON (${(e as Error).message})`);
      }
      if (results?.schema !== RESULTS_SCHEMA) {
        throw new UsageError(`report: ${file} is not a gradlab results file (schema must be "${RESULTS_SCHEMA}")`);
      }
      // The report is written next to the results file, which must itself be inside reports/.
      const dir = outputDir(results.experiment, dirname(resolve(file)));
      const path = finishReport(dir, results);
      process.stderr.write(`wrote ${relative(process.cwd(), path)}\n`);
    });
}
