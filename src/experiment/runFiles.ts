import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomicWrite.ts';
import type { TrainCheckpoint } from '../train/checkpoint.ts';
import type { LogEntry, RunResult } from './results.ts';

/**
 * A run's files in the output folder, named by the run's index in results order and never by
 * a variant or experiment name (so no name, however hostile, can make a path leave the folder):
 *
 *   runs/run-0003.jsonl            one JSON object a line: a "start" line, a "log" line per
 *                                  logged step (appended and flushed as it happens), an "end"
 *                                  line with the run's outcome when it finishes
 *   runs/run-0003.checkpoint.json  the latest checkpoint while the run is unfinished
 */
export const RUNS_FOLDER = 'runs';

export interface RunIdentity {
  index: number;
  variant: string;
  seed: number;
}

/** The end line: the run's result without its log (the log is the "log" lines). */
export type RunEnd = Omit<RunResult, 'log'>;

type Line =
  | ({ kind: 'start' } & RunIdentity)
  | ({ kind: 'log' } & LogEntry)
  | ({ kind: 'end' } & RunEnd);

function base(dir: string, index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`run index must be an integer >= 0, got ${index}`);
  return join(dir, RUNS_FOLDER, `run-${String(index).padStart(4, '0')}`);
}

export const journalPath = (dir: string, index: number): string => `${base(dir, index)}.jsonl`;
export const checkpointPath = (dir: string, index: number): string => `${base(dir, index)}.checkpoint.json`;

/** JSON on one line; NaN/Infinity as null (results already hold null there, this is a guard). */
function line(value: Line): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`;
}

/** Appends a run's lines. Each append is one write of a whole line, so a kill can tear at most
 * the last line, which readers ignore. */
export class RunJournal {
  private constructor(private readonly path: string) {}

  /** Start the run's file anew, or (resuming) rewrite it atomically with the log lines its
   * checkpoint covers, dropping lines logged after it, which the resumed run logs again. */
  static open(dir: string, id: RunIdentity, keep: readonly LogEntry[] = []): RunJournal {
    const path = journalPath(dir, id.index);
    const lines = [line({ kind: 'start', ...id }), ...keep.map((e) => line({ kind: 'log', ...e }))];
    writeFileAtomic(path, lines.join(''));
    return new RunJournal(path);
  }

  log(entry: LogEntry): void {
    appendFileSync(this.path, line({ kind: 'log', ...entry }));
  }

  /** The run's outcome; its log is already here, line by line. */
  end(result: RunResult): void {
    const { log: _log, ...end } = result;
    appendFileSync(this.path, line({ kind: 'end', ...end }));
  }
}

export function writeCheckpoint(dir: string, index: number, c: TrainCheckpoint): void {
  writeFileAtomic(checkpointPath(dir, index), JSON.stringify(c));
}

export function removeCheckpoint(dir: string, index: number): void {
  rmSync(checkpointPath(dir, index), { force: true });
}

/** What is on disk for one run. */
export interface RunRecord {
  identity: RunIdentity | null;
  log: LogEntry[];
  end: RunEnd | null;
  checkpoint: TrainCheckpoint | null;
}

/** Whether the files on disk are those of this run (the same variant and seed at this index):
 * a folder may have been written by another configuration. */
export function sameRun(rec: Pick<RunRecord, 'identity'>, id: RunIdentity): boolean {
  return rec.identity?.variant === id.variant && rec.identity.seed === id.seed;
}

/** A run whose outcome is a result (ok or diverged); a failed or unfinished one is run again. */
export function isFinished(end: RunEnd | null): boolean {
  return end?.status === 'ok' || end?.status === 'diverged';
}

function parseLine(text: string): Line | null {
  try {
    const v = JSON.parse(text) as Line;
    return v && typeof v === 'object' && (v.kind === 'start' || v.kind === 'log' || v.kind === 'end') ? v : null;
  } catch {
    return null;
  }
}

/**
 * Read a run's journal. A torn or unreadable line ends it there (a kill can only tear the last
 * line; anything after a bad line is not trusted).
 */
export function readJournal(dir: string, index: number): Omit<RunRecord, 'checkpoint'> {
  const record: Omit<RunRecord, 'checkpoint'> = { identity: null, log: [], end: null };
  const path = journalPath(dir, index);
  if (existsSync(path)) {
    for (const text of readFileSync(path, 'utf8').split('\n')) {
      if (text === '') continue;
      const l = parseLine(text);
      if (!l) break;
      const { kind, ...rest } = l;
      if (kind === 'start') record.identity = rest as RunIdentity;
      else if (kind === 'log') record.log.push(rest as LogEntry);
      else record.end = rest as RunEnd;
    }
  }
  return record;
}

/** A run's journal and its checkpoint; an unreadable checkpoint counts as none (the run then
 * starts over). Only resuming and reporting need the checkpoint: the rest read the journal. */
export function readRun(dir: string, index: number): RunRecord {
  const cp = checkpointPath(dir, index);
  let checkpoint: TrainCheckpoint | null = null;
  if (existsSync(cp)) {
    try {
      checkpoint = JSON.parse(readFileSync(cp, 'utf8')) as TrainCheckpoint;
    } catch {
      checkpoint = null;
    }
  }
  return { ...readJournal(dir, index), checkpoint };
}
