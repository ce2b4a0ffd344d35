import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  checkOutputFolder, loadManifest, plannedRuns, setupDifference, startOutputFolder, type Manifest,
} from './outputFolder.ts';
import { ExperimentError } from './resolve.ts';
import { weightsPath } from './runWeights.ts';
import { checkpointPath, journalPath, readJournal, RUNS_FOLDER, sameRun, type RunIdentity } from './runFiles.ts';

/** Where one run of the merged experiment comes from. */
interface Source {
  dir: string;
  id: RunIdentity;
  finished: boolean;
  status: string | null;
}

export interface MergePlan {
  manifest: Manifest;
  /** Runs no folder finished, in results order. */
  missing: RunIdentity[];
  sources: Source[];
}

/** A run's outcome as the merge compares copies of it: everything but its duration. */
function comparableEnd(dir: string, index: number): string {
  const rec = readJournal(dir, index);
  const { durationMs: _d, ...end } = rec.end ?? { durationMs: 0 };
  return JSON.stringify({ end, log: rec.log });
}

const name = (id: RunIdentity): string => `${id.variant} seed ${id.seed}`;

/**
 * Plan the merge of shard folders (or any folders gradlab ran the same experiment in): all must
 * hold the same configuration, gradlab version and numerics (else one line naming the first
 * difference and both folders). Each run is taken once, from the first folder that finished it
 * (ok or diverged before failed); two finished copies that differ are refused, since the runs
 * are deterministic and a difference means something else differed. Runs no folder finished are
 * `missing`; an unfinished copy (with its checkpoint) is still carried over, so that `--resume`
 * on the merged folder completes them.
 */
export function planMerge(dirs: readonly string[]): MergePlan {
  if (dirs.length === 0) throw new ExperimentError('merge: give at least one folder to merge');
  const folders = dirs.map((d) => ({ dir: resolve(d), m: loadManifest(resolve(d), 'merge') }));
  const first = folders[0];
  for (const f of folders.slice(1)) {
    const diff = setupDifference(first.m, f.m);
    if (diff) throw new ExperimentError(`merge: ${f.dir} and ${first.dir} ran different setups (${diff}); merge only shards of one experiment`);
  }
  const all = plannedRuns(first.m.config);
  const rank = (status: string | null): number => (status === 'ok' || status === 'diverged' ? 2 : status === 'failed' ? 1 : 0);
  const sources: Source[] = [];
  const missing: RunIdentity[] = [];
  for (const id of all) {
    const copies: Source[] = folders
      .filter((f) => f.m.runs.some((r) => r.index === id.index))
      .map((f) => {
        const rec = readJournal(f.dir, id.index);
        const status = sameRun(rec, id) ? rec.end?.status ?? null : null;
        return { dir: f.dir, id, finished: rank(status) > 0, status };
      });
    const finished = copies.filter((c) => c.finished && rank(c.status) === 2);
    for (const c of finished.slice(1)) {
      if (comparableEnd(c.dir, id.index) !== comparableEnd(finished[0].dir, id.index)) {
        throw new ExperimentError(`merge: run ${id.index} (${name(id)}) differs between ${finished[0].dir} and ${c.dir}; the same run must give the same numbers, so these folders did not run the same thing`);
      }
    }
    const best = [...copies].sort((a, b) => rank(b.status) - rank(a.status))[0];
    if (!best?.finished) missing.push(id);
    if (best) sources.push(best);
  }
  const startedAt = folders.map((f) => f.m.startedAt).sort()[0];
  const manifest: Manifest = {
    ...first.m,
    runs: all,
    shard: null,
    startedAt,
    command: first.m.command,
    priorDurationMs: folders.reduce((s, f) => s + f.m.priorDurationMs, 0),
  };
  return { manifest, missing, sources };
}

/** Write the merged folder: its manifest, each run's files copied from its source, nothing
 * else (results.json and the report are assembled from them by the caller). */
export function writeMerge(out: string, plan: MergePlan, force: boolean): void {
  const target = resolve(out);
  const input = plan.sources.find((s) => s.dir === target);
  if (input) throw new ExperimentError(`merge: --out ${out} is one of the folders being merged; write the merge to a new folder`);
  const manifest = checkOutputFolder(target, plan.manifest, { resume: false, force });
  startOutputFolder(target, manifest, false);
  mkdirSync(join(target, RUNS_FOLDER), { recursive: true });
  for (const s of plan.sources) {
    if (!existsSync(journalPath(s.dir, s.id.index))) continue;
    copyFileSync(journalPath(s.dir, s.id.index), journalPath(target, s.id.index));
    if (!s.finished && existsSync(checkpointPath(s.dir, s.id.index))) copyFileSync(checkpointPath(s.dir, s.id.index), checkpointPath(target, s.id.index));
    // --save-weights files travel with their run.
    for (const which of ['initial', 'final'] as const) {
      const from = weightsPath(s.dir, s.id.index, which);
      if (existsSync(from)) {
        mkdirSync(dirname(weightsPath(target, s.id.index, which)), { recursive: true });
        copyFileSync(from, weightsPath(target, s.id.index, which));
      }
    }
  }
}
