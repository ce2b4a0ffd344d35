/**
 * `npm run test:seeds`: runs the property-test files under fresh fast-check seeds, one
 * `vitest run` per seed, and records what failed under which seed.
 *
 * Why: the property suites must not be flaky, i.e. pass for any seed, not just one. CI fixes
 * FC_SEED (20261127, see .ci/run) so that whether a commit lands does not depend on the draw;
 * the price is that CI can never find a seed-dependent failure. This script is the other half:
 * not part of CI, run by hand, it draws N distinct seeds (never CI's), runs the files once per
 * seed with FC_SEED set (test/helpers/fcGlobal.ts makes it every property's seed) and keeps a
 * record of the seeds tried and the results.
 *
 *   npm run test:seeds                             30 drawn seeds, every property-test file
 *   npm run test:seeds -- --runs 5 --files 'test/ops/**'
 *   npm run test:seeds -- --seeds 123,-456          these seeds instead of drawn ones
 *   npm run test:seeds -- --timeout 600             give up on a seed's run after 600 s (default 1200)
 *
 * A seed can make a property hang (a generated case that never ends, or one slow case that
 * fast-check then shrinks through many slow cases): after --timeout seconds its vitest is killed
 * and the seed is recorded as an error naming the files that had not finished, and the next
 * seed runs.
 *
 * Property-test files: every test/**\/*.test.ts that imports 'fast-check', itself or through a
 * module of test/ it imports (test/durable/killResume.ts, test/ops/helpers.ts, ...).
 *
 * The record (--out, default reports/fresh-seeds.json) is rewritten atomically after every seed,
 * so an interrupted run (Ctrl-C: the running vitest is killed) keeps every seed that finished.
 *
 * Replay a failure (the summary prints this line for each): FC_SEED=<seed> npx vitest run <file> -t "<test's full name>"
 * (-t takes a regular expression: escape any of ()[]?*+. in the name. The record also keeps
 * fast-check's `{ seed, path }` line: adding FC_PATH=<path> jumps straight to the shrunk
 * counterexample in the properties that take test/helpers/fc.ts's fcParams.)
 *
 * Exit code: 0 every test passed under every seed; 1 some test failed, a vitest run failed
 * without a failed test (no report, an unhandled error), or the run was interrupted; 2 bad options.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import {
  closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Command, CommanderError } from 'commander';
import { writeFileAtomic } from '../src/io/atomicWrite.ts';

const PREFIX = 'gradlab test:seeds';
const CI_SEED = 20261127;
/** The test name recorded for a file that failed outside its tests (import error, failing hook). */
const WHOLE_FILE = '(the file itself: load or hook failure)';

class UsageError extends Error {}

interface Options { runs: number; seeds: number[] | null; files: string[]; out: string; timeoutSeconds: number }

interface Failure { file: string; test: string; message: string; seedPath: string | null; counterexample: string | null }

interface SeedResult {
  seed: number;
  durationSeconds: number;
  passed: number;
  failed: number;
  skipped: number;
  failures: Failure[];
  /** Set when vitest wrote no report, or failed with no failed test (an unhandled error): its output's tail. */
  error?: string;
}

/** The part of vitest's json reporter output read here. */
interface VitestReport {
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: { fullName: string; status: string; failureMessages?: string[] | null }[];
  }[];
}

// ---------------------------------------------------------------------------------------------
// Options

function parseOptions(argv: string[]): Options {
  const program = new Command('npm run test:seeds --')
    .description('run the property-test files under fresh fast-check seeds')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${PREFIX}: ${text.replace(/^error: /, '').trim()}\n`) })
    .option('--runs <n>', 'how many seeds to draw', '30')
    .option('--seeds <list>', 'comma-separated seeds to run instead of drawn ones')
    .option('--files <glob-or-path>', 'a test file or glob (repeatable; default: every property-test file)',
      (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--out <file>', 'where to write the record', 'reports/fresh-seeds.json')
    .option('--timeout <seconds>', 'kill a seed\'s vitest run after this long and record it as an error', '1200')
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ runs: string; seeds?: string; files: string[]; out: string; timeout: string }>();

  if (!/^\d+$/.test(o.runs) || Number(o.runs) < 1) throw new UsageError(`--runs must be an integer >= 1, got "${o.runs}"`);
  let seeds: number[] | null = null;
  if (o.seeds !== undefined) {
    if (program.getOptionValueSource('runs') === 'cli') throw new UsageError('give --runs or --seeds, not both');
    const list = o.seeds.split(',').map((s) => {
      const n = Number(s.trim());
      if (!/^-?\d+$/.test(s.trim()) || n < -(2 ** 31) || n > 2 ** 31 - 1) {
        throw new UsageError(`--seeds must be comma-separated 32-bit integers, got "${s}"`);
      }
      return n;
    });
    const dup = list.find((s, i) => list.indexOf(s) !== i);
    if (dup !== undefined) throw new UsageError(`--seeds lists ${dup} twice`);
    seeds = list;
  }
  if (!/^\d+$/.test(o.timeout) || Number(o.timeout) < 1) throw new UsageError(`--timeout must be a whole number of seconds >= 1, got "${o.timeout}"`);
  if (o.out.trim() === '') throw new UsageError('--out must be a file name, got ""');
  if (existsSync(o.out) && statSync(o.out).isDirectory()) throw new UsageError(`--out must be a file, got the folder "${o.out}"`);
  const files = o.files.length > 0 ? o.files.flatMap(expandFileArg) : propertyTestFiles();
  if (files.length === 0) throw new UsageError('found no property-test file under test/');
  return { runs: seeds?.length ?? Number(o.runs), seeds, files: [...new Set(files)], out: o.out, timeoutSeconds: Number(o.timeout) };
}

/** Every file under dir (relative paths with '/'), node_modules and dot-folders left out. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name).split('\\').join('/');
    if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : walk(p);
    return e.isFile() ? [p] : [];
  });
}

/** A --files value: an existing file, or a glob (*, **, ?) matched against the files below its fixed prefix. */
function expandFileArg(arg: string): string[] {
  const path = relative('.', arg).split('\\').join('/');
  if (!/[*?]/.test(path)) {
    if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`--files: no such file "${arg}"`);
    return [path];
  }
  const fixed = path.slice(0, path.search(/[*?]/));
  const base = fixed.includes('/') ? fixed.slice(0, fixed.lastIndexOf('/')) : '.';
  const pattern = new RegExp('^' + path.split(/(\*\*\/|\*\*|\*|\?)/).map((part) =>
    part === '**/' ? '(?:.*/)?' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]'
      : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('') + '$');
  const found = existsSync(base) ? walk(base).map((f) => relative('.', f).split('\\').join('/')).filter((f) => pattern.test(f)) : [];
  if (found.length === 0) throw new UsageError(`--files: "${arg}" matches no file`);
  return found.sort();
}

/** test/**\/*.test.ts files that import fast-check, directly or through relative imports of theirs. */
function propertyTestFiles(): string[] {
  const inTest = (file: string): boolean => file.startsWith(resolve('test') + sep);
  const memo = new Map<string, boolean>();
  const usesFastCheck = (file: string): boolean => {
    const known = memo.get(file);
    if (known !== undefined) return known;
    memo.set(file, false); // an import cycle counts as "no" on the way round
    const text = existsSync(file) && statSync(file).isFile() ? readFileSync(file, 'utf8') : '';
    const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    const yes = specs.includes('fast-check') || specs.some((s) => {
      const target = resolve(dirname(file), s);
      return s.startsWith('.') && inTest(target) && usesFastCheck(target);
    });
    memo.set(file, yes);
    return yes;
  };
  return walk('test').filter((f) => f.endsWith('.test.ts') && usesFastCheck(resolve(f))).sort();
}

function drawSeeds(n: number): number[] {
  const seeds = new Set<number>();
  while (seeds.size < n) {
    const s = randomInt(1, 2 ** 31 - 1);
    if (s !== CI_SEED) seeds.add(s);
  }
  return [...seeds];
}

// ---------------------------------------------------------------------------------------------
// One seed

let child: ChildProcess | null = null;
let interrupted = false;

/** Ends vitest and its workers (its own process group): SIGTERM, then SIGKILL if still there after 5 s. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
  setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }, 5000).unref();
}

/** Runs vitest on the files with FC_SEED=seed; resolves to its exit code (null: killed, or it
 * did not start) and whether it was killed for running past timeoutMs. */
function runVitest(
  seed: number, files: string[], out: { reportFile: string; logFile: string; progressFile: string }, timeoutMs: number,
): Promise<{ code: number | null; timedOut: boolean }> {
  const { reportFile, logFile, progressFile } = out;
  const env: NodeJS.ProcessEnv = { ...process.env, FC_SEED: String(seed), GRADLAB_PROGRESS_FILE: progressFile };
  delete env.FC_PATH; // a path belongs to the seed it was printed with
  const log = openSync(logFile, 'w');
  return new Promise((done) => {
    // Its own process group (detached), so Ctrl-C reaches only us and we end vitest and its workers together.
    // The json report is what is read; the default reporter's text goes to the log, for errors outside tests.
    const started = spawn('npx', ['--no', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${reportFile}`, ...files],
      { env, detached: true, stdio: ['ignore', log, log] });
    child = started;
    closeSync(log); // the child has its own copy
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; killGroup(started.pid); }, timeoutMs);
    started.on('error', () => { clearTimeout(timer); done({ code: null, timedOut }); });
    started.on('close', (code) => { clearTimeout(timer); child = null; done({ code, timedOut }); });
  });
}

/** The tests that had started and not ended, from test/helpers/progressLog.ts's log. */
function testsRunning(progressFile: string): string[] {
  const lines = existsSync(progressFile) ? readFileSync(progressFile, 'utf8').split('\n').filter((l) => l !== '') : [];
  const running = new Set<string>();
  for (const line of lines) {
    const [kind, file, name] = line.split('\t');
    const key = `${file} > ${name}`;
    if (kind === 'start') running.add(key);
    else running.delete(key);
  }
  return [...running];
}

async function runSeed(seed: number, files: string[], tmp: string, timeoutSeconds: number): Promise<SeedResult> {
  const reportFile = join(tmp, `${seed}.json`);
  const logFile = join(tmp, `${seed}.log`);
  const start = Date.now();
  const progressFile = join(tmp, `${seed}.progress`);
  const { code: exitCode, timedOut } = await runVitest(seed, files, { reportFile, logFile, progressFile }, timeoutSeconds * 1000);
  const durationSeconds = Math.round((Date.now() - start) / 100) / 10;
  const result: SeedResult = { seed, durationSeconds, passed: 0, failed: 0, skipped: 0, failures: [] };
  const outputTail = (): string => {
    const lines = existsSync(logFile) ? stripAnsi(readFileSync(logFile, 'utf8')).trim().split('\n') : [];
    const unhandled = lines.findIndex((l) => /Unhandled (Error|Rejection)/.test(l));
    return (unhandled >= 0 ? lines.slice(unhandled, unhandled + 20) : lines.slice(-20)).join('\n');
  };
  if (timedOut) {
    const running = testsRunning(progressFile);
    return { ...result, error: `timed out after ${timeoutSeconds} s (a hang, or a slow case being shrunk); running then: ${running.join('; ') || '(no test had started)'}` };
  }
  let report: VitestReport;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as VitestReport;
    if (!Array.isArray(report.testResults)) throw new Error('no testResults');
  } catch {
    return { ...result, error: `vitest (exit code ${exitCode}) wrote no report; its output:\n${outputTail()}` };
  }
  for (const file of report.testResults) {
    const rel = relative('.', file.name).split('\\').join('/');
    for (const t of file.assertionResults) {
      if (t.status === 'passed') result.passed++;
      else if (t.status === 'failed') {
        result.failed++;
        result.failures.push({ file: rel, test: t.fullName, ...describeFailure((t.failureMessages ?? []).join('\n')) });
      } else result.skipped++;
    }
    // A file that failed outside any test (import error, failing hook) has no failed assertion to show it.
    if (file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed')) {
      result.failed++;
      result.failures.push({ file: rel, test: WHOLE_FILE, ...describeFailure(file.message ?? '') });
    }
  }
  if (exitCode !== 0 && result.failed === 0) {
    result.error = `vitest exited with code ${exitCode} but no test failed; its output:\n${outputTail()}`;
  }
  return result;
}

function stripAnsi(s: string): string {
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}

/** The failure message's first line, and fast-check's seed/path and counterexample lines. */
function describeFailure(text: string): Pick<Failure, 'message' | 'seedPath' | 'counterexample'> {
  const lines = stripAnsi(text).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const find = (re: RegExp): string | null => {
    const line = lines.find((l) => re.test(l));
    return line === undefined ? null : line.length > 500 ? `${line.slice(0, 500)}…` : line;
  };
  return {
    message: lines[0] ?? '(no message)',
    seedPath: find(/\bseed:\s*-?\d+/),
    counterexample: find(/^Counterexample:/),
  };
}

// ---------------------------------------------------------------------------------------------
// The run

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function gitCommit(): string | null {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout.trim() : null;
}

function writeAtomically(file: string, data: unknown): void {
  writeFileAtomic(resolve(file), JSON.stringify(data, null, 2) + '\n');
}

async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed its one line (or the help)
    if (e instanceof UsageError) {
      process.stderr.write(`${PREFIX}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const seeds = options.seeds ?? drawSeeds(options.runs);
  const record = {
    commit: gitCommit(),
    node: process.version,
    date: new Date().toISOString(),
    ciSeed: CI_SEED,
    timeoutSeconds: options.timeoutSeconds,
    files: options.files,
    seeds,
    interrupted: false,
    results: [] as SeedResult[],
  };
  console.log(`${options.files.length} file(s), ${seeds.length} seed(s): ${seeds.join(' ')}`);
  console.log(`record: ${options.out}`);
  writeAtomically(options.out, record);

  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    console.log('\ninterrupted: stopping vitest; the seeds that finished stay in the record');
    killGroup(child?.pid);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  const tmp = mkdtempSync(join(tmpdir(), 'gradlab-seeds-'));
  try {
    for (const [i, seed] of seeds.entries()) {
      if (interrupted) break;
      const result = await runSeed(seed, options.files, tmp, options.timeoutSeconds);
      if (interrupted) break; // a killed run's partial results are not a result
      record.results.push(result);
      writeAtomically(options.out, record);
      console.log(`seed ${seed} (${i + 1}/${seeds.length}): ${result.passed} passed, ${result.failed} failed, ${Math.round(result.durationSeconds)} s`
        + (result.error ? ` (${result.error.split(';')[0]})` : ''));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  record.interrupted = interrupted;
  writeAtomically(options.out, record);

  const failing = record.results.flatMap((r) => r.failures.map((f) => ({ seed: r.seed, ...f })));
  const broken = record.results.filter((r) => r.error !== undefined);
  console.log(`\n${record.results.length}/${seeds.length} seed(s) run${interrupted ? ' (interrupted)' : ''}; `
    + `${failing.length} failure(s)${broken.length ? `, ${broken.length} run(s) with an error outside the tests` : ''}; record: ${options.out}`);
  for (const f of failing) {
    console.log(`  seed ${f.seed}  ${f.file}  ${f.test}\n    ${f.message}${f.seedPath ? `\n    ${f.seedPath}` : ''}`);
    const only = f.test === WHOLE_FILE ? '' : ` -t ${shellQuote(f.test.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))}`;
    console.log(`    replay: FC_SEED=${f.seed} npx vitest run ${f.file}${only}`);
  }
  for (const r of broken) console.log(`  seed ${r.seed}: ${r.error}`);
  return failing.length > 0 || broken.length > 0 || interrupted ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
