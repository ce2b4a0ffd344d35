import { describe, expect, it } from 'vitest';
import { createTask, taskDims, type TaskConfig } from '../../src/tasks/index.ts';
import { ALL } from './taskHelpers.ts';

/**
 * What a task declares before any prediction: its metric names (an experiment's earlyStop.metric
 * is checked against them before the first step) and its tensor sizes (the size estimate reads
 * them before a test set exists). Both must be what the built task really does.
 */
// Every task, and regression with a short T of sine besides.
const CONFIGS: TaskConfig[] = [...ALL, { name: 'sine', T: 3 }];

describe.each(CONFIGS.map((c) => ({ c, label: JSON.stringify(c) })))('$label', ({ c }) => {
  const task = createTask(c);

  it('metricNames are exactly the keys metrics() returns', () => {
    const test = task.testSet();
    const predLength = task.loss === 'mse' ? test.y.length : test.y.length * task.outputSize;
    const keys = Object.keys(task.metrics(new Float64Array(predLength), test));
    expect([...keys].sort()).toEqual([...task.metricNames].sort());
    expect(new Set(task.metricNames).size).toBe(task.metricNames.length);
  });

  it('taskDims gives the built task\'s sizes without building it', () => {
    const d = taskDims(c);
    expect(d).toEqual({
      inputSize: task.inputSize,
      outputSize: task.outputSize,
      seqLen: task.seqLen,
      testSize: task.testSet().xShape[0],
      loss: task.loss,
      targets: task.targets,
    });
  });
});

/**
 * Building a task draws no data: validation and `--dry-run` build every variant's task, and a
 * large legal T x testSize (the sine task's baseline is measured on its test set) once made a
 * dry run spend seconds drawing sequences nothing read. Here the test set would be 1e10 values,
 * which no typed array can hold: if any of it were drawn while building, createTask would throw.
 */
describe('a task draws its test set on first use, not when built', () => {
  const HUGE = { T: 10_000, testSize: 1_000_000 };
  const generated: TaskConfig[] = [
    { name: 'adding', variant: 'arjovsky', ...HUGE },
    { name: 'copy', ...HUGE },
    { name: 'temporal-order', ...HUGE },
    { name: 'sine', ...HUGE },
  ];
  it.each(generated.map((c) => ({ c, label: c.name })))('$label', ({ c }) => {
    const task = createTask(c);
    expect(task.seqLen).toBeGreaterThanOrEqual(HUGE.T);
    expect(task.metricNames.length).toBeGreaterThan(0);
    // The baselines' metrics are known; a value measured on the test set is drawn when read.
    expect(task.baselines.map((b) => b.metric)).toContain('loss');
    expect(() => task.testSet()).toThrow(RangeError);
  });
});
