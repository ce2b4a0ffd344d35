import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/program.ts';
import { gradlabAsync } from '../helpers/cli.ts';
import { fcParams } from '../helpers/fc.ts';
import { caseArb } from '../parity/randomCase.ts';

/**
 * Generated bad input for `gradlab experiment --dry-run` and `gradlab grad --case`, run through
 * main() in this process (a thousand spawns of the binary would take minutes). Every case must end
 * as exit 0 (a valid plan or result) or exit 2 with exactly one line on stderr starting with
 * "gradlab: " — never an exception out of main() (a stack trace for the user), never a hang, and
 * never a file in the output folder (--dry-run writes nothing).
 *
 * Definitions come three ways: random JSON values, valid definitions, and valid definitions with
 * one to three mutations (a field deleted, a value replaced by a wrong type, a huge, negative or
 * fractional number, a NaN-ish string, a very long string, a deeply nested array, an unknown key).
 * Options are mutated too (--steps, --seeds, --workers, --backend, unknown options). A small
 * sample then goes through the real binary, to show that main() in-process is what a user gets.
 */

const EXPERIMENT_RUNS = 1000;
const GRAD_RUNS = 300;
/** A case is time-boxed: validation of any input is milliseconds; seconds would mean a hang
 * (or a size check that came after the allocation it should prevent). */
const CASE_LIMIT_MS = 5000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  threw: unknown;
  ms: number;
}

/** main() with process.stdout / stderr captured (commander writes its own errors there too). */
async function runMain(args: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const started = performance.now();
  let code: number | null = null;
  let threw: unknown = undefined;
  try {
    code = await main(args);
  } catch (e) {
    threw = e ?? new Error('main() threw a nullish value');
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { code, stdout, stderr, threw, ms: performance.now() - started };
}

/** The rule, one failure message per broken part (empty: the case is fine). */
function ruleBreaks(o: Outcome, outDir: string | null): string[] {
  const broken: string[] = [];
  if (o.threw !== undefined) broken.push(`main() threw: ${o.threw instanceof Error ? o.threw.stack : String(o.threw)}`);
  if (o.ms > CASE_LIMIT_MS) broken.push(`took ${o.ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS})`);
  if (outDir !== null && existsSync(outDir)) broken.push(`wrote into the output folder ${outDir}`);
  if (o.code === 0) {
    // The one note a valid run may print: --workers capped at the machine's cores.
    const note = /^gradlab: --workers \d+ is more than this machine's \d+ cores; using \d+\n$/;
    if (o.stderr !== '' && !note.test(o.stderr)) broken.push(`exit 0 with stderr ${JSON.stringify(o.stderr)}`);
    if (o.stdout === '') broken.push('exit 0 with nothing on stdout (no plan, no result)');
  } else if (o.code === 2) {
    const lines = o.stderr.split('\n');
    if (/^\s+at /m.test(o.stderr)) broken.push(`a stack trace on stderr: ${JSON.stringify(o.stderr)}`);
    if (!(lines.length === 2 && lines[1] === '' && lines[0].startsWith('gradlab: '))) {
      broken.push(`exit 2 must print one line starting "gradlab: ", got ${JSON.stringify(o.stderr.slice(0, 500))}`);
    }
  } else if (o.threw === undefined) {
    broken.push(`exit code ${o.code}, expected 0 or 2; stderr ${JSON.stringify(o.stderr.slice(0, 500))}`);
  }
  return broken;
}

/** valid / "commander" / the first word of the message with indices folded, e.g.
 * "experiment.variants[i].hiddenSize". */
function outcomeKind(o: Outcome): string {
  if (o.threw !== undefined) return 'THREW';
  if (o.code === 0) return 'valid (exit 0)';
  const words = o.stderr.slice('gradlab: '.length).split(/\s/);
  // A message about the whole definition or case ("experiment: estimated peak memory ...",
  // gradCase's "case: <field> ...") is told apart by its next word.
  const first = words[0] === 'case:' || words[0] === 'experiment:' ? `${words[0]} ${words[1]}` : words[0].replace(/:$/, '');
  // A path in the message (a temp file) is folded to its kind.
  if (first.startsWith('/')) return `<file>: ${o.stderr.split(/\s/)[2] ?? ''}`;
  return first.replace(/\[\d+\]/g, '[i]').replace(/\["[^"]*"\]/g, '[k]').slice(0, 60);
}

function tally(counts: Map<string, number>, o: Outcome): void {
  const k = outcomeKind(o);
  counts.set(k, (counts.get(k) ?? 0) + 1);
}

function printCounts(title: string, counts: Map<string, number>): void {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const rows = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(5)}  ${k}`);
  console.log(`${title}: ${total} cases\n${rows.join('\n')}`);
}

// ---- mutations of JSON values -------------------------------------------------------------

type Path = (string | number)[];

/** Every path into a JSON value (the root excluded). */
function pathsOf(v: Json, prefix: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  return entries.flatMap(([k, x]) => [[...prefix, k], ...pathsOf(x, [...prefix, k])]);
}

function nested(depth: number): Json {
  let v: Json = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Values that are wrong somewhere: other types, numbers out of every range, strings that look
 * like numbers, a very long string, deep nesting. */
const BAD_VALUES: Json[] = [
  'a string', '', ' ', true, false, null, [], {}, [1, 2], { x: 1 },
  1e9, 1e12, 1e300, -1e300, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, -1, -1e9, 0, 0.5, 1.5, -0.25, 1e-300,
  'NaN', 'Infinity', '-Infinity', '1e999', '0x10', '12', '1e3',
  'x'.repeat(100_000), nested(500),
  // Large but inside the schema's bounds: these reach the size estimate.
  64, 1000, 16_384, 65_536, 100_000, 1_000_000, 100_000_000,
];
const UNKNOWN_KEYS = ['hiden', 'hiddensize', 'Steps', '__proto__', 'constructor', 'toString', 'x'.repeat(300), ''];

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; value: Json }
  | { kind: 'addKey'; at: number; key: string; value: Json };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.constantFrom(...BAD_VALUES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addKey' as const), at: fc.nat(), key: fc.constantFrom(...UNKNOWN_KEYS), value: fc.constantFrom<Json>(1, 'x', null, [1]) }) },
);

/** Apply a mutation to a deep copy; `at` picks a path modulo their number. */
function mutate(value: Json, m: Mutation): Json {
  const copy = structuredClone(value);
  const paths = pathsOf(copy);
  if (paths.length === 0) return m.kind === 'replace' ? m.value : copy;
  const path = paths[m.at % paths.length];
  const parent = path.slice(0, -1).reduce<Json>((node, k) => (node as Record<string | number, Json>)[k], copy) as Record<string | number, Json> | Json[];
  const key = path[path.length - 1];
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (m.kind === 'replace') {
    (parent as Record<string | number, Json>)[key] = m.value;
  } else {
    const target = (parent as Record<string | number, Json>)[key];
    const host = target !== null && typeof target === 'object' && !Array.isArray(target) ? target : parent;
    if (!Array.isArray(host)) Object.defineProperty(host, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
  }
  return copy;
}

function mutated(valid: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return fc.tuple(valid, fc.array(mutationArb, { minLength: 1, maxLength: 3 })).map(([v, ms]) => ms.reduce(mutate, v));
}

// ---- experiment definitions -------------------------------------------------------------------

const taskArb: fc.Arbitrary<Json> = fc.oneof(
  fc.record({ name: fc.constant('adding'), T: fc.integer({ min: 20, max: 40 }), variant: fc.constantFrom('arjovsky', 'hochreiter'), testSize: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ name: fc.constant('copy'), T: fc.integer({ min: 2, max: 20 }), testSize: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ name: fc.constant('temporal-order'), T: fc.integer({ min: 20, max: 40 }), testSize: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ name: fc.constant('sine'), T: fc.integer({ min: 2, max: 30 }), testSize: fc.integer({ min: 1, max: 64 }), seed: fc.nat(1000) }),
  fc.record({ name: fc.constant('regression'), standardize: fc.boolean() }),
);

const optimizerArb: fc.Arbitrary<Json> = fc.oneof(
  fc.record({ name: fc.constant('adam'), lr: fc.constantFrom(1e-3, 0.01) }),
  fc.record({ name: fc.constant('sgd'), lr: fc.constantFrom(0.01, 0.1), momentum: fc.constantFrom(0, 0.9) }),
  fc.record({ name: fc.constant('rmsprop') }),
);

const variantArb = (name: string): fc.Arbitrary<Json> => fc.record({
  name: fc.constant(name),
  cell: fc.constantFrom('rnn_tanh', 'rnn_relu', 'lstm', 'gru'),
  hiddenSize: fc.integer({ min: 1, max: 8 }),
  numLayers: fc.integer({ min: 1, max: 2 }),
  residual: fc.boolean(),
  skipDelay: fc.integer({ min: 1, max: 3 }),
  dropout: fc.constantFrom(0, 0.1),
  clip: fc.constantFrom<Json>({ kind: 'none' }, { kind: 'norm', maxNorm: 1 }, { kind: 'value', clipValue: 0.5 }),
}, { requiredKeys: ['name'] });

const validDefinitionArb: fc.Arbitrary<Json> = fc.record({
  name: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
  description: fc.string({ maxLength: 20 }),
  task: taskArb,
  steps: fc.integer({ min: 1, max: 50 }),
  seeds: fc.uniqueArray(fc.nat(1000), { minLength: 1, maxLength: 3 }),
  batchSize: fc.constantFrom(4, 8),
  logEvery: fc.integer({ min: 1, max: 10 }),
  valSize: fc.integer({ min: 1, max: 32 }),
  earlyStop: fc.constantFrom<Json>({ metric: 'loss', below: 0.01 }, { metric: 'valLoss', above: 100 }),
  defaults: fc.record({ cell: fc.constantFrom('lstm', 'gru'), hiddenSize: fc.integer({ min: 1, max: 8 }), optimizer: optimizerArb }),
  variants: fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => variantArb(`v${i}`)))),
  quick: fc.record({ steps: fc.integer({ min: 1, max: 5 }), hiddenSize: fc.integer({ min: 1, max: 4 }), seeds: fc.constant<Json[]>([0]) }, { requiredKeys: [] }),
}, { requiredKeys: ['name', 'description', 'task', 'steps', 'seeds', 'batchSize', 'logEvery', 'valSize', 'defaults', 'variants'] });

/** The settings that size a run, set large but inside the schema's bounds: these pass the schema
 * and must be refused (or accepted) by the size estimate, quickly. */
const SIZE_FIELDS: [string, number[]][] = [
  ['task.T', [1000, 10_000, 100_000]],
  ['task.testSize', [10_000, 100_000, 1_000_000]],
  ['defaults.hiddenSize', [512, 4096, 16_384]],
  ['variants.0.numLayers', [16, 64]],
  ['variants.0.hiddenSize', [1024, 16_384]],
  ['batchSize', [1024, 65_536]],
  ['steps', [100_000, 10_000_000, 100_000_000]],
  ['valSize', [100_000, 1_000_000]],
];
const sizedUpArb: fc.Arbitrary<Json> = fc.tuple(
  validDefinitionArb,
  fc.array(fc.tuple(fc.constantFrom(...SIZE_FIELDS), fc.nat()), { minLength: 1, maxLength: 2 }),
).map(([def, changes]) => {
  const copy = structuredClone(def) as Record<string, Json>;
  for (const [[path, values], pick] of changes) {
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce<Json>((node, k) => (node as Record<string, Json>)[k], copy);
    // regression has no T or testSize: the schema refuses them, which is fine too.
    (parent as Record<string, Json>)[keys[keys.length - 1]] = values[pick % values.length];
  }
  return copy;
});

const definitionArb: fc.Arbitrary<Json> = fc.oneof(
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json> },
  { weight: 3, arbitrary: validDefinitionArb },
  { weight: 2, arbitrary: sizedUpArb },
  { weight: 10, arbitrary: mutated(validDefinitionArb) },
);

/** Found by seed 2102967260: a legal sine task with 1e8 test values (0.8 GB, inside the memory
 * limit) took 9.5 s to dry-run, because planning measured the task's baseline on its test set.
 * The baseline is now measured when the manifest is first written; this case is always run. */
const SLOW_TEST_SET_EXAMPLE: [Json, string[]] = [{
  name: 'a', description: '', task: { name: 'sine', T: 1000, testSize: 100_000, seed: 0 }, steps: 1, seeds: [0], batchSize: 4,
  logEvery: 1, valSize: 1, defaults: { cell: 'lstm', hiddenSize: 1, optimizer: { name: 'adam', lr: 0.001 } }, variants: [{ name: 'v0' }],
}, []];

// ---- options ------------------------------------------------------------------------------------

const LONG = '9'.repeat(5000);
const optionArb: fc.Arbitrary<string[]> = fc.oneof(
  fc.constantFrom('1', '3', '0', '-1', '1.5', '1e3', '1e300', 'abc', '', ' 2 ', '0x10', '9007199254740993', '100000001', LONG).map((v) => ['--steps', v]),
  fc.constantFrom('0', '0,1', '1,1', '0,,1', '-1', '1e3', '9007199254740991', '9007199254740992', 'a', '', ' 0 , 1 ', '5,4,3', LONG).map((v) => ['--seeds', v]),
  fc.constantFrom('1', '2', '0', '-1', '1.5', '1e9', 'abc', '').map((v) => ['--workers', v]),
  fc.constantFrom('1', '2', '0', '-1', '1.5', '99', 'abc', '').map((v) => ['--threads', v]),
  // webgpu is left out: in this process it would load Dawn (seconds per case, native output).
  fc.constantFrom('cpu', 'gpu', 'CPU', '', 'webgpu ', 'tpu').map((v) => ['--backend', v]),
  fc.constantFrom<string[]>(['--quick'], ['--force'], ['--bogus'], ['--forc'], ['--steps=2'], ['--seeds=1,2'], ['-x'], ['--steps']),
);
/** Half the cases take no option, so the definition's own checks are reached (a bad option is
 * refused before the definition is read). */
const optionsArb = fc.oneof(
  fc.constant<string[]>([]),
  fc.array(optionArb, { minLength: 1, maxLength: 3 }).map((groups) => groups.flat()),
);

// ---- grad cases ----------------------------------------------------------------------------------

// Valid cases of every cell, shape and loss: the parity suite's generator.
const validGradCaseArb = caseArb() as fc.Arbitrary<Json>;

const gradCaseArb: fc.Arbitrary<Json> = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: validGradCaseArb },
  { weight: 10, arbitrary: mutated(validGradCaseArb) },
);
const gradOptionsArb = fc.array(fc.oneof(
  fc.constantFrom('float64', 'float32', 'float16', '').map((v) => ['--dtype', v]),
  fc.constantFrom('sequence', 'fused', 'reference', 'cuda').map((v) => ['--path', v]),
  fc.constantFrom('cpu', 'gpu').map((v) => ['--backend', v]),
  fc.constantFrom<string[]>(['--bogus'], ['--dtype']),
), { maxLength: 2 }).map((groups) => groups.flat());

// ---- the tests -----------------------------------------------------------------------------------

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'gradlab-fuzz-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes `value` as a case file (JSON.stringify of a nested array 500 deep is fine). */
function writeCase(name: string, value: Json): string {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(value) ?? 'null');
  return file;
}

function experimentArgs(file: string, options: string[], outDir: string): string[] {
  // --dry-run and --out come first, so that an option generated without its value (a trailing
  // `--steps`) can never swallow --dry-run and let a valid definition train.
  return ['experiment', file, '--dry-run', '--out', outDir, ...options];
}

describe('generated bad input: one line and exit 2, or a valid plan; never a throw, a hang or a file', () => {
  it(`gradlab experiment <def.json> --dry-run, ${EXPERIMENT_RUNS} generated definitions and option sets`, async () => {
    const counts = new Map<string, number>();
    const outDir = join(work, 'out');
    await fc.assert(
      fc.asyncProperty(definitionArb, optionsArb, async (definition, options) => {
        const file = writeCase('experiment.json', definition);
        const o = await runMain(experimentArgs(file, options, outDir));
        tally(counts, o);
        const broken = ruleBreaks(o, outDir);
        rmSync(outDir, { recursive: true, force: true });
        expect(broken, `args ${JSON.stringify(options)}, definition ${JSON.stringify(definition)?.slice(0, 2000)}`).toEqual([]);
      }),
      { ...fcParams(EXPERIMENT_RUNS), examples: [SLOW_TEST_SET_EXAMPLE] },
    );
    printCounts('gradlab experiment fuzz', counts);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(EXPERIMENT_RUNS);
    // The generators reach both sides of the rule.
    expect(counts.get('valid (exit 0)') ?? 0).toBeGreaterThan(20);
    expect(counts.get('THREW') ?? 0).toBe(0);
  });

  it(`gradlab grad --case <case.json>, ${GRAD_RUNS} generated cases`, async () => {
    const counts = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(gradCaseArb, gradOptionsArb, async (c, options) => {
        const file = writeCase('case.json', c);
        const o = await runMain(['grad', '--case', file, ...options]);
        tally(counts, o);
        const broken = ruleBreaks(o, null);
        if (o.code === 0) {
          // The result is one line of JSON.
          if (!(o.stdout.endsWith('\n') && o.stdout.split('\n').length === 2)) broken.push('exit 0 without one line of JSON on stdout');
        }
        expect(broken, `args ${JSON.stringify(options)}, case ${JSON.stringify(c)?.slice(0, 2000)}`).toEqual([]);
      }),
      fcParams(GRAD_RUNS),
    );
    printCounts('gradlab grad fuzz', counts);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(GRAD_RUNS);
    expect(counts.get('valid (exit 0)') ?? 0).toBeGreaterThan(5);
  });

  it('the real binary gives the same exit code and the same stdout / stderr as main() in-process (8 generated cases)', async () => {
    // A fixed sample, three of its eight valid, so both outcomes are compared. Each case starts the
    // binary (~0.9 s on 2 cores): the 1000 in-process cases above carry the breadth, these check
    // that the binary is main() and nothing else.
    const sample = [
      ...fc.sample(fc.tuple(validDefinitionArb, optionsArb), { numRuns: 3, seed: 7 }),
      ...fc.sample(fc.tuple(definitionArb, optionsArb), { numRuns: 5, seed: 13 }),
    ];
    const cases = sample.map(([definition, options], i) => {
      const outDir = join(work, `binary-out-${i}`);
      return { outDir, args: experimentArgs(writeCase(`binary-${i}.json`, definition), options, outDir) };
    });
    // main() one case at a time (it captures this process's output), the binaries side by side.
    const inProcess: Awaited<ReturnType<typeof runMain>>[] = [];
    for (const c of cases) inProcess.push(await runMain(c.args));
    const binaries = await Promise.all(cases.map((c) => gradlabAsync(c.args)));
    cases.forEach(({ args, outDir }, i) => {
      const label = `case ${i}: ${JSON.stringify(args)}`;
      expect(binaries[i].status, label).toBe(inProcess[i].code);
      expect(binaries[i].stderr, label).toBe(inProcess[i].stderr);
      expect(binaries[i].stdout, label).toBe(inProcess[i].stdout);
      expect(existsSync(outDir), label).toBe(false);
    });
  });

  // Commander's parse errors (unknown option, missing value, unknown command) come with a
  // suggestion on a second line unless program.ts folds them into one.
  it('commander\'s own errors follow the rule too: one line starting "gradlab: "', async () => {
    const file = writeCase('commander.json', {});
    const o = await runMain(experimentArgs(file, ['--forc'], join(work, 'commander-out')));
    expect(o.code).toBe(2);
    expect(o.stderr).toBe('gradlab: unknown option \'--forc\' (Did you mean --force?)\n');
  });
});
