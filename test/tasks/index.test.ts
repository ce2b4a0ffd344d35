import { describe, expect, it } from 'vitest';
import { TEST_SET_STREAM } from '../../src/tasks/common.ts';
import { createTask, TASK_NAMES, type TaskConfig } from '../../src/tasks/index.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { ALL, expectSameBatch, GENERATED, sameBatch } from './taskHelpers.ts';

const label = (c: TaskConfig): string => JSON.stringify(c);

describe('createTask', () => {
  it('knows the five tasks', () => {
    expect([...TASK_NAMES]).toEqual(['adding', 'copy', 'temporal-order', 'sine', 'regression']);
  });

  it.each(ALL.map((c) => ({ c, name: label(c) })))('$name: shapes follow the Task contract, baselines name real metrics', ({ c }) => {
    const task = createTask(c);
    expect(task.name).toBe(c.name);
    expect(task.description.length).toBeGreaterThan(0);
    expect(task.source.length).toBeGreaterThan(0);
    for (const batch of [task.trainSampler(Rng.seeded(1), 3)(), task.testSet()]) {
      const B = batch.xShape[0];
      expect(batch.xShape).toEqual([B, task.seqLen, task.inputSize]);
      expect(batch.x.length).toBe(B * task.seqLen * task.inputSize);
      const expected =
        task.loss === 'mse'
          ? task.targets === 'last' ? [B, task.outputSize] : [B, task.seqLen, task.outputSize]
          : task.targets === 'last' ? [B] : [B, task.seqLen];
      expect(batch.yShape).toEqual(expected);
      expect(batch.y.length).toBe(expected.reduce((a, b) => a * b, 1));
      expect(batch.x.every(Number.isFinite) && batch.y.every(Number.isFinite)).toBe(true);
      if (task.loss === 'cross_entropy') expect(batch.y.every((v) => Number.isInteger(v) && v >= 0 && v < task.outputSize)).toBe(true);
      const predLength = task.loss === 'mse' ? batch.y.length : batch.y.length * task.outputSize;
      const metrics = task.metrics(new Float64Array(predLength), batch);
      expect(Object.values(metrics).every(Number.isFinite)).toBe(true);
      for (const b of task.baselines) expect(Object.keys(metrics), `baseline metric ${b.metric}`).toContain(b.metric);
      expect(() => task.metrics(new Float64Array(predLength + 1), batch)).toThrow('metrics: pred has');
    }
    expect(task.baselines.length).toBeGreaterThan(0);
    expect(task.baselines.every((b) => Number.isFinite(b.value) && b.note.length > 0)).toBe(true);
  });

  it.each(GENERATED.map((c) => ({ c, name: label(c) })))('$name: seeded — same Rng same batches, other Rng other batches', ({ c }) => {
    const task = createTask(c);
    const a = task.trainSampler(Rng.seeded(5), 4);
    const b = createTask(c).trainSampler(Rng.seeded(5), 4);
    const other = task.trainSampler(Rng.seeded(6), 4);
    const first = a();
    expectSameBatch(first, b());
    expectSameBatch(a(), b());
    expect(sameBatch(first, other())).toBe(false);
    // A sampler draws fresh sequences each call.
    expect(sameBatch(first, a())).toBe(false);
  });

  it.each(GENERATED.map((c) => ({ c, name: label(c) })))('$name: the test set is fixed by the task seed alone', ({ c }) => {
    const task = createTask(c);
    const test = task.testSet();
    expect(test.xShape[0]).toBe(20);
    expect(task.testSet()).toBe(test);
    task.trainSampler(Rng.seeded(0), 8)();
    expectSameBatch(createTask(c).testSet(), test);
    expectSameBatch(createTask({ ...c, seed: 0 } as TaskConfig).testSet(), test); // 0 is the default
    expect(sameBatch(createTask({ ...c, seed: 1 } as TaskConfig).testSet(), test)).toBe(false);
    // Not the sequences a run seeded like the task (or one of its first forks) trains on.
    for (const rng of [Rng.seeded(0), Rng.seeded(0).fork(0), Rng.seeded(0).fork(1)]) {
      expect(sameBatch(task.trainSampler(rng, 20)(), test)).toBe(false);
    }
    expectSameBatch(task.trainSampler(Rng.seeded(0).fork(TEST_SET_STREAM), 20)(), test);
  });

  it('the default test set has 1000 sequences', () => {
    expect(createTask({ name: 'adding', T: 10, variant: 'arjovsky' }).testSet().xShape[0]).toBe(1000);
    expect(createTask({ name: 'regression', standardize: false }).testSet().xShape[0]).toBe(200);
  });

  const bad: [unknown, string][] = [
    [null, 'task must be an object with a name (one of adding, copy, temporal-order, sine, regression), got null'],
    [{ name: 'addition', T: 5 }, "task.name must be one of 'adding', 'copy', 'temporal-order', 'sine', 'regression', got \"addition\""],
    [{ name: 'adding', T: 1, variant: 'arjovsky' }, "task.T must be an integer >= 2 for variant 'arjovsky', got 1"],
    [{ name: 'adding', T: 2.5, variant: 'arjovsky' }, "task.T must be an integer >= 2 for variant 'arjovsky', got 2.5"],
    [{ name: 'adding', T: 10, variant: 'hochreiter' }, "task.T must be an integer >= 20 for variant 'hochreiter', got 10"],
    [{ name: 'adding', T: 10, variant: 'le' }, "task.variant must be one of 'arjovsky', 'hochreiter', got \"le\""],
    [{ name: 'adding', T: 10 }, "task.variant must be one of 'arjovsky', 'hochreiter', got undefined"],
    [{ name: 'copy', T: 0 }, 'task.T must be an integer >= 1, got 0'],
    [{ name: 'copy', T: '100' }, 'task.T must be an integer >= 1, got "100"'],
    [{ name: 'copy' }, 'task.T must be an integer >= 1, got undefined'],
    [{ name: 'temporal-order', T: 19 }, 'task.T must be an integer >= 20, got 19'],
    [{ name: 'sine', T: 1 }, 'task.T must be an integer >= 2, got 1'],
    [{ name: 'sine', T: 10, testSize: 0 }, 'task.testSize must be an integer >= 1, got 0'],
    [{ name: 'sine', T: 10, seed: -1 }, 'task.seed must be an integer in [0, 4294967295], got -1'],
    [{ name: 'regression' }, 'task.standardize must be true or false, got undefined'],
    [{ name: 'regression', standardize: 'yes' }, 'task.standardize must be true or false, got "yes"'],
    [{ name: 'regression', standardize: true, T: 5 }, "task.T is not an option of task 'regression' (allowed: name, standardize)"],
    [{ name: 'copy', T: 5, lenght: 3 }, "task.lenght is not an option of task 'copy' (allowed: name, T, testSize, seed)"],
  ];

  it.each(bad.map(([config, message]) => ({ config, message, name: JSON.stringify(config) })))('rejects $name with a one-line message', ({ config, message }) => {
    let error: unknown;
    try {
      createTask(config as TaskConfig);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
