import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeEstimate, estimateExperiment, MAX_ARRAY_ELEMENTS, parameterCount, SOFT_SECONDS,
} from '../../src/experiment/limits.ts';
import { listExperimentNames, loadExperiment } from '../../src/experiment/registry.ts';
import { ExperimentError, resolveExperiment } from '../../src/experiment/resolve.ts';
import { validateExperiment, type ValidateOptions } from '../../src/experiment/validate.ts';
import { parameterShapes } from '../../src/nn/recurrentNet.ts';
import { taskDims } from '../../src/tasks/index.ts';
import { numel } from '../../src/tensor/shape.ts';
import { tinyDefinition } from '../helpers/definitions.ts';
import { gradlabAsync } from '../helpers/cli.ts';

/**
 * Every setting is checked before the first step: the cases found by hand (a 300-character name,
 * T = 1e9, hiddenSize = 1e5 / 1e9, numLayers = 100000, seeds beyond 2^53 or repeated, a misspelt
 * early-stop metric), the size estimate's hard and soft limits, and user .ts definitions from
 * any folder. Most run validateExperiment in this process; a few go through the real binary.
 */

// Definitions are edited as loose JSON on purpose: the point is to feed the validation bad input.
type Def = Record<string, any>;

const valid: Def = tinyDefinition('limits-probe');

function def(edit: (e: Def) => void): Def {
  const e = structuredClone(valid);
  edit(e);
  return e;
}

/** A machine with 16 GiB, so that the outcome does not depend on where the test runs. */
const MACHINE: ValidateOptions = { totalMemoryBytes: 16 * 2 ** 30 };

function refusal(definition: unknown, opts: ValidateOptions = {}): string {
  try {
    validateExperiment(definition, { ...MACHINE, ...opts });
  } catch (e) {
    expect(e).toBeInstanceOf(ExperimentError);
    const message = (e as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('validateExperiment accepted the definition');
}

describe('the cases found by hand are refused with one line naming the field', () => {
  it.each<[string, (e: Def) => void, RegExp]>([
    ['a 300-character name', (e) => (e.name = 'a'.repeat(300)), /^experiment\.name: is 300 characters long; at most 64/],
    ['T = 1e9', (e) => (e.task.T = 1e9), /^experiment\.task\.T: 1000000000 is too big; at most 100000 steps$/],
    ['T = 1e9 on a variant', (e) => (e.variants[0].task = { T: 1e9 }), /^experiment\.variants\[0\]\.task: 1000000000 is too big|^experiment\.variants\[0\]\.task\.T: 1000000000 is too big/],
    ['hiddenSize = 1e5', (e) => (e.defaults.hiddenSize = 1e5), /^experiment\.defaults\.hiddenSize: 100000 is too big; at most 16384 units$/],
    ['hiddenSize = 1e9', (e) => (e.variants[0].hiddenSize = 1e9), /^experiment\.variants\[0\]\.hiddenSize: 1000000000 is too big; at most 16384 units$/],
    ['numLayers = 100000', (e) => (e.defaults.numLayers = 100_000), /^experiment\.defaults\.numLayers: 100000 is too big; at most 64 layers$/],
    ['a seed of 2^53', (e) => (e.seeds = [0, 2 ** 53]), /^experiment\.seeds\[1\]: 9007199254740992 is too big; seeds must be safe integers, < 2\^53$/],
    ['a quick seed of 1e300', (e) => (e.quick = { seeds: [1e300] }), /^experiment\.quick\.seeds\[0\]: 1e\+300 is too big; seeds must be safe integers/],
    ['a repeated seed', (e) => (e.seeds = [0, 1, 0]), /^experiment\.seeds\[2\]: seed 0 repeats seeds\[0\]; each seed must appear once/],
    ['a misspelt early-stop metric', (e) => (e.earlyStop = { metric: 'acuracy', below: 0.1 }),
      /^experiment\.earlyStop\.metric: "acuracy" is not a metric of variant "a" \(task adding\); choose one of loss, mse, valLoss$/],
    ['an early stop without a threshold', (e) => (e.earlyStop = { metric: 'loss' }), /^experiment\.earlyStop: needs below or above/],
    ['a task seed beyond 32 bits', (e) => (e.task.seed = 2 ** 32), /^experiment\.task\.seed: 4294967296 is too big/],
    ['a variant name of 300 characters', (e) => (e.variants[0].name = 'v'.repeat(300)), /^experiment\.variants\[0\]\.name: is 300 characters long; at most 100$/],
    ['10^8 steps logged at every step', (e) => (e.steps = 1e8), /^experiment: estimated peak memory .* mostly the run's log .*; raise logEvery/],
  ])('%s', (_what, edit, message) => {
    expect(refusal(def(edit))).toMatch(message);
  });

  it('an early-stop metric is checked against every variant\'s task: accuracy exists for hochreiter only', () => {
    const rule = { metric: 'accuracy', above: 0.9 };
    const hochreiter = def((e) => {
      e.task = { name: 'adding', T: 24, variant: 'hochreiter', testSize: 16 };
      e.earlyStop = rule;
    });
    expect(() => validateExperiment(hochreiter, MACHINE)).not.toThrow();
    const mixed = def((e) => {
      e.task = { name: 'adding', T: 24, variant: 'hochreiter', testSize: 16 };
      e.earlyStop = rule;
      e.variants.push({ name: 'b', task: { variant: 'arjovsky' } });
    });
    expect(refusal(mixed)).toMatch(/^experiment\.earlyStop\.metric: "accuracy" is not a metric of variant "b" \(task adding\); choose one of loss, mse, valLoss$/);
    // The trainer's own validation loss is always there.
    expect(() => validateExperiment(def((e) => (e.earlyStop = { metric: 'valLoss', below: 0.01 })), MACHINE)).not.toThrow();
  });

  it.each<[string, ValidateOptions, RegExp]>([
    ['a seed of 2^53', { seeds: [1, 2 ** 53] }, /^--seeds: 9007199254740992 is too big; seeds must be safe integers, < 2\^53 \(seed #2 of the list\)$/],
    ['a repeated seed', { seeds: [3, 4, 3] }, /^--seeds: seed 3 repeats seeds\[0\]; each seed must appear once/],
    ['a negative seed', { seeds: [-1] }, /^--seeds: must be >= 0/],
    ['no seed', { seeds: [] }, /^--seeds: needs at least one seed$/],
    ['10^9 steps', { steps: 1e9 }, /^--steps: must be an integer in \[1, 100000000\], got 1000000000$/],
    ['0 workers', { workers: 0 }, /^--workers: must be an integer >= 1, got 0$/],
  ])('the command line\'s %s is refused the same way', (_what, opts, message) => {
    expect(refusal(valid, opts)).toMatch(message);
  });
});

describe('the size estimate', () => {
  it.each([
    { cell: 'rnn_tanh', hiddenSize: 5, numLayers: 1, residual: false, skipDelay: null },
    { cell: 'lstm', hiddenSize: 4, numLayers: 3, residual: false, skipDelay: null },
    { cell: 'gru', hiddenSize: 6, numLayers: 2, residual: true, skipDelay: 2 },
    { cell: 'lstm', hiddenSize: 2, numLayers: 2, residual: true, skipDelay: null },
  ] as const)('counts the parameters as the net lays them out: $cell H=$hiddenSize L=$numLayers', (v) => {
    for (const dims of [{ inputSize: 2, outputSize: 1 }, { inputSize: 10, outputSize: 10 }]) {
      const shapes = parameterShapes({ ...v, skipDelay: v.skipDelay ?? undefined, ...dims });
      const expected = [...shapes.values()].reduce((s, shape) => s + numel(shape), 0);
      expect(parameterCount(v, dims)).toBe(expected);
    }
  });

  it('validateExperiment returns it: per variant, total parameters, peak memory and time; --dry-run lines', () => {
    const e = def((x) => x.variants.push({ name: 'b', cell: 'gru', hiddenSize: 5 }));
    const { exp, estimate } = validateExperiment(e, MACHINE);
    expect(estimate.perVariant.map((v) => v.variant)).toEqual(['a', 'b']);
    const dims = taskDims(exp.task);
    expect(estimate.totalParams).toBe(exp.variants.reduce((s, v) => s + parameterCount(v, dims), 0));
    for (const v of estimate.perVariant) {
      expect(v.peakBytes).toBeGreaterThan(0);
      expect(v.secondsPerStep).toBeGreaterThan(0);
      expect(v.secondsPerRun).toBeGreaterThanOrEqual(exp.steps * v.secondsPerStep);
    }
    expect(estimate.peakMemoryBytes).toBeGreaterThan(Math.max(...estimate.perVariant.map((v) => v.peakBytes)));
    expect(estimate.estimatedSeconds).toBeGreaterThan(0);
    const lines = describeEstimate(estimate);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/peak memory ~.* ~.* for 2 run\(s\) \(rough: 5 GFLOP\/s per core assumed\)/);
  });

  it('grows with the sizes that cost memory and time', () => {
    const base = resolveExperiment(valid);
    const bigger = (edit: (e: Def) => void) => estimateExperiment(resolveExperiment(def(edit))).perVariant[0];
    const b = estimateExperiment(base).perVariant[0];
    expect(bigger((e) => (e.task.T = 600)).peakBytes).toBeGreaterThan(b.peakBytes);
    expect(bigger((e) => (e.task.testSize = 10_000)).memory.testSet).toBeGreaterThan(b.memory.testSet);
    expect(bigger((e) => (e.defaults.hiddenSize = 300)).params).toBeGreaterThan(b.params);
    expect(bigger((e) => (e.batchSize = 400)).secondsPerStep).toBeGreaterThan(b.secondsPerStep);
    expect(bigger((e) => (e.steps = 3000)).secondsPerRun).toBeGreaterThan(b.secondsPerRun);
    // More workers hold more runs at once.
    const two = def((e) => (e.seeds = [0, 1, 2, 3]));
    expect(estimateExperiment(resolveExperiment(two), { workers: 4 }).peakMemoryBytes)
      .toBeGreaterThan(estimateExperiment(resolveExperiment(two), { workers: 1 }).peakMemoryBytes);
  });

  it('lets every shipped experiment through, full size and --quick, on a 4 GiB machine with 4 workers', async () => {
    for (const name of listExperimentNames()) {
      for (const quick of [false, true]) {
        const { estimate } = validateExperiment(await loadExperiment(name), { quick, workers: 4, totalMemoryBytes: 4 * 2 ** 30 });
        expect(estimate.estimatedSeconds, `${name}${quick ? ' --quick' : ''}`).toBeLessThan(SOFT_SECONDS);
      }
    }
  });
});

describe('hard limits are refused always, soft limits unless force', () => {
  it('T = 100000 (inside the schema) needs more WebAssembly memory than exists: refused even with force, in well under a second', () => {
    const started = performance.now();
    // A batch of 256 sequences of 100000 steps: the backward's kernel memory. (The test set is
    // evaluated 256 sequences at a time, so its 1000 sequences need no more.)
    const e = def((x) => {
      x.task = { name: 'sine', T: 100_000 };
      x.batchSize = 256;
    });
    const message = refusal(e, { force: true });
    expect(message).toMatch(/^experiment\.variants\[0\] \("a"\): the float32 kernels would need .* GiB of WebAssembly memory .* over its 4 GiB address space; lower task\.T/);
    expect(message).not.toMatch(/--force/);
    // Nothing was generated: the sine task builds its 1000 x 100000 test set as soon as it is created.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('an array beyond the 2^31 - 1 elements a typed array may hold is refused even with force', () => {
    const e = def((x) => {
      x.task = { name: 'copy', T: 100_000, testSize: 1_000_000 };
      x.defaults = { ...x.defaults, cell: 'rnn_tanh', hiddenSize: 1 };
    });
    const message = refusal(e, { force: true });
    expect(message).toMatch(/^experiment\.variants\[0\] \("a"\): the test set's inputs \(task\.testSize 1000000 x 100020 steps x 10 inputs\) would be one array of 1\.00e\+12 values, over the 2147483647 an array may hold; lower task\.testSize or task\.T$/);
    expect(MAX_ARRAY_ELEMENTS).toBe(2 ** 31 - 1);
  });

  it('hiddenSize 16384 (inside the schema) for an LSTM is refused even with force', () => {
    expect(refusal(def((x) => (x.defaults.hiddenSize = 16_384)), { force: true })).toMatch(/^experiment\.variants\[0\] \("a"\): /);
  });

  it('memory over the machine\'s is refused even with force, naming the numbers and the fix', () => {
    const e = def((x) => {
      x.task = { name: 'adding', T: 200, testSize: 200 };
      x.defaults.hiddenSize = 64;
    });
    const { estimate } = validateExperiment(e, MACHINE);
    const message = refusal(e, { force: true, totalMemoryBytes: estimate.peakMemoryBytes / 2 });
    expect(message).toMatch(/^experiment: estimated peak memory [\d.]+ MiB \(largest run: experiment\.variants\[0\] \("a"\) [\d.]+ MiB, mostly .*\) is over this machine's [\d.]+ MiB of memory; lower /);
    expect(message).not.toMatch(/--force/);
  });

  it('several runs side by side that do not fit, where one would, ask for fewer --workers', () => {
    const e = def((x) => {
      x.task = { name: 'adding', T: 200, testSize: 200 };
      x.defaults.hiddenSize = 64;
      x.seeds = [0, 1, 2, 3, 4, 5, 6, 7];
    });
    const one = validateExperiment(e, { ...MACHINE, workers: 1 }).estimate.peakMemoryBytes;
    expect(refusal(e, { workers: 8, force: true, totalMemoryBytes: one * 1.2 })).toMatch(/with 8 runs side by side .* is over this machine's .*; use fewer --workers, or /);
  });

  it('memory over half the machine\'s is refused, then accepted with force', () => {
    const e = def((x) => {
      x.task = { name: 'adding', T: 200, testSize: 200 };
      x.defaults.hiddenSize = 64;
    });
    const peak = validateExperiment(e, MACHINE).estimate.peakMemoryBytes;
    const machine = { totalMemoryBytes: peak * 1.5 };
    expect(refusal(e, machine)).toMatch(/^experiment: estimated peak memory .* is over half of this machine's .* of memory; .*, or pass --force to go past this limit$/);
    const forced = validateExperiment(e, { ...machine, force: true });
    expect(forced.estimate.peakMemoryBytes).toBe(peak);
  });

  it('an estimated time over 24 h is refused, then accepted with force (nothing is trained)', () => {
    const e = def((x) => {
      x.task = { name: 'adding', T: 100, testSize: 64 };
      x.defaults.hiddenSize = 32;
      x.batchSize = 32;
      x.steps = 10_000_000;
      x.logEvery = 100_000;
    });
    const message = refusal(e);
    expect(message).toMatch(/^experiment: estimated time [\d.]+ days for 1 run\(s\), 1 at a time \(rough: 5 GFLOP\/s per core assumed; slowest experiment\.variants\[0\] \("a"\) [\d.]+ ms per step, [\d.]+ days per run\) is over the 24 h limit; lower steps, .* or pass --force to go past this limit$/);
    const { estimate } = validateExperiment(e, { ...MACHINE, force: true });
    expect(estimate.estimatedSeconds).toBeGreaterThan(SOFT_SECONDS);
  });
});

describe('through the real binary: one line on stderr, exit 2, nothing written', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gradlab-limits-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.concurrent.for<[string, (e: Def) => void, RegExp]>([
    ['a 300-character name', (e) => (e.name = 'a'.repeat(300)), /^gradlab: experiment\.name: is 300 characters long; at most 64/],
    ['T = 1e9', (e) => (e.task.T = 1e9), /^gradlab: experiment\.task\.T: 1000000000 is too big/],
    ['hiddenSize = 1e5', (e) => (e.defaults.hiddenSize = 1e5), /^gradlab: experiment\.defaults\.hiddenSize: 100000 is too big/],
    ['a repeated seed', (e) => (e.seeds = [5, 5]), /^gradlab: experiment\.seeds\[1\]: seed 5 repeats seeds\[0\]/],
  ])('%s', async ([what, edit, message], { expect }) => {
    const file = join(dir, `${what.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(def(edit)));
    const out = join(dir, 'out');
    const r = await gradlabAsync(['experiment', file, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});

describe('a user .ts definition loads the same way from any folder and module type', () => {
  const files: Record<string, string> = {
    'valid.ts': `import { T } from './sizes.ts';\nconst d = ${JSON.stringify({ ...valid, name: 'ts-definition' })};\nd.task.T = T;\nexport default d;\n`,
    'sizes.ts': 'export const T: number = 7;\n',
    'throws.ts': 'throw new Error("cannot reach the data server\\nsecond line");\nexport default {};\n',
    'syntax.ts': 'export default { name: "x", ;;; };\n',
    'getter.ts': `const d = ${JSON.stringify(valid)};\nexport default { ...d, get steps(): number { throw new Error('getter boom'); } };\n`,
    'no-default.ts': 'export const d = 1;\n',
  };
  const scopes: [string, string | null][] = [['no package.json', null], ['"type": "commonjs"', '{"type":"commonjs"}'], ['"type": "module"', '{"type":"module"}']];
  const folders = new Map<string, string>();
  beforeAll(() => {
    for (const [scope, pkg] of scopes) {
      const d = mkdtempSync(join(tmpdir(), 'gradlab-ts-def-'));
      if (pkg) writeFileSync(join(d, 'package.json'), pkg);
      for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
      folders.set(scope, d);
    }
  });
  afterAll(() => {
    for (const d of folders.values()) rmSync(d, { recursive: true, force: true });
  });

  // Each case is a binary start-up: they run side by side, sooner done on 2 cores.
  it.concurrent.for(scopes.map(([s]) => s))('%s: a valid file (importing a sibling .ts) gives the plan, from another working folder', async (scope, { expect }) => {
    const d = folders.get(scope)!;
    const r = await gradlabAsync(['experiment', join(d, 'valid.ts'), '--dry-run', '--out', join(d, 'out')], { cwd: tmpdir() });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ts-definition: 1 variant\(s\) x 1 seed\(s\), 3 steps each/);
    expect(existsSync(join(d, 'out'))).toBe(false);
  });

  const broken: [string, string, RegExp][] = [
    ['no package.json', 'throws.ts', /cannot load it: cannot reach the data server$/],
    ['"type": "commonjs"', 'throws.ts', /cannot load it: cannot reach the data server$/],
    ['no package.json', 'syntax.ts', /cannot load it: line 1:28: ERROR: Expected identifier but found ";"$/],
    ['"type": "commonjs"', 'syntax.ts', /cannot load it: line 1:28: ERROR: Expected identifier but found ";"$/],
    ['no package.json', 'getter.ts', /reading the default export's steps threw: getter boom; export a plain object \(no getters or proxies\)$/],
    ['"type": "commonjs"', 'getter.ts', /reading the default export's steps threw: getter boom; export a plain object \(no getters or proxies\)$/],
    ['"type": "module"', 'getter.ts', /reading the default export's steps threw: getter boom; export a plain object \(no getters or proxies\)$/],
    ['"type": "commonjs"', 'no-default.ts', /no default export; write export default/],
  ];
  it.concurrent.for(broken)('%s: %s is one line naming the file, exit 2', async ([scope, file, message], { expect }) => {
    const d = folders.get(scope)!;
    const r = await gradlabAsync(['experiment', join(d, file), '--dry-run', '--out', join(d, 'out')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim().startsWith(`gradlab: ${join(d, file)}: `)).toBe(true);
    expect(r.stderr.trim()).toMatch(message);
  });

  it('a getter that throws when the schema reads it is caught in validation too (a definition given in-process)', () => {
    const e = { ...valid, get steps(): number { throw new Error('getter boom'); } };
    expect(refusal(e)).toBe('experiment: reading it threw: getter boom; a definition must be plain data (no getters or proxies)');
  });
});
