import type { Command } from 'commander';
import { listExperimentNames, loadExperiment } from '../experiment/registry.ts';
import { printable } from './terminalText.ts';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('the shipped experiments, one line each')
    .option('--json', 'as a JSON array of {name, description} (for scripts)')
    .action(async (opts: { json?: boolean }) => {
      const entries = [];
      for (const name of listExperimentNames()) {
        const def = (await loadExperiment(name)) as { description?: string };
        entries.push({ name, description: def.description ?? '' });
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        return;
      }
      for (const e of entries) process.stdout.write(`${e.name.padEnd(18)} ${printable(e.description)}\n`);
    });
}
