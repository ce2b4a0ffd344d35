import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomicWrite.ts';
import type { ResultBaseline } from '../records/results.ts';
import type { ResolvedExperiment } from './config.ts';
import { ExperimentError } from './resolve.ts';
import { isFinished, readJournal, RUNS_FOLDER, type RunIdentity } from './runFiles.ts';

/**
 * The output folder of an experiment: the user's choice (any path), holding only what gradlab
 * writes there — manifest.json (what is being run), runs/ (each run's streamed log and
 * checkpoint), results.json and index.html (assembled from runs/), plotly.min.js.
 */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_SCHEMA = 'gradlab.manifest/1';
const OUR_FILES = [MANIFEST_FILE, 'results.json', 'index.html', 'plotly.min.js'];

/** What decides the numbers of a run besides its configuration: resuming on other numerics
 * would splice two different computations into one result. */
export interface Numerics {
  backend: string;
  /** Which float32 kernels ran ('wasm relaxed-simd', 'wasm simd', the JavaScript ones, ...). */
  kernels: string;
}

/** Shard `index` of `count`: the runs whose index (results order) mod count is index. */
export interface Shard {
  index: number;
  count: number;
}

export interface Manifest {
  schema: typeof MANIFEST_SCHEMA;
  experiment: string;
  gradlab: string;
  numerics: Numerics;
  /** sha256 of the resolved configuration's JSON. */
  configHash: string;
  config: ResolvedExperiment;
  baselines: ResultBaseline[];
  /** The runs this folder trains, in results order (a shard's subset of them); their files are
   * runs/run-<index>.*. */
  runs: RunIdentity[];
  /** Set when the folder holds one shard of the runs (see `gradlab merge`). */
  shard: Shard | null;
  /** The first attempt's start and command line (what reproduces the results). */
  startedAt: string;
  command: string;
  /** Wall time of the attempts before this one. */
  priorDurationMs: number;
}

export function configHash(config: ResolvedExperiment): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

/** Every run of an experiment, or those of one shard, in results order. */
export function plannedRuns(exp: ResolvedExperiment, shard: Shard | null = null): RunIdentity[] {
  const all = exp.variants.flatMap((v) => exp.seeds.map((seed) => ({ variant: v.name, seed }))).map((r, index) => ({ index, ...r }));
  return shard ? all.filter((r) => r.index % shard.count === shard.index) : all;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? 'nothing';
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The first place two JSON values differ, as `path: was A, now B`, or null when they are equal. */
export function firstDifference(was: unknown, now: unknown, path: string): string | null {
  if (typeof was !== typeof now || Array.isArray(was) !== Array.isArray(now) || (was === null) !== (now === null)) {
    return `${path}: was ${show(was)}, now ${show(now)}`;
  }
  if (Array.isArray(was) && Array.isArray(now)) {
    if (was.length !== now.length) return `${path}: had ${was.length} entries, now ${now.length}`;
    for (let i = 0; i < was.length; i++) {
      const d = firstDifference(was[i], now[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (was && now && typeof was === 'object' && typeof now === 'object') {
    const a = was as Record<string, unknown>;
    const b = now as Record<string, unknown>;
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(was, now) ? null : `${path}: was ${show(was)}, now ${show(now)}`;
}

/** The first difference between two folders' setups, all that fixes a run's numbers: gradlab's
 * version, the numerics and the configuration; null when they ran the same thing. */
export function setupDifference(was: Manifest, now: Manifest): string | null {
  return firstDifference(was.gradlab, now.gradlab, 'gradlab version')
    ?? firstDifference(was.numerics, now.numerics, 'numerics')
    ?? (was.configHash === now.configHash ? null : firstDifference(was.config, now.config, 'config') ?? 'config: the configuration hash differs');
}

export function readManifest(dir: string): Manifest | null {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) return null;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    return m?.schema === MANIFEST_SCHEMA ? m : null;
  } catch {
    return null;
  }
}

/** The manifest of a folder gradlab wrote, or an error saying what the folder is instead. */
export function loadManifest(dir: string, what: string): Manifest {
  const m = readManifest(dir);
  if (!m) throw new ExperimentError(`${what}: ${dir} holds no gradlab run (no readable ${MANIFEST_FILE})`);
  return m;
}

/** Runs of a manifest that have not finished (ok or diverged) yet. */
export function unfinishedRuns(dir: string, m: Manifest): RunIdentity[] {
  return m.runs.filter((r) => !isFinished(readJournal(dir, r.index).end));
}

/** Results of a gradlab version before manifests: a results.json naming the experiment. */
function legacyExperiment(dir: string): string | null {
  try {
    const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { schema?: unknown; experiment?: unknown };
    return typeof r.experiment === 'string' && typeof r.schema === 'string' && r.schema.startsWith('gradlab.results/') ? r.experiment : null;
  } catch {
    return null;
  }
}

export interface FolderChoice {
  resume: boolean;
  force: boolean;
}

/**
 * Decide whether `planned` may be written to `dir`, before anything runs; throws ExperimentError
 * (one line: what the folder holds and the option that goes past it) when not. Returns the
 * manifest to run under: the existing one when resuming (its start time and command kept).
 *
 * - a new or empty folder: fine;
 * - resuming: the folder must hold a run of the same configuration, gradlab version and numerics;
 * - the same experiment, every run finished: replaced (rerunning an experiment is the common case);
 * - the same experiment with unfinished runs, another experiment, or files gradlab did not
 *   write: refused unless --force (--resume for the unfinished case).
 */
export function checkOutputFolder(dir: string, planned: Manifest, choice: FolderChoice): Manifest {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ExperimentError(`--out: ${dir} is a file; name a folder (it is created if missing)`);
  const entries = existsSync(dir) ? readdirSync(dir) : [];
  const existing = readManifest(dir);
  if (choice.resume) {
    if (!existing) throw new ExperimentError(`--resume: ${dir} holds no gradlab run to resume (no ${MANIFEST_FILE}); run without --resume`);
    const diff = setupDifference(existing, planned) ?? firstDifference(existing.shard ?? null, planned.shard, 'shard');
    if (diff) throw new ExperimentError(`--resume: ${dir} was started with another setup (${diff}); pass the same definition and options, or start over with --force instead of --resume`);
    return { ...existing, numerics: planned.numerics };
  }
  if (entries.length === 0 || choice.force) return planned;
  if (existing) {
    if (existing.experiment !== planned.experiment) {
      throw new ExperimentError(`--out: ${dir} holds results of experiment "${existing.experiment}"; choose another folder, or --force to replace them`);
    }
    const left = unfinishedRuns(dir, existing).length;
    if (left > 0) {
      throw new ExperimentError(`--out: ${dir} holds an unfinished run of "${existing.experiment}" (${existing.runs.length - left} of ${existing.runs.length} runs finished); add --resume to continue it, or --force to start over`);
    }
    return planned;
  }
  const legacy = legacyExperiment(dir);
  if (legacy === planned.experiment) return planned;
  if (legacy !== null) throw new ExperimentError(`--out: ${dir} holds results of experiment "${legacy}"; choose another folder, or --force to replace them`);
  throw new ExperimentError(`--out: ${dir} is not empty and holds no gradlab results; choose a new or empty folder, or --force to write into it`);
}

/** Create the folder and start the run: gradlab's own files from an earlier run are removed
 * (never anything else), then the manifest is written. Resuming keeps everything. */
export function startOutputFolder(dir: string, m: Manifest, resume: boolean): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ExperimentError(`--out: cannot create ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose another folder`);
  }
  removeStaleTemporaries(dir);
  // Only a folder gradlab ran in (it has a manifest) has a runs/ of ours to clear.
  if (!resume && readManifest(dir)) {
    rmSync(join(dir, RUNS_FOLDER), { recursive: true, force: true });
    for (const f of OUR_FILES) if (f !== 'plotly.min.js') rmSync(join(dir, f), { force: true });
  }
  writeManifest(dir, m);
}

/** A kill between writing a temporary file and renaming it leaves `.<pid>.<thread>-<n>.tmp` behind
 * (see writeFileAtomic); the file it was replacing is intact, so the temporary goes. */
function removeStaleTemporaries(dir: string): void {
  for (const folder of [dir, join(dir, RUNS_FOLDER)]) {
    if (!existsSync(folder)) continue;
    for (const f of readdirSync(folder)) if (/^\.\d+\.\d+-\d+\.tmp$/.test(f)) rmSync(join(folder, f), { force: true });
  }
}

export function writeManifest(dir: string, m: Manifest): void {
  writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`);
}
