import { Command, CommanderError } from 'commander';
import { ExperimentError } from '../experiment/resolve.ts';
import { registerExperiment } from './experiment.ts';
import { registerExport } from './export.ts';
import { registerGrad } from './grad.ts';
import { registerList } from './list.ts';
import { registerMerge } from './merge.ts';
import { registerProbe } from './probe.ts';
import { registerReport } from './report.ts';
import { registerSchema } from './schema.ts';
import { UsageError } from './usageError.ts';
import { printable } from './terminalText.ts';
import { packageVersion } from './provenance.ts';

/** What a command reports back to main(): the exit code it decided on. */
export interface CommandOutcome {
  exitCode: number;
  /** The arguments main() was given (for the reproduce and resume lines). */
  argv: readonly string[];
}

/**
 * gradlab's command line; returns the exit code: 0 ok (a diverged run is a result), 1 a run
 * failed or was interrupted, 2 bad usage or bad input (one line on stderr, nothing written),
 * 130/143 when SIGINT/SIGTERM stopped an experiment after its partial results were written.
 */
export async function main(argv: string[]): Promise<number> {
  const outcome: CommandOutcome = { exitCode: 0, argv };
  const program = new Command('gradlab')
    .description('vanishing and exploding gradients in recurrent networks, measured')
    .exitOverride()
    .showSuggestionAfterError()
    // commander's own errors ("unknown option '--forc'" and its suggestion) as our one line.
    .configureOutput({ outputError: (text, write) => write(`gradlab: ${printable(oneLine(text.replace(/^error: /, '')))}\n`) })
    .version(packageVersion(), '-V, --version', 'print gradlab\'s version');
  registerExperiment(program, outcome);
  registerList(program);
  registerReport(program);
  registerGrad(program);
  registerProbe(program, outcome);
  registerMerge(program, outcome);
  registerExport(program);
  registerSchema(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return outcome.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its one-line message (or the help text).
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError || e instanceof ExperimentError) {
      process.stderr.write(`gradlab: ${printable(oneLine(e.message))}\n`);
      return 2;
    }
    throw e;
  }
}

/** A message as one line: a user's file or error text may hold newlines. */
export function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
