import type { Command } from 'commander';
import { listExperimentNames, loadExperiment } from '../experiment/registry.ts';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('the shipped experiments, one line each')
    .action(async () => {
      for (const name of listExperimentNames()) {
        const def = (await loadExperiment(name)) as { description?: string };
        process.stdout.write(`${name.padEnd(18)} ${def.description ?? ''}\n`);
      }
    });
}
