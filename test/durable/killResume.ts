import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { gradlabAsync } from '../helpers/cli.ts';
import { comparable, tempDir, TINY, TINY_RUNS, TINY_STEPS, writeDefinition } from '../helpers/durable.ts';
import { fcParams } from '../helpers/fc.ts';

/**
 * The kill-and-resume property, shared by the in-process and the worker-thread suites: for
 * random kill points — a signal right after some step of some run, once or twice in a row —
 * resuming until done gives results.json identical to an uninterrupted run's (durations aside).
 */

export type Signal = 'SIGINT' | 'SIGTERM' | 'SIGKILL';
export interface KillPoint {
  run: number;
  step: number;
  signal: Signal;
}

const EXIT: Record<Signal, number> = { SIGINT: 130, SIGTERM: 143, SIGKILL: -1 };

export const killPoint: fc.Arbitrary<KillPoint> = fc.record({
  run: fc.integer({ min: 0, max: TINY_RUNS - 1 }),
  step: fc.integer({ min: 0, max: TINY_STEPS - 1 }),
  signal: fc.constantFrom<Signal>('SIGINT', 'SIGTERM', 'SIGKILL'),
});

/** Checkpoint after every second logged step: kills land both on and between checkpoints. */
const CHECKPOINT = ['--checkpoint-every', '2'];

/** An uninterrupted run's results.json, as `comparable` gives it. */
async function reference(def: string, workers: number): Promise<string> {
  const out = join(tempDir('gradlab-ref-'), 'out');
  const r = await gradlabAsync(['experiment', def, '--out', out, '--workers', String(workers), ...CHECKPOINT]);
  expect(r.status, r.stderr).toBe(0);
  const results = comparable(out);
  rmSync(out, { recursive: true, force: true });
  return results;
}

/** Kill at each point in turn (each later attempt resuming), then resume to the end. */
async function killAndResume(def: string, workers: number, kills: readonly KillPoint[]): Promise<string> {
  const out = join(tempDir('gradlab-kill-'), 'out');
  const args = ['experiment', def, '--out', out, '--workers', String(workers), ...CHECKPOINT];
  const where = `kill points ${JSON.stringify(kills)}`;
  for (const [i, k] of kills.entries()) {
    const r = await gradlabAsync([...args, ...(i > 0 ? ['--resume'] : [])], { env: { GRADLAB_FAILPOINT: `${k.signal}@run${k.run}.step${k.step}` } });
    const code = r.signal === 'SIGKILL' ? -1 : r.status;
    // A later kill point may lie in a run that an earlier attempt already finished: then this
    // attempt completes the experiment.
    expect([EXIT[k.signal], ...(i > 0 ? [0] : [])], `${where}, attempt ${i}: ${r.stderr}`).toContain(code);
    if (k.signal !== 'SIGKILL' && code !== 0) expect(r.stderr, where).toMatch(/resume with: gradlab experiment .* --resume\n$/);
  }
  const last = await gradlabAsync([...args, '--resume']);
  expect(last.status, `${where}, last resume: ${last.stderr}`).toBe(0);
  const results = comparable(out);
  rmSync(out, { recursive: true, force: true });
  return results;
}

/**
 * numRuns cases of two kill points each, three binary start-ups a case (each ~1 s of CPU), so
 * npm test runs 3 per suite; every `npm run test:seeds` seed draws 3 more. The cases and the
 * reference run side by side, so they are drawn with fc.sample (FC_SEED replays them) rather
 * than checked one by one by fc.assert: there is no shrinking, and a failure names its two kill
 * points instead.
 */
export async function checkKillResume(workers: number, numRuns: number): Promise<void> {
  const def = writeDefinition(TINY);
  const cases = fc.sample(fc.array(killPoint, { minLength: 2, maxLength: 2 }), fcParams<KillPoint[]>(numRuns));
  const [ref, ...resumed] = await Promise.all([reference(def, workers), ...cases.map((kills) => killAndResume(def, workers, kills))]);
  resumed.forEach((results, i) => expect(results, `kill points ${JSON.stringify(cases[i])}`).toBe(ref));
}
