import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { toJson, writeFileAtomic } from '../io/atomicWrite.ts';
import { readManifest, startOutputFolder } from '../experiment/outputFolder.ts';
import { listExperimentNames, loadExperiment } from '../experiment/registry.ts';
import { resultsFileSchema } from '../experiment/resultsSchema.ts';
import { ExperimentError } from '../experiment/resolve.ts';
import { listSuiteNames, loadSuite } from '../experiment/suites.ts';
import { z } from 'zod';
import { zodLine } from '../io/zodLine.ts';
import type { Results } from '../records/results.ts';
import { renderSuitePage, suiteSummary, SUITE_SCHEMA, type SuiteInfo, type SuiteMemberResult } from '../report/suitePage.ts';
import { backendFromOption } from './backendOption.ts';
import {
  defaultCheckpointEvery, dryRunText, planExperiment, resumeCommand, runAndWrite,
  type CommonChoice, type ExperimentCliOptions, type ExperimentPlan,
} from './experiment.ts';
import { shownPath } from './shownPath.ts';
import { UsageError } from './usageError.ts';

/**
 * `gradlab experiment <suite>`: every experiment of a suite, one after another, each into
 * <out>/<experiment>/ (default out: reports/<suite>), then <out>/index.html and <out>/suite.json,
 * the table of every experiment's claims with their verdicts. Every member is validated and its
 * folder checked before the first step; --resume continues each where it stopped.
 */

/** The suite's own record next to its page. */
export const SUITE_FILE = 'suite.json';

/** A name the command line runs as a suite: a shipped suite that is not also an experiment. */
export function isSuite(name: string): boolean {
  return listSuiteNames().includes(name) && !listExperimentNames().includes(name);
}

/** Options that choose within one experiment; a suite runs each member as defined. */
function refuseOneExperimentOptions(name: string, opts: ExperimentCliOptions): void {
  const given: [string, boolean][] = [
    ['--set', opts.set.length > 0], ['--variant', opts.variant.length > 0], ['--shard', opts.shard !== undefined],
    ['--shards', opts.shards !== undefined], ['--save-weights', opts.saveWeights !== undefined],
  ];
  const bad = given.find(([, on]) => on);
  if (bad) throw new UsageError(`${bad[0]} applies to one experiment, not to the suite "${name}"; run one of its experiments by name to use it`);
}

/** The suite's folder must be new, empty, or a suite's folder (it holds suite.json). */
function checkSuiteFolder(root: string, choice: CommonChoice): void {
  if (!existsSync(root)) {
    if (choice.resume) throw new UsageError(`--resume: ${root} does not exist; run without --resume`);
    return;
  }
  if (!statSync(root).isDirectory()) throw new UsageError(`--out: ${root} is a file; name a folder (it is created if missing)`);
  const ours = existsSync(join(root, SUITE_FILE));
  if (choice.resume && !ours) throw new UsageError(`--resume: ${root} holds no suite run (no ${SUITE_FILE}); run without --resume`);
  if (!ours && !choice.force && readdirSync(root).length > 0) {
    throw new UsageError(`--out: ${root} is not empty and holds no suite run; choose a new or empty folder, or --force to write into it`);
  }
}

function readResults(dir: string): Results | null {
  const file = join(dir, 'results.json');
  if (!existsSync(file)) return null;
  try {
    const r = resultsFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return r.success ? (r.data as unknown as Results) : null;
  } catch {
    return null;
  }
}

/** Write <root>/index.html and <root>/suite.json from whatever each member's folder holds. */
export function writeSuiteSummary(root: string, suite: SuiteInfo, members: readonly { name: string; dir: string; exitCode: number | null }[]): string {
  const results: SuiteMemberResult[] = members.map((m) => ({ name: m.name, exitCode: m.exitCode, folder: basename(m.dir), results: readResults(m.dir) }));
  writeFileAtomic(join(root, SUITE_FILE), `${toJson(suiteSummary(suite, results))}\n`);
  const page = join(root, 'index.html');
  writeFileAtomic(page, renderSuitePage(suite, results));
  return page;
}

/** What `gradlab report` needs of a suite.json to render the summary again. */
const suiteFileSchema = z.looseObject({
  schema: z.literal(SUITE_SCHEMA),
  suite: z.string(),
  description: z.string(),
  experiments: z.array(z.looseObject({
    name: z.string(),
    // A folder name inside the suite's folder, never a path out of it.
    folder: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a folder name inside the suite folder (lowercase letters, digits, dashes)'),
    exitCode: z.number().int().nullable(),
  })),
});

/** `gradlab report <suite folder>`: the summary page again from suite.json and the members'
 * current results.json (e.g. after re-running one member). Returns the page's path. */
export function rerenderSuite(root: string): string {
  const file = join(root, SUITE_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`report: cannot read ${file} as JSON (${(e as Error).message})`);
  }
  const r = suiteFileSchema.safeParse(json);
  if (!r.success) throw new UsageError(`report: ${file} is not a gradlab suite file: ${zodLine('suite', r.error)}`);
  const s = r.data;
  return writeSuiteSummary(root, { name: s.suite, description: s.description }, s.experiments.map((e) => ({ name: e.name, dir: join(root, e.folder), exitCode: e.exitCode })));
}

export async function runSuite(name: string, opts: ExperimentCliOptions, choice: CommonChoice, argv: readonly string[]): Promise<number> {
  refuseOneExperimentOptions(name, opts);
  const suite = await loadSuite(name);
  const root = resolve(opts.out ?? join('reports', suite.name));
  checkSuiteFolder(root, choice);
  const { backend, device } = await backendFromOption(opts.backend);
  // Every member validated, and its folder checked, before the first step of the first.
  const plans: { plan: ExperimentPlan; resume: boolean }[] = [];
  for (const member of suite.experiments) {
    const dir = join(root, member);
    // Resuming a suite continues the members that started and starts the others.
    const resume = choice.resume && readManifest(dir) !== null;
    try {
      const plan = planExperiment(await loadExperiment(member), () => dir, { ...choice, resume }, { backend, device, shard: null, argv });
      plans.push({ plan, resume });
    } catch (e) {
      // Name the member whose setting is wrong; the message stays one line.
      if (e instanceof ExperimentError) throw new ExperimentError(`suite ${name}, experiment ${member}: ${e.message}`);
      if (e instanceof UsageError) throw new UsageError(`suite ${name}, experiment ${member}: ${e.message}`);
      throw e;
    }
  }
  if (opts.dryRun) {
    for (const { plan, resume } of plans) process.stdout.write(`${dryRunText(plan, resume)}\n`);
    process.stdout.write(`suite ${name}: ${plans.length} experiment(s); would write the summary to ${join(root, 'index.html')}\n`);
    return 0;
  }
  const members = plans.map(({ plan }) => ({ name: plan.exp.name, dir: plan.dir, exitCode: null as number | null }));
  let exit = 0;
  for (const [i, { plan, resume }] of plans.entries()) {
    process.stderr.write(`suite ${name}: experiment ${i + 1} of ${plans.length}, ${plan.exp.name}\n`);
    startOutputFolder(plan.dir, plan.manifest, resume);
    const code = await runAndWrite(plan.exp, plan.manifest, plan.dir, {
      backend, device, workers: choice.workers, threads: choice.threads, resume, saveWeights: undefined,
      checkpointEveryLogged: choice.checkpointEvery ?? defaultCheckpointEvery(plan.exp),
      resumeCommand: resumeCommand(argv, root),
    });
    members[i].exitCode = code;
    exit = Math.max(exit, code);
    // A signal stops the suite: the next experiments wait for --resume.
    if (code === 130 || code === 143) break;
  }
  const page = writeSuiteSummary(root, suite, members);
  process.stderr.write(`wrote ${shownPath(page)} and ${shownPath(join(root, SUITE_FILE))}\n`);
  return exit;
}
