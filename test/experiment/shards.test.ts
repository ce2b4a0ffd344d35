import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShard } from '../../src/cli/shardOption.ts';
import { comparable, tempDir, TINY, writeDefinition } from '../helpers/durable.ts';
import { fcParams } from '../helpers/fc.ts';
import { runMain } from '../helpers/inProcess.ts';

// 2 variants x 3 seeds = 6 runs, so that n = 1..5 shards split them unevenly (and n = 5 leaves
// one shard with two runs, the others with one).
const SIX = { ...TINY, name: 'shards-six', steps: 12, seeds: [0, 1, 2] };
const RUNS = 6;
const NAMES = ['lstm seed 0', 'lstm seed 1', 'lstm seed 2', 'gru seed 0', 'gru seed 1', 'gru seed 2'];

describe('--shard k/n and gradlab merge', () => {
  const def = writeDefinition(SIX);
  const root = tempDir('gradlab-shards-');
  const shardDirs = new Map<string, string>();
  let whole = '';

  async function shard(k: number, n: number): Promise<string> {
    const key = `${k}/${n}`;
    let dir = shardDirs.get(key);
    if (!dir) {
      dir = join(root, `n${n}`, `shard-${k}`);
      const r = await runMain(['experiment', def, '--shard', key, '--workers', '1', '--out', dir]);
      expect(r.code, r.stderr).toBe(0);
      shardDirs.set(key, dir);
    }
    return dir;
  }

  it('merging every shard equals the unsharded run, for n = 1..5; merging some names exactly the missing runs', async () => {
    const ref = join(root, 'whole');
    expect((await runMain(['experiment', def, '--workers', '1', '--out', ref])).code).toBe(0);
    whole = comparable(ref);
    const plan = fc.integer({ min: 1, max: 5 }).chain((n) => fc.record({
      n: fc.constant(n),
      // A random subset of the shards, in random order, sometimes with a folder given twice.
      shards: fc.shuffledSubarray(Array.from({ length: n }, (_, k) => k), { minLength: 1 }),
      twice: fc.boolean(),
    }));
    let merges = 0;
    await fc.assert(fc.asyncProperty(plan, async ({ n, shards, twice }) => {
      const dirs = [];
      for (const k of shards) dirs.push(await shard(k, n));
      if (twice) dirs.push(dirs[0]);
      const out = join(root, `merge-${merges++}`);
      const r = await runMain(['merge', ...dirs, '--out', out]);
      const missing = Array.from({ length: RUNS }, (_, i) => i).filter((i) => !shards.includes(i % n));
      if (missing.length === 0) {
        expect(r.code, r.stderr).toBe(0);
        expect(comparable(out)).toBe(whole);
      } else {
        expect(r.code).toBe(1);
        const line = r.stderr.trim().split('\n').pop()!;
        expect(line).toBe(`gradlab: merge: ${missing.length} run(s) missing: ${missing.map((i) => `${i} (${NAMES[i]})`).join(', ')}; run their shards, or resume the merged folder with gradlab experiment ... --out ${out} --resume`);
      }
    }), fcParams(12));
  }, 120_000);

  it('a merged folder with missing runs resumes to the whole experiment', async () => {
    const out = join(root, 'partial');
    expect((await runMain(['merge', await shard(0, 3), await shard(2, 3), '--out', out])).code).toBe(1);
    const r = await runMain(['experiment', def, '--workers', '1', '--out', out, '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(comparable(out)).toBe(whole);
  });

  it('refuses folders of different setups, naming the first difference, and a merge into one of its inputs', async () => {
    const other = join(root, 'other-steps');
    expect((await runMain(['experiment', writeDefinition({ ...SIX, steps: 10 }), '--shard', '1/2', '--workers', '1', '--out', other])).code).toBe(0);
    const r = await runMain(['merge', await shard(0, 2), other, '--out', join(root, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gradlab: merge: .*other-steps and .*shard-0 ran different setups \(config\.steps: was 12, now 10\); merge only shards of one experiment\n$/);
    const into = await runMain(['merge', await shard(0, 2), await shard(1, 2), '--out', await shard(1, 2)]);
    expect(into.code).toBe(2);
    expect(into.stderr).toMatch(/is one of the folders being merged/);
  });

  it('a shard\'s results.json says which shard of which config it is', async () => {
    const { readFileSync } = await import('node:fs');
    const r = JSON.parse(readFileSync(join(await shard(1, 4), 'results.json'), 'utf8')) as { shard: unknown; runs: { variant: string; seed: number }[]; config: { steps: number } };
    expect(r.shard).toEqual({ index: 1, count: 4 });
    expect(r.runs.map((x) => `${x.variant} seed ${x.seed}`)).toEqual([NAMES[1], NAMES[5]]);
    expect(r.config.steps).toBe(12);
  });
});

describe('--shard auto', () => {
  const slurm = (env: Record<string, string>, shards?: string) => parseShard('auto', shards, env);

  it('reads a Slurm array task and a Kubernetes Indexed Job', () => {
    expect(slurm({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 3, count: 4 });
    expect(slurm({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8' })).toEqual({ index: 4, count: 8 });
    expect(slurm({ SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '14', SLURM_ARRAY_TASK_STEP: '2' })).toEqual({ index: 3, count: 8 });
    expect(slurm({ JOB_COMPLETION_INDEX: '2' }, '5')).toEqual({ index: 2, count: 5 });
    expect(parseShard('2/3', undefined, {})).toEqual({ index: 2, count: 3 });
    expect(parseShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '1' })).toBeNull();
  });

  it.each([
    [{}, undefined, /neither SLURM_ARRAY_TASK_ID .* nor JOB_COMPLETION_INDEX .* is set; give --shard k\/n instead/],
    [{ SLURM_ARRAY_TASK_ID: '1' }, undefined, /neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN\/MAX; add --shards N/],
    [{ SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '4' }, undefined, /SLURM_ARRAY_TASK_ID is "x", not an integer/],
    [{ SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_COUNT: '4' }, undefined, /array task 7 is task 7 of an array of 4; submit a contiguous array such as --array=0-3/],
    [{ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4' }, '3', /--shards 3 disagrees with the Slurm array's 4 tasks/],
    [{ JOB_COMPLETION_INDEX: '2' }, undefined, /add --shards N/],
    [{ JOB_COMPLETION_INDEX: '5' }, '5', /JOB_COMPLETION_INDEX 5 is not below --shards 5/],
  ] as const)('%j --shards %s: one line', (env, shards, message) => {
    expect(() => slurm(env as Record<string, string>, shards)).toThrow(message);
  });

  it.each(['3/3', '1/0', '-1/2', 'a/b', '1/2/3', ''])('--shard %j is refused', (spec) => {
    expect(() => parseShard(spec, undefined, {})).toThrow(/--shard must be k\/n with 0 <= k < n/);
  });
});
