import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRun } from '../../src/experiment/runFiles.ts';
import { gradlab } from '../helpers/cli.ts';
import { runMain } from '../helpers/inProcess.ts';
import { comparable, tempDir, TINY, TINY_RUNS, writeDefinition } from '../helpers/durable.ts';

const oneLine = (stderr: string): string => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
};

/**
 * The binary where a signal or the working folder matters; main() in this process for the rest
 * (the same code without a second of start-up each: the binary's equality with main() is
 * tested by test/experiment/fuzzInput.test.ts).
 */
describe('the final write, and the output folder', () => {
  const def = writeDefinition(TINY);
  const args = (out: string, extra: string[]) => ['experiment', def, '--out', out, '--workers', '1', ...extra];
  const run = (out: string, extra: string[] = [], env: Record<string, string> = {}) => gradlab(args(out, extra), { env });
  const runHere = async (out: string, extra: string[] = []) => {
    const r = await runMain(args(out, extra));
    return { status: r.code, stderr: r.stderr };
  };

  it('SIGKILL during the final write keeps the previous results.json byte for byte and every journal readable; resuming completes it', async () => {
    const out = join(tempDir('gradlab-final-'), 'out');
    expect(run(out, [], { GRADLAB_FAILPOINT: 'SIGTERM@run2.step9' }).status).toBe(143);
    const partial = readFileSync(join(out, 'results.json'), 'utf8');
    const killed = run(out, ['--resume'], { GRADLAB_FAILPOINT: 'SIGKILL@final-write' });
    expect(killed.signal).toBe('SIGKILL');
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe(partial);
    // Every run finished before the kill: each journal reads to its end line.
    for (let i = 0; i < TINY_RUNS; i++) expect(readRun(out, i).end?.status).toBe('ok');
    expect(readdirSync(out).some((f) => f.endsWith('.tmp'))).toBe(true); // the write it interrupted
    expect((await runHere(out, ['--resume'])).status).toBe(0);
    expect(readdirSync(out).some((f) => f.endsWith('.tmp'))).toBe(false);
    const ref = join(tempDir('gradlab-final-'), 'ref');
    expect((await runHere(ref)).status).toBe(0);
    expect(comparable(out)).toBe(comparable(ref));
  });

  it('gradlab report renders a folder left by SIGKILL (no results.json): unfinished runs as interrupted, with what they logged', async () => {
    const out = join(tempDir('gradlab-final-'), 'out');
    expect(run(out, [], { GRADLAB_FAILPOINT: 'SIGKILL@run1.step30' }).signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'results.json'))).toBe(false);
    const r = await runMain(['report', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 of 4 runs unfinished, shown as interrupted/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { runs: { status: string; stepsRun: number; log: { step: number }[] }[] };
    expect(results.runs.map((x) => x.status)).toEqual(['ok', 'interrupted', 'interrupted', 'interrupted']);
    // Logged every 4 steps: steps 0..28 were logged before the kill after step 30.
    expect(results.runs[1].log.map((e) => e.step)).toEqual([0, 4, 8, 12, 16, 20, 24, 28]);
    expect(results.runs[1].stepsRun).toBe(29);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toMatch(/interrupted after 29 steps/);
    expect(html).toMatch(/<strong>Partial results:<\/strong> 1 of 4 runs finished/);
  });

  it('--out may be anywhere; outside reports/ it gets its own report and no reports/index.html appears', () => {
    const cwd = tempDir('gradlab-cwd-');
    const out = join(tempDir('gradlab-elsewhere-'), 'deep', 'er');
    const r = gradlab(['experiment', def, '--out', out, '--workers', '1'], { cwd });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(existsSync(join(cwd, 'reports'))).toBe(false);
  });

  it('refuses a folder with an unfinished run unless --resume or --force, and another experiment\'s unless --force', async () => {
    const out = join(tempDir('gradlab-folder-'), 'out');
    expect(run(out, [], { GRADLAB_FAILPOINT: 'SIGINT@run0.step3' }).status).toBe(130);
    const again = await runHere(out);
    expect(again.status).toBe(2);
    expect(oneLine(again.stderr)).toMatch(/holds an unfinished run of "durable-tiny" \(0 of 4 runs finished\); add --resume to continue it, or --force to start over$/);
    const other = await runMain(['experiment', writeDefinition({ ...TINY, name: 'durable-other' }), '--out', out]);
    expect(other.code).toBe(2);
    expect(oneLine(other.stderr)).toMatch(/holds results of experiment "durable-tiny"; choose another folder, or --force to replace them$/);
    const forced = await runHere(out, ['--force']);
    expect(forced.status, forced.stderr).toBe(0);
    // A finished run of the same experiment is simply replaced by a rerun.
    expect((await runHere(out)).status).toBe(0);
  });

  it('refuses --resume with another configuration, naming the first difference', async () => {
    const out = join(tempDir('gradlab-folder-'), 'out');
    expect(run(out, [], { GRADLAB_FAILPOINT: 'SIGTERM@run0.step3' }).status).toBe(143);
    const r = await runHere(out, ['--resume', '--steps', '30']);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--resume: .* was started with another setup \(config\.steps: was 40, now 30\); pass the same definition and options/);
    const seeds = await runHere(out, ['--resume', '--seeds', '0']);
    expect(oneLine(seeds.stderr)).toMatch(/config\.seeds: had 2 entries, now 1/);
  });

  it('never writes into a folder of someone else\'s files without --force, and --force leaves their files alone', async () => {
    const out = tempDir('gradlab-theirs-');
    mkdirSync(join(out, 'runs'));
    writeFileSync(join(out, 'notes.txt'), 'mine');
    writeFileSync(join(out, 'runs', 'keep.txt'), 'mine too');
    const r = await runHere(out);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/is not empty and holds no gradlab results; choose a new or empty folder, or --force to write into it$/);
    expect((await runHere(out, ['--force'])).status).toBe(0);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(out, 'runs', 'keep.txt'), 'utf8')).toBe('mine too');
  });

  it('gradlab report refuses a results file that is not one, in one line', async () => {
    const dir = tempDir('gradlab-report-');
    writeFileSync(join(dir, 'results.json'), '{"schema":"gradlab.results/1"}');
    const r = await runMain(['report', join(dir, 'results.json')]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/is not a gradlab results file: results\.experiment: /);
    expect(existsSync(join(dir, 'index.html'))).toBe(false);
  });
});
