import type { Command } from 'commander';
import { listExperimentNames, loadExperiment } from '../experiment/registry.ts';
import { listSuiteNames, loadSuite } from '../experiment/suites.ts';
import { printable } from './terminalText.ts';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('the shipped experiments and suites (several experiments run by one name), one line each')
    .option('--json', 'as a JSON array of {name, description, experiments?} (experiments: a suite\'s members; for scripts)')
    .action(async (opts: { json?: boolean }) => {
      const entries = [];
      for (const name of listExperimentNames()) {
        const def = (await loadExperiment(name)) as { description?: string };
        entries.push({ name, description: def.description ?? '' });
      }
      const suites = [];
      for (const name of listSuiteNames()) {
        const suite = await loadSuite(name);
        suites.push({ name, description: `suite: ${suite.experiments.join(', ')}`, experiments: suite.experiments });
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify([...entries, ...suites], null, 2)}\n`);
        return;
      }
      for (const e of [...entries, ...suites]) process.stdout.write(`${e.name.padEnd(18)} ${printable(e.description)}\n`);
    });
}
