/**
 * createTask's first check (a config that is not an object at all) and taskDims' handling of an
 * explicit `testSize: undefined`, which a config object built by spreading optional fields has.
 */
import { describe, expect, it } from 'vitest';
import { createTask, taskDims, type TaskConfig } from '../../src/tasks/index.ts';

describe('createTask on a config that is not an object', () => {
  // A string or a number has no name; the message must say an object is wanted, not complain
  // about a missing name field.
  const bad: [unknown, string][] = [
    ['adding', 'task must be an object with a name (one of adding, copy, temporal-order, sine, regression), got "adding"'],
    [5, 'task must be an object with a name (one of adding, copy, temporal-order, sine, regression), got 5'],
    [undefined, 'task must be an object with a name (one of adding, copy, temporal-order, sine, regression), got undefined'],
    [['adding'], 'task must be an object with a name (one of adding, copy, temporal-order, sine, regression), got adding'],
  ];
  it.each(bad.map(([config, message]) => ({ config, message, name: JSON.stringify(config) ?? 'undefined' })))('rejects $name', ({ config, message }) => {
    expect(() => createTask(config as TaskConfig)).toThrow(new Error(message));
  });
});

describe('taskDims with testSize present but undefined', () => {
  it('falls back to the default 1000, as createTask does', () => {
    const config: TaskConfig = { name: 'sine', T: 10, testSize: undefined };
    expect(taskDims(config).testSize).toBe(1000);
    expect(taskDims({ name: 'sine', T: 10, testSize: 7 }).testSize).toBe(7);
    expect(taskDims({ name: 'sine', T: 10 }).testSize).toBe(1000);
  });
});
