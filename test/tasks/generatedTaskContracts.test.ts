import { describe, expect, it } from 'vitest';
import { copyTask } from '../../src/tasks/copy.ts';
import { sineTask } from '../../src/tasks/sine.ts';
import type { Task } from '../../src/tasks/task.ts';
import { temporalOrderTask } from '../../src/tasks/temporalOrder.ts';
import { expectSequentialStream } from './taskHelpers.ts';

/**
 * Two contracts every generated task keeps (the adding task's are in addingMutants.test.ts, per
 * variant): its smallest T, refused one below and as a fraction, accepted at the minimum; and a
 * sampler that draws sequence after sequence, so two batches of B are one batch of 2B (a
 * generator drawing one value too many per batch shifts every later batch, which no test of a
 * single batch sees).
 */
const TASKS: { name: string; make: (T: number) => Task; minT: number; why: string; draws: string }[] = [
  { name: 'copy', make: (T) => copyTask({ T }), minT: 1, why: 'T = 1 puts the delimiter right after the 10 symbols', draws: 'its 10 symbols' },
  { name: 'sine', make: (T) => sineTask({ T }), minT: 2, why: 'one input to persist and one step of change', draws: 'omega, phi, T + 1 normals' },
  {
    name: 'temporal order', make: (T) => temporalOrderTask({ T }), minT: 20, why: 'keeps t1 after E and the two ranges apart',
    draws: 't1, t2, the two X/Y coins, then T - 4 distractors',
  },
];

describe.each(TASKS)('$name', ({ make, minT, why, draws }) => {
  it(`T must be an integer >= ${minT} (${why})`, () => {
    expect(() => make(minT - 1)).toThrow(`task.T must be an integer >= ${minT}, got ${minT - 1}`);
    expect(() => make(minT + 0.5)).toThrow(`task.T must be an integer >= ${minT}, got ${minT + 0.5}`);
    expect(() => make(minT)).not.toThrow();
  });

  it(`a sampler draws sequence after sequence (${draws}): two batches of B are one batch of 2B`, () => {
    for (const [T, B, seed] of [[minT, 1, 0], [minT + 7, 3, 8], [minT + 30, 4, 2024]]) expectSequentialStream(make(T), B, seed);
  });
});
