import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { assembleResults } from '../experiment/assemble.ts';
import { planMerge, writeMerge } from '../experiment/merge.ts';
import type { Manifest } from '../experiment/outputFolder.ts';
import type { Results, ResultsEnv } from '../experiment/results.ts';
import type { CommandOutcome } from './program.ts';
import { manifestEnv } from './provenance.ts';
import { writeResults } from './reportHook.ts';
import { shownPath } from './shownPath.ts';
import { printable } from './terminalText.ts';

/** The env of the first input that has a results.json (how the runs were made), else this
 * host's; either way with the merged manifest's start, total time and command. */
function mergedEnv(dirs: readonly string[], m: Manifest, command: string): ResultsEnv {
  const base = manifestEnv(m, { command });
  for (const d of dirs) {
    const file = join(resolve(d), 'results.json');
    if (!existsSync(file)) continue;
    try {
      const env = (JSON.parse(readFileSync(file, 'utf8')) as Results).env;
      return { ...env, gradlab: base.gradlab, backend: base.backend, startedAt: base.startedAt, durationMs: base.durationMs, command };
    } catch {
      // An unreadable results.json says nothing about the env; the run files are what count.
    }
  }
  return base;
}

/** The shard options (and the shard's own folder) out of a shard's command line: what is left
 * reproduces the whole experiment. */
function unshardedCommand(command: string): string {
  return command.replace(/ --shards? \S+/g, '').replace(/ --out \S+/g, '').trim();
}

export function registerMerge(program: Command, outcome: CommandOutcome): void {
  program
    .command('merge <folders...>')
    .description('combine the folders of an experiment\'s shards (gradlab experiment --shard) into one results.json and report')
    .requiredOption('--out <dir>', 'the merged folder (created if missing)')
    .option('--force', 'write into a folder holding other results')
    .addHelpText('after', '\nExit codes: 0 every run merged; 1 some runs are missing (named on stderr; the merged folder holds the rest, and\n`gradlab experiment ... --out <merged> --resume` trains the missing ones); 2 bad input or folders of different setups.')
    .action((folders: string[], opts: { out: string; force?: boolean }) => {
      const plan = planMerge(folders);
      const out = resolve(opts.out);
      writeMerge(out, plan, opts.force ?? false);
      const m = plan.manifest;
      const results = assembleResults(out, m, mergedEnv(folders, m, unshardedCommand(m.command)));
      const report = writeResults(out, results);
      process.stderr.write(`merged ${plan.manifest.runs.length - plan.missing.length} of ${plan.manifest.runs.length} runs from ${folders.length} folder(s); wrote ${shownPath(join(out, 'results.json'))} and ${shownPath(report)}\n`);
      if (plan.missing.length > 0) {
        const names = plan.missing.map((r) => `${r.index} (${printable(r.variant)} seed ${r.seed})`);
        process.stderr.write(`gradlab: merge: ${plan.missing.length} run(s) missing: ${names.join(', ')}; run their shards, or resume the merged folder with gradlab experiment ... --out ${shownPath(out)} --resume\n`);
        outcome.exitCode = 1;
      }
    });
}
