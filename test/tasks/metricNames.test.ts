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
