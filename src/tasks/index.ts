/**
 * The task registry: `createTask(config)` builds a Task from a plain (JSON-able) config and
 * validates it at run time, failing with a one-line Error that names the field and what is
 * allowed, e.g. `task.T must be an integer >= 2 for variant 'arjovsky', got 1`.
 *
 * Every generated task (all but `regression`) also takes optional `testSize` (default 1000) and
 * `seed` (default 0, the seed of the fixed test set).
 */
import { ADDING_MIN_T, ADDING_VARIANTS, addingTask, type AddingVariant } from './adding.ts';
import { DEFAULT_TEST_SIZE, requireBoolean, requireInteger, requireOneOf, show } from './common.ts';
import { COPY_CLASSES, COPY_LENGTH, copyTask } from './copy.ts';
import { REGRESSION_VAL_SIZE, regressionTask } from './regression.ts';
import { SINE_MIN_T, sineTask } from './sine.ts';
import type { Task } from './task.ts';
import { TEMPORAL_ORDER_CLASSES, TEMPORAL_ORDER_MIN_T, TEMPORAL_ORDER_SYMBOLS, temporalOrderTask } from './temporalOrder.ts';

export type { Baseline, Batch, Task } from './task.ts';

export const TASK_NAMES = ['adding', 'copy', 'temporal-order', 'sine', 'regression'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

interface GeneratedConfig {
  testSize?: number;
  seed?: number;
}

export type TaskConfig =
  | ({ name: 'adding'; T: number; variant: AddingVariant } & GeneratedConfig)
  | ({ name: 'copy'; T: number } & GeneratedConfig)
  | ({ name: 'temporal-order'; T: number } & GeneratedConfig)
  | ({ name: 'sine'; T: number } & GeneratedConfig)
  | { name: 'regression'; standardize: boolean };

const FIELDS: Record<TaskName, readonly string[]> = {
  adding: ['name', 'T', 'variant', 'testSize', 'seed'],
  copy: ['name', 'T', 'testSize', 'seed'],
  'temporal-order': ['name', 'T', 'testSize', 'seed'],
  sine: ['name', 'T', 'testSize', 'seed'],
  regression: ['name', 'standardize'],
};

/** The smallest sequence length each T-parameterised task accepts. */
export const MIN_T = {
  adding: ADDING_MIN_T,
  copy: 1,
  'temporal-order': TEMPORAL_ORDER_MIN_T,
  sine: SINE_MIN_T,
} as const;

export function createTask(config: TaskConfig): Task {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new Error(`task must be an object with a name (one of ${TASK_NAMES.join(', ')}), got ${show(config)}`);
  }
  const raw = config as unknown as Record<string, unknown>;
  const name = requireOneOf('name', raw.name, TASK_NAMES);
  const unknown = Object.keys(raw).filter((k) => !FIELDS[name].includes(k));
  if (unknown.length > 0) {
    throw new Error(`task.${unknown[0]} is not an option of task '${name}' (allowed: ${FIELDS[name].join(', ')})`);
  }
  const generated = (): GeneratedConfig => ({
    ...(raw.testSize !== undefined ? { testSize: requireInteger('testSize', raw.testSize, 1) } : {}),
    ...(raw.seed !== undefined ? { seed: requireInteger('seed', raw.seed, 0, 0xffffffff) } : {}),
  });
  switch (name) {
    case 'adding': {
      const variant = requireOneOf('variant', raw.variant, ADDING_VARIANTS);
      const T = requireInteger('T', raw.T, ADDING_MIN_T[variant], undefined, ` for variant '${variant}'`);
      return addingTask({ T, variant, ...generated() });
    }
    case 'copy':
      return copyTask({ T: requireInteger('T', raw.T, MIN_T.copy), ...generated() });
    case 'temporal-order':
      return temporalOrderTask({ T: requireInteger('T', raw.T, MIN_T['temporal-order']), ...generated() });
    case 'sine':
      return sineTask({ T: requireInteger('T', raw.T, MIN_T.sine), ...generated() });
    case 'regression':
      return regressionTask({ standardize: requireBoolean('standardize', raw.standardize) });
  }
}

/** The sizes of a task's tensors, from its config alone: nothing is generated. */
export interface TaskDims {
  inputSize: number;
  outputSize: number;
  seqLen: number;
  /** Sequences in the fixed test set. */
  testSize: number;
  loss: Task['loss'];
  targets: Task['targets'];
}

/**
 * What createTask(config) would build, without building it: the size estimate
 * (src/experiment/limits.ts) must know a run's tensor sizes before any test set is allocated, or
 * a huge T would allocate it while being checked. test/tasks checks these against the built
 * tasks. `config` must be valid (createTask's checks are not repeated here).
 */
export function taskDims(config: TaskConfig): TaskDims {
  const testSize = 'testSize' in config && config.testSize !== undefined ? config.testSize : DEFAULT_TEST_SIZE;
  switch (config.name) {
    case 'adding':
      return { inputSize: 2, outputSize: 1, seqLen: config.T, testSize, loss: 'mse', targets: 'last' };
    case 'copy':
      return { inputSize: COPY_CLASSES, outputSize: COPY_CLASSES, seqLen: config.T + 2 * COPY_LENGTH, testSize, loss: 'cross_entropy', targets: 'every_step' };
    case 'temporal-order':
      return { inputSize: TEMPORAL_ORDER_SYMBOLS.length, outputSize: TEMPORAL_ORDER_CLASSES.length, seqLen: config.T, testSize, loss: 'cross_entropy', targets: 'last' };
    case 'sine':
      return { inputSize: 1, outputSize: 1, seqLen: config.T, testSize, loss: 'mse', targets: 'last' };
    case 'regression':
      return { inputSize: 1, outputSize: 1, seqLen: 1, testSize: REGRESSION_VAL_SIZE, loss: 'mse', targets: 'last' };
  }
}
