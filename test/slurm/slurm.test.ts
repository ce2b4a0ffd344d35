// End to end on a real Slurm: a one-node cluster (test/slurm/cluster.sh: slurmctld, slurmd and a
// munged of its own, as root, from Debian's slurm-wlm and munge) runs the sweep of `vanishing --quick`
// as a 4-task job array, one `--shard auto` per task, and `gradlab merge` of the four folders must
// equal the unsharded run. When Slurm cannot start (not installed, not root, a daemon that dies) the
// test fails with the script's reason and the apt-get line; it never skips.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradlab, REPO } from '../helpers/cli.ts';
import { comparable, tempDir } from '../helpers/durable.ts';

const SCRIPT = join(REPO, 'test/slurm/cluster.sh');
const BIN = join(REPO, 'bin/gradlab.js');
const TASKS = 4;

/** One word for sh, whatever it holds. */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function cluster(command: 'start' | 'stop' | 'status') {
  const r = spawnSync('bash', [SCRIPT, command], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}` };
}

let slurmEnv: NodeJS.ProcessEnv = {};
// A cluster someone started by hand (`test/slurm/cluster.sh start`) is used and left running.
let startedHere = false;
// Why the cluster did not start: thrown by the test itself, so that it counts as failed (a throw in
// beforeAll would leave it counted as skipped).
let notStarted: string | null = null;

beforeAll(() => {
  const before = cluster('status');
  const r = cluster('start');
  startedHere = before.status !== 0;
  if (r.status !== 0) {
    notStarted = `the one-node Slurm cluster did not start (test/slurm/cluster.sh start exited ${r.status}):\n${r.stderr.trim()}`;
    return;
  }
  const conf = /^export SLURM_CONF=(\S+)$/m.exec(r.stdout)?.[1];
  if (!conf || !existsSync(conf)) {
    notStarted = `test/slurm/cluster.sh start printed no usable SLURM_CONF:\n${r.stdout}${r.stderr}`;
    return;
  }
  slurmEnv = { ...process.env, SLURM_CONF: conf, PATH: process.env.PATH ?? '/usr/bin:/bin', FORCE_COLOR: '0' };
}, 120_000);

afterAll(() => {
  if (!startedHere) return;
  const r = cluster('stop');
  if (r.status !== 0) throw new Error(`test/slurm/cluster.sh stop exited ${r.status}:\n${r.stderr.trim()}`);
}, 120_000);

describe('a Slurm job array runs the sweep, one shard per task', () => {
  it('sbatch --array=0-3 of `--shard auto`, merged, equals the unsharded run', async () => {
    if (notStarted !== null) throw new Error(notStarted);
    const t0 = performance.now();
    const tmp = tempDir('gradlab-slurm-');
    const logs = join(tmp, 'logs');
    const shards = Array.from({ length: TASKS }, (_, k) => join(tmp, `shard-${k}`));

    // Each task records its own exit code too: without an accounting database, Slurm forgets a
    // finished job's exit code after MinJobAge (5 s in the test cluster), so sbatch --wait's status
    // alone could miss a failed task.
    const task = [
      `mkdir -p ${sq(logs)}`,
      `${sq(process.execPath)} ${sq(BIN)} experiment vanishing --quick --shard auto --workers 1 --out ${sq(tmp)}/shard-"$SLURM_ARRAY_TASK_ID"`,
      'code=$?',
      `echo "$code $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" > ${sq(logs)}/exit-"$SLURM_ARRAY_TASK_ID"`,
      'exit "$code"',
    ].join('\n');
    const job = spawn('sbatch', [
      `--array=0-${TASKS - 1}`, '--wait', '--job-name=gradlab-e2e', `--chdir=${REPO}`,
      '--cpus-per-task=1', '--time=5', `--output=${tmp}/task-%a.log`, `--wrap=${task}`,
    ], { env: slurmEnv, timeout: 240_000 });
    const out = { stdout: '', stderr: '' };
    job.stdout.on('data', (d: Buffer) => { out.stdout += d.toString(); });
    job.stderr.on('data', (d: Buffer) => { out.stderr += d.toString(); });
    const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      job.on('error', (error) => resolve({ status: null, signal: null, error }));
      job.on('close', (status, signal) => resolve({ status, signal }));
    });

    // The unsharded reference, while Slurm schedules the array (its first allocation comes ~3 s
    // after slurmctld starts) and sbatch --wait sleeps between its 2-s polls.
    const single = join(tmp, 'single');
    const s = gradlab(['experiment', 'vanishing', '--quick', '--workers', '1', '--out', single]);
    expect(s.status, `the unsharded run: ${s.stderr}`).toBe(0);
    const tSingle = performance.now();

    const ended = await done;
    const sbatch = { ...ended, ...out };
    const tSlurm = performance.now();

    const taskLogs = (): string => Array.from({ length: TASKS }, (_, k) => {
      const f = join(tmp, `task-${k}.log`);
      const text = existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').slice(-20).join('\n') : '(no log)';
      return `--- array task ${k} (${f}):\n${text}`;
    }).join('\n');
    const exits = Array.from({ length: TASKS }, (_, k) => {
      const f = join(logs, `exit-${k}`);
      return existsSync(f) ? readFileSync(f, 'utf8').trim() : 'missing (the task never ran to its end)';
    });
    const failure = `sbatch exited ${sbatch.status}${sbatch.signal ? ` (${sbatch.signal})` : ''}${sbatch.error ? ` (${sbatch.error.message})` : ''}; `
      + `stdout: ${sbatch.stdout?.trim()}; stderr: ${sbatch.stderr?.trim()}\n`
      + `task exit codes: ${exits.map((e, k) => `${k}: ${e}`).join(', ')}\n${taskLogs()}`;
    expect(sbatch.status, failure).toBe(0);
    // "0 k/4": exit 0, and the task saw its index and the array's size.
    expect(exits, failure).toEqual(Array.from({ length: TASKS }, (_, k) => `0 ${k}/${TASKS}`));

    // Each folder holds its own shard: --shard auto read k from the array task, n from its count.
    const seen = new Set<string>();
    for (const [k, dir] of shards.entries()) {
      const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { shard?: unknown; runs: { variant: string; seed: number }[] };
      expect(r.shard, `${dir}/results.json`).toEqual({ index: k, count: TASKS });
      expect(r.runs.length, `${dir}: runs`).toBe(2);
      for (const run of r.runs) seen.add(`${run.variant} seed ${run.seed}`);
    }
    expect(seen.size).toBe(8);

    const merged = join(tmp, 'merged');
    const m = gradlab(['merge', ...shards, '--out', merged]);
    expect(m.status, `gradlab merge: ${m.stderr}`).toBe(0);
    expect(readdirSync(merged)).toEqual(expect.arrayContaining(['results.json', 'index.html']));
    const tMerge = performance.now();

    expect(comparable(merged)).toBe(comparable(single));
    const s1 = (a: number, b: number): string => `${((b - a) / 1000).toFixed(1)} s`;
    rmSync(tmp, { recursive: true, force: true }); // kept when the test fails, for its logs
    console.log(`slurm e2e: sbatch --array=0-${TASKS - 1} --wait ${s1(t0, tSlurm)} (the unsharded run, alongside: ${s1(t0, tSingle)}), merge ${s1(tSlurm, tMerge)}`);
  }, 300_000);
});
