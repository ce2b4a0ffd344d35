import { Command, CommanderError } from 'commander';
import { registerExperiment } from './experiment.ts';
import { registerGrad } from './grad.ts';
import { registerList } from './list.ts';
import { registerReport } from './report.ts';
import { UsageError } from './usageError.ts';

/** gradlab's command line. Exit codes: 0 ok, 1 a run failed, 2 bad usage or bad input. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('gradlab')
    .description('vanishing and exploding gradients in recurrent networks, measured')
    .exitOverride()
    .showSuggestionAfterError();
  registerExperiment(program);
  registerList(program);
  registerReport(program);
  registerGrad(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its one-line message (or the help text).
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`gradlab: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

// A reader that stops early (`gradlab list | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
