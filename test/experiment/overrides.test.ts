import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Command } from 'commander';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { experimentJsonSchema, experimentJsonSchemaText, registerSchema, SCHEMA_FILE } from '../../src/cli/schema.ts';
import type { ResolvedExperiment } from '../../src/experiment/config.ts';
import { applySets, parseSet, selectDefinitionVariants, selectVariants } from '../../src/experiment/overrides.ts';
import { listExperimentNames, loadExperiment } from '../../src/experiment/registry.ts';
import { ExperimentError, resolveExperiment } from '../../src/experiment/resolve.ts';
import { CELL_KINDS } from '../../src/cells/table.ts';
import { INIT_SCHEMES } from '../../src/nn/init.ts';
import { REPO } from '../helpers/cli.ts';
import { tinyDefinition } from '../helpers/definitions.ts';

// Definitions are edited by hand as loose JSON: that is the reference --set is compared with.
type Loose = Record<string, any>;

const TMP = mkdtempSync(join(tmpdir(), 'gradlab-overrides-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** A definition whose every object and list is frozen: a write into it throws (ES modules are
 * strict), so a test that passes proves applySets copied instead of mutating. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

/** The ExperimentError message `fn` throws, checked to be one line. */
function errorOf(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an ExperimentError').toBeInstanceOf(ExperimentError);
  const message = (caught as Error).message;
  expect(message.split('\n')).toHaveLength(1);
  return message;
}

describe('parseSet: path=value', () => {
  it.each([
    ['steps=500', [{ kind: 'key', key: 'steps' }], 500],
    ['defaults.optimizer.lr=3e-4', [{ kind: 'key', key: 'defaults' }, { kind: 'key', key: 'optimizer' }, { kind: 'key', key: 'lr' }], 3e-4],
    ['variants[1].hiddenSize=64', [{ kind: 'key', key: 'variants' }, { kind: 'index', index: 1 }, { kind: 'key', key: 'hiddenSize' }], 64],
    // A dotted number is a key here; applying it to a list makes it an index.
    ['variants.1.hiddenSize=64', [{ kind: 'key', key: 'variants' }, { kind: 'key', key: '1' }, { kind: 'key', key: 'hiddenSize' }], 64],
    ['variants[name=lstm].clip.maxNorm=5', [{ kind: 'key', key: 'variants' }, { kind: 'name', name: 'lstm' }, { kind: 'key', key: 'clip' }, { kind: 'key', key: 'maxNorm' }], 5],
    // The path ends at the first "=" outside brackets: a name may hold "=", spaces and commas.
    ['variants[name=lstm, forget bias 3, T=100].cell=gru', [{ kind: 'key', key: 'variants' }, { kind: 'name', name: 'lstm, forget bias 3, T=100' }, { kind: 'key', key: 'cell' }], 'gru'],
    ['variants[name="a]b"].cell=gru', [{ kind: 'key', key: 'variants' }, { kind: 'name', name: 'a]b' }, { kind: 'key', key: 'cell' }], 'gru'],
  ])('%s', (arg, steps, value) => {
    expect(parseSet(arg)).toEqual({ arg, steps, value });
  });

  it.each([
    ['x=5', 5], ['x=-1.5e-3', -1.5e-3], ['x=true', true], ['x=false', false], ['x=null', null],
    ['x=[0,1,2]', [0, 1, 2]], ['x={"kind":"norm","maxNorm":1}', { kind: 'norm', maxNorm: 1 }],
    ['x="123"', '123'], ['x=lstm', 'lstm'], ['x=my run, v2', 'my run, v2'], ['x=', ''], ['x=a=b', 'a=b'],
    // Not JSON, so kept as text (the schema then asks for a number, naming the --set).
    ['x=.5', '.5'], ['x=1_000', '1_000'], ['x=NaN', 'NaN'],
  ])('value of %s is JSON when it parses, else text', (arg, value) => {
    expect(parseSet(arg).value).toEqual(value);
  });

  it.each([
    ['steps', /^--set steps: expected path=value/],
    ['=5', /^--set =5: empty path/],
    ['a..b=1', /^--set a\.\.b=1: empty field name before "\."/],
    ['a.=1', /^--set a\.=1: empty field name before "="/],
    ['.a=1', /^--set \.a=1: empty field name before "\."/],
    ['[0].a=1', /^--set \[0\]\.a=1: the path must start with a field name/],
    ['variants[x].cell=gru', /^--set variants\[x\]\.cell=gru: bad index "\[x\]": write \[0\], \[1\]/],
    ['variants[-1].cell=gru', /bad index "\[-1\]"/],
    ['variants[01].cell=gru', /bad index "\[01\]"/],
    ['variants[].cell=gru', /bad index "\[\]"/],
    ['variants[99999999999999999999].cell=gru', /bad index/],
    ['variants[0.cell=gru', /^--set variants\[0\.cell=gru: missing "\]"/],
    ['variants[name=].cell=gru', /empty name in \[name=\]/],
    ['variants[name="a].cell=gru', /unterminated quoted name/],
    ['variants[0]x=1', /unexpected "x" in the path/],
    ['a]=1', /unexpected "\]" in the path/],
    ['__proto__.polluted=1', /"__proto__" is not a field/],
    ['defaults.constructor.x=1', /"constructor" is not a field/],
  ])('%s is refused in one line naming the --set', (arg, message) => {
    expect(errorOf(() => parseSet(arg))).toMatch(message);
  });

  it('a long or multi-line value is shortened to one line in messages', () => {
    const arg = `foo.bar=${JSON.stringify({ text: 'x'.repeat(300) }, null, 2)}`;
    const message = errorOf(() => applySets(tinyDefinition('t'), [arg]));
    expect(message.length).toBeLessThan(250);
    expect(message).toMatch(/^--set foo\.bar=\{ "text": "x+\.\.\.: experiment: Unrecognized key: "foo"$/);
  });
});

describe('applySets', () => {
  it('the example from the docs: a misspelt key names the --set and the field', () => {
    expect(errorOf(() => applySets(tinyDefinition('t'), ['defaults.optimizer.lrr=3'])))
      .toBe('--set defaults.optimizer.lrr=3: experiment.defaults.optimizer: Unrecognized key: "lrr"');
  });

  it('never mutates its input, and shares what it does not edit', () => {
    const def = frozen(tinyDefinition('t'));
    const out = applySets(def, ['steps=7', 'variants[0].hiddenSize=5']) as Loose;
    expect(out.steps).toBe(7);
    expect(out.variants[0]).toEqual({ name: 'a', hiddenSize: 5 });
    expect(def).toEqual(tinyDefinition('t'));
    expect(out.task).toBe((def as Loose).task);
    expect(applySets(def, [])).toBe(def);
  });

  it('creates missing objects on the way (defaults.clip when defaults has none)', () => {
    const out = applySets(frozen(tinyDefinition('t')), ['defaults.clip.kind=norm', 'defaults.clip.maxNorm=5']) as Loose;
    expect(out.defaults.clip).toEqual({ kind: 'norm', maxNorm: 5 });
    expect(resolveExperiment(out).variants[0].clip).toEqual({ kind: 'norm', maxNorm: 5 });
  });

  it('checks the schema after all edits: an edit may need the next one', () => {
    expect(errorOf(() => applySets(tinyDefinition('t'), ['defaults.clip.kind=norm'])))
      .toBe('--set defaults.clip.kind=norm: experiment.defaults.clip.maxNorm: Invalid input: expected number, received undefined');
  });

  it('selects list elements by [i], .i and [name=...], and appends at the end', () => {
    const def = frozen({ ...tinyDefinition('t'), variants: [{ name: 'a' }, { name: 'b, with comma' }] });
    for (const at of ['variants[1]', 'variants.1', 'variants[name=b, with comma]', 'variants[name="b, with comma"]']) {
      expect((applySets(def, [`${at}.cell=gru`]) as Loose).variants[1]).toEqual({ name: 'b, with comma', cell: 'gru' });
    }
    const added = applySets(def, ['variants[2]={"name":"c","cell":"rnn_relu"}']) as Loose;
    expect(resolveExperiment(added).variants.map((v) => `${v.name}:${v.cell}`)).toEqual(['a:lstm', 'b, with comma:lstm', 'c:rnn_relu']);
  });

  it('[name=...] also matches the name with {T} filled in, as the report shows it', async () => {
    const vanishing = frozen(await loadExperiment('vanishing'));
    const out = applySets(vanishing, ['variants[name=lstm T=100].hiddenSize=64']) as Loose;
    const exp = resolveExperiment(out);
    expect(exp.variants.filter((v) => v.hiddenSize === 64).map((v) => v.name)).toEqual(['lstm T=100']);
    expect(errorOf(() => applySets(vanishing, ['variants[name=lstm T={T}].cell=gru'])))
      .toMatch(/^--set variants\[name=lstm T=\{T\}\]\.cell=gru: variants\[name=lstm T=\{T\}\] matches \[1\], \[5\]; pick one by index$/);
    expect(errorOf(() => applySets(vanishing, ['variants[name=lstm].cell=gru'])))
      .toMatch(/^--set variants\[name=lstm\]\.cell=gru: variants has no element named "lstm"; the names are "rnn_tanh T=30", "lstm T=30", .*"gru T=100"$/);
  });

  it.each([
    ['steps.x=1', 'steps is a number (3), not an object, so it has no field "x"'],
    ['name.x=1', 'name is a string ("t"), not an object, so it has no field "x"'],
    ['variants.x=1', 'variants is a list: pick an element with variants[0] or variants[name=...], not .x'],
    ['variants[3].cell=gru', 'variants has 1 element(s) ([0] to [0]); [3] is out of range ([1] would add one)'],
    ['task[0]=1', 'task is an object, not a list, so it has no [0]'],
    ['quick.seeds[0]=1', 'quick.seeds does not exist, so it has no [0]'],
    ['seeds[0].x=1', 'seeds[0] is a number (0), not an object, so it has no field "x"'],
  ])('%s: refused, a path into a non-object', (arg, problem) => {
    expect(errorOf(() => applySets(frozen(tinyDefinition('t')), [arg]))).toBe(`--set ${arg}: ${problem}`);
  });

  it('refuses a path into a definition that is not an object', () => {
    expect(errorOf(() => applySets(null, ['steps=1']))).toBe('--set steps=1: the definition is null, not an object, so it has no field "steps"');
  });

  it('a problem the definition had without the edits is left to resolveExperiment, not blamed on a --set', () => {
    const bad = frozen({ ...tinyDefinition('t'), steps: -1 });
    const out = applySets(bad, ['logEvery=2']);
    expect(errorOf(() => resolveExperiment(out))).toMatch(/^experiment\.steps: /);
  });

  it('blames the edit nearest the problem, and every edit when none is', () => {
    expect(errorOf(() => applySets(tinyDefinition('t'), ['steps=5', 'logEvery=0', 'task.T=9'])))
      .toMatch(/^--set logEvery=0: experiment\.logEvery: Too small/);
    expect(errorOf(() => applySets(tinyDefinition('t'), ['task.name=sorting'])))
      .toMatch(/^--set task\.name=sorting: experiment\.task\.name: Invalid discriminator value/);
    expect(errorOf(() => applySets(tinyDefinition('t'), ['defaults.optimizer.name=sgd'])))
      .toBe('--set defaults.optimizer.name=sgd: experiment.defaults.optimizer.lr: Invalid input: expected number, received undefined');
    expect(errorOf(() => applySets(tinyDefinition('t'), ['foo.bar=1'])))
      .toBe('--set foo.bar=1: experiment: Unrecognized key: "foo"');
  });
});

// ---------------------------------------------------------------------------------------------
// Property: --set on a valid tiny definition resolves to what the same edit made by hand does.

/** One override: the --set arguments (from the definition as edited so far, so [name=...] can
 * name the variant's current name) and the same edit made by hand. */
interface Override {
  /** What a counterexample shows. */
  label: string;
  sets: (d: Loose) => string[];
  apply: (d: Loose) => void;
}

/** -0 is JSON's 0: generated doubles are normalised so the two sides see the same number. */
const finite = (min: number, max: number, opts: { maxExcluded?: boolean; minExcluded?: boolean } = {}): fc.Arbitrary<number> =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true, ...opts }).map((x) => x + 0);

/** The variant [0] as a --set path, in each of the spellings. */
const variantPath = fc.constantFrom('[0]', '.0', 'name');
function variantAt(form: string, d: Loose): string {
  return form === 'name' ? `variants[name=${JSON.stringify(d.variants[0].name)}]` : `variants${form}`;
}

/** A value as --set text: JSON always works; a string that is not JSON may also go bare. */
function valueText(value: unknown, bare: boolean): string {
  if (typeof value === 'string' && bare) {
    try {
      JSON.parse(value);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value);
}

const field = <T>(path: string, arb: fc.Arbitrary<T>, apply: (d: Loose, v: T) => void): fc.Arbitrary<Override> =>
  fc.tuple(arb, fc.boolean()).map(([v, bare]) => ({ label: `${path}=${valueText(v, bare)}`, sets: () => [`${path}=${valueText(v, bare)}`], apply: (d) => apply(d, v) }));

const variantField = <T>(key: string, arb: fc.Arbitrary<T>): fc.Arbitrary<Override> =>
  fc.tuple(arb, variantPath, fc.boolean()).map(([v, form, bare]) => ({
    label: `variants${form}.${key}=${valueText(v, bare)}`,
    sets: (d) => [`${variantAt(form, d)}.${key}=${valueText(v, bare)}`],
    apply: (d) => { d.variants[0][key] = v; },
  }));

const validOverride: fc.Arbitrary<Override> = fc.oneof(
  field('steps', fc.integer({ min: 1, max: 50 }), (d, v) => { d.steps = v; }),
  field('logEvery', fc.integer({ min: 1, max: 10 }), (d, v) => { d.logEvery = v; }),
  field('batchSize', fc.integer({ min: 1, max: 64 }), (d, v) => { d.batchSize = v; }),
  field('valSize', fc.integer({ min: 1, max: 16 }), (d, v) => { d.valSize = v; }),
  field('seeds', fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 53 - 1 }), { minLength: 1, maxLength: 4 }), (d, v) => { d.seeds = v; }),
  field('description', fc.string({ maxLength: 30 }), (d, v) => { d.description = v; }),
  field('notes', fc.string({ maxLength: 30 }), (d, v) => { d.notes = v; }),
  field('task.T', fc.integer({ min: 6, max: 500 }), (d, v) => { d.task.T = v; }),
  field('task.variant', fc.constantFrom('arjovsky', 'hochreiter'), (d, v) => { d.task.variant = v; }),
  field('task.testSize', fc.integer({ min: 1, max: 1000 }), (d, v) => { d.task.testSize = v; }),
  field('task.seed', fc.integer({ min: 0, max: 2 ** 32 - 1 }), (d, v) => { d.task.seed = v; }),
  field('defaults.cell', fc.constantFrom(...CELL_KINDS), (d, v) => { d.defaults.cell = v; }),
  field('defaults.hiddenSize', fc.integer({ min: 1, max: 16_384 }), (d, v) => { d.defaults.hiddenSize = v; }),
  field('defaults.numLayers', fc.integer({ min: 1, max: 64 }), (d, v) => { d.defaults.numLayers = v; }),
  field('defaults.optimizer.lr', finite(1e-9, 10, { minExcluded: true }), (d, v) => { d.defaults.optimizer.lr = v; }),
  // adam's beta1, or sgd's momentum once an earlier edit switched to sgd.
  finite(0, 1, { maxExcluded: true }).map((v): Override => {
    const key = (d: Loose): string => (d.defaults.optimizer.name === 'adam' ? 'beta1' : 'momentum');
    return { label: `defaults.optimizer.beta1|momentum=${v}`, sets: (d) => [`defaults.optimizer.${key(d)}=${JSON.stringify(v)}`], apply: (d) => { d.defaults.optimizer[key(d)] = v; } };
  }),
  field('defaults.optimizer.weightDecay', finite(0, 1), (d, v) => { d.defaults.optimizer.weightDecay = v; }),
  // A whole object as the value (switching optimizer needs its required lr in the same edit).
  field('defaults.optimizer', fc.record({ name: fc.constant('sgd'), lr: finite(1e-6, 1, { minExcluded: true }), momentum: finite(0, 0.99), nesterov: fc.boolean() }),
    (d, v) => { d.defaults.optimizer = v; }),
  // Two edits through a missing object: the first alone would not be valid.
  fc.tuple(finite(1e-3, 10, { minExcluded: true }), fc.boolean()).map(([maxNorm, together]): Override => ({
    label: `defaults.clip maxNorm=${maxNorm}${together ? ' as one object' : ' in two edits'}`,
    sets: () => (together ? [`defaults.clip={"kind":"norm","maxNorm":${JSON.stringify(maxNorm)}}`] : ['defaults.clip.kind=norm', `defaults.clip.maxNorm=${JSON.stringify(maxNorm)}`]),
    apply: (d) => { d.defaults.clip = { ...(d.defaults.clip ?? {}), kind: 'norm', maxNorm }; },
  })),
  field('defaults.init.forgetBias', finite(-100, 100), (d, v) => { (d.defaults.init ??= {}).forgetBias = v; }),
  field('defaults.init.recurrentWeights', fc.constantFrom(...INIT_SCHEMES), (d, v) => { (d.defaults.init ??= {}).recurrentWeights = v; }),
  field('defaults.schedule', fc.record({ name: fc.constant('step'), stepSize: fc.integer({ min: 1, max: 100 }), gamma: finite(0.01, 1) }),
    (d, v) => { d.defaults.schedule = v; }),
  field('quick.steps', fc.integer({ min: 1, max: 9 }), (d, v) => { (d.quick ??= {}).steps = v; }),
  field('quick.hiddenSize', fc.integer({ min: 1, max: 9 }), (d, v) => { (d.quick ??= {}).hiddenSize = v; }),
  field('quick.task.T', fc.integer({ min: 6, max: 12 }), (d, v) => { ((d.quick ??= {}).task ??= {}).T = v; }),
  field('earlyStop', fc.record({ metric: fc.constant('valLoss'), below: finite(0, 1) }), (d, v) => { d.earlyStop = v; }),
  variantField('name', fc.string({ minLength: 1, maxLength: 12 })),
  variantField('description', fc.string({ maxLength: 20 })),
  variantField('cell', fc.constantFrom(...CELL_KINDS)),
  variantField('hiddenSize', fc.integer({ min: 1, max: 16_384 })),
  variantField('residual', fc.boolean()),
  variantField('dropout', finite(0, 1, { maxExcluded: true })),
  variantField('skipDelay', fc.integer({ min: 1, max: 100 })),
  fc.tuple(fc.integer({ min: 6, max: 40 }), variantPath).map(([T, form]): Override => ({
    label: `variants${form}.task.T=${T}`,
    sets: (d) => [`${variantAt(form, d)}.task.T=${T}`],
    apply: (d) => { (d.variants[0].task ??= {}).T = T; },
  })),
);

const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
const jsonSchemaValid = ajv.compile(experimentJsonSchema());

describe('property: --set resolves to the definition edited by hand', () => {
  it('for any sequence of valid overrides', () => {
    fc.assert(fc.property(fc.array(validOverride, { minLength: 1, maxLength: 6 }), fc.boolean(), (overrides, quick) => {
      const def = frozen(tinyDefinition('prop'));
      const hand: Loose = structuredClone(tinyDefinition('prop'));
      const sets: string[] = [];
      for (const o of overrides) {
        sets.push(...o.sets(hand));
        o.apply(hand);
      }
      const edited = applySets(def, sets);
      expect(edited).toEqual(hand);
      expect(resolveExperiment(edited, { quick })).toEqual(resolveExperiment(hand, { quick }));
      // The JSON Schema agrees with zod on every such definition.
      expect(jsonSchemaValid(edited)).toBe(true);
    }), { numRuns: 300 });
  });

  // Known keys of each object a misspelling is made in (the zod path of the object, the --set
  // path to it). task records are left out: they take any key.
  const objects: [(string | number)[], string, string[]][] = [
    [[], '', ['name', 'description', 'notes', 'task', 'steps', 'seeds', 'batchSize', 'logEvery', 'valSize', 'earlyStop', 'defaults', 'variants', 'quick']],
    [['task'], 'task.', ['name', 'T', 'variant', 'testSize', 'seed']],
    [['defaults'], 'defaults.', ['cell', 'hiddenSize', 'numLayers', 'init', 'optimizer', 'schedule', 'clip', 'accumulation', 'residual', 'skipDelay', 'dropout', 'batchSize', 'task']],
    [['defaults', 'optimizer'], 'defaults.optimizer.', ['name', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay']],
    [['defaults', 'init'], 'defaults.init.', ['inputWeights', 'recurrentWeights', 'gain', 'forgetBias', 'biases']],
    [['variants', 0], 'variants[0].', ['name', 'description', 'cell', 'hiddenSize', 'numLayers', 'init', 'optimizer', 'schedule', 'clip', 'accumulation', 'residual', 'skipDelay', 'dropout', 'batchSize', 'task']],
    [['quick'], 'quick.', ['steps', 'seeds', 'batchSize', 'logEvery', 'valSize', 'hiddenSize', 'task']],
  ];
  const zodPath = (p: readonly (string | number)[]): string => `experiment${p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}`;

  it('a misspelt key anywhere is one line naming the --set and where zod found it', () => {
    const misspelt = fc.constantFrom(...objects).chain(([at, prefix, keys]) => fc.tuple(
      fc.constant(at), fc.constant(prefix),
      fc.tuple(fc.constantFrom(...keys), fc.stringMatching(/^[a-z]$/), fc.boolean())
        .map(([k, c, front]) => (front ? `${c}${k}` : `${k}${c}`))
        .filter((k) => !keys.includes(k)),
      // Short values: the whole argument stays under the 100 characters messages show of it.
      fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 10 }), fc.array(fc.integer(), { maxLength: 3 })),
    ));
    fc.assert(fc.property(misspelt, ([at, prefix, key, value]) => {
      const arg = `${prefix}${key}=${JSON.stringify(value)}`;
      const message = errorOf(() => applySets(frozen(tinyDefinition('t')), [arg]));
      expect(message).toBe(`--set ${arg}: ${zodPath(at)}: Unrecognized key: "${key}"`);
    }), { numRuns: 200 });
  });

  it('a value out of range or of the wrong type is one line naming the --set and the field', () => {
    const bad: fc.Arbitrary<readonly [string, readonly (string | number)[], unknown]> = fc.oneof(
      fc.tuple(fc.constant('steps'), fc.constant(['steps']), fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 100_000_001 }), fc.constant(1.5), fc.constant('many'))),
      fc.tuple(fc.constant('task.T'), fc.constant(['task', 'T']), fc.oneof(fc.integer({ min: -5, max: 1 }), fc.integer({ min: 100_001 }))),
      fc.tuple(fc.constant('defaults.hiddenSize'), fc.constant(['defaults', 'hiddenSize']), fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 16_385 }), fc.constant(true))),
      fc.tuple(fc.constant('defaults.optimizer.lr'), fc.constant(['defaults', 'optimizer', 'lr']), fc.oneof(finite(-10, 0), fc.constant('fast'))),
      fc.tuple(fc.constant('defaults.optimizer.beta2'), fc.constant(['defaults', 'optimizer', 'beta2']), finite(1, 10)),
      fc.tuple(fc.constant('variants[0].dropout'), fc.constant(['variants', 0, 'dropout']), finite(1, 10)),
      fc.tuple(fc.constant('variants[name=a].cell'), fc.constant(['variants', 0, 'cell']), fc.constantFrom('lstmm', 'LSTM', 'rnn', 3, null)),
      fc.tuple(fc.constant('seeds'), fc.constant(['seeds']), fc.constantFrom([], -1, 'all')),
    );
    fc.assert(fc.property(bad, ([path, at, value]) => {
      const arg = `${path}=${JSON.stringify(value)}`;
      const message = errorOf(() => applySets(frozen(tinyDefinition('t')), [arg]));
      expect(message.startsWith(`--set ${arg}: ${zodPath(at)}: `)).toBe(true);
    }), { numRuns: 200 });
  });
});

// ---------------------------------------------------------------------------------------------

describe('selectVariants: --variant globs on the resolved names', () => {
  const definition = frozen({
    ...tinyDefinition('globs'),
    task: { name: 'adding', T: 30 },
    variants: [
      { name: 'rnn_tanh T={T}', cell: 'rnn_tanh' },
      { name: 'lstm T={T}' },
      { name: 'lstm, forget bias 3, T={T}', init: { forgetBias: 3 } },
      { name: 'gru T={T}', cell: 'gru', task: { T: 100 } },
      { name: 'a*b?' },
    ],
  });
  const exp = frozen(resolveExperiment(definition));
  const names = (e: ResolvedExperiment): string[] => e.variants.map((v) => v.name);

  it.each([
    [['lstm*'], ['lstm T=30', 'lstm, forget bias 3, T=30']],
    [['?ru*'], ['gru T=100']],
    [['*T=30'], ['rnn_tanh T=30', 'lstm T=30', 'lstm, forget bias 3, T=30']],
    [['lstm, forget bias 3, T=30'], ['lstm, forget bias 3, T=30']],
    [['lstm T=??'], ['lstm T=30']],
    [['*'], ['rnn_tanh T=30', 'lstm T=30', 'lstm, forget bias 3, T=30', 'gru T=100', 'a*b?']],
    // Exact names with glob characters in them, and a glob that matches them literally too.
    [['a*b?'], ['a*b?']],
    // The experiment's order, each once, whatever the patterns' order and overlap.
    [['gru*', 'rnn*', '*tanh*'], ['rnn_tanh T=30', 'gru T=100']],
  ])('%j keeps %j', (patterns, kept) => {
    expect(names(selectVariants(exp, patterns))).toEqual(kept);
  });

  it('matches the whole name, case-sensitively, with no regular-expression syntax', () => {
    expect(errorOf(() => selectVariants(exp, ['lstm']))).toMatch(/^--variant "lstm": matches no variant/);
    expect(errorOf(() => selectVariants(exp, ['LSTM*']))).toMatch(/matches no variant/);
    expect(errorOf(() => selectVariants(exp, ['lstm.*']))).toMatch(/matches no variant/);
    expect(errorOf(() => selectVariants(exp, ['[lg]*']))).toMatch(/matches no variant/);
  });

  it('a pattern that matches nothing is one line listing the names', () => {
    expect(errorOf(() => selectVariants(exp, ['lstm*', 'transformer'])))
      .toBe('--variant "transformer": matches no variant; the variants are "rnn_tanh T=30", "lstm T=30", "lstm, forget bias 3, T=30", "gru T=100", "a*b?"');
    expect(errorOf(() => selectVariants(exp, ['']))).toMatch(/^--variant: empty pattern/);
  });

  it('is pure: no patterns returns the experiment, otherwise a copy with the rest unchanged', () => {
    expect(selectVariants(exp, [])).toBe(exp);
    const kept = selectVariants(exp, ['gru*']);
    expect({ ...kept, variants: exp.variants }).toEqual(exp);
    expect(kept.variants[0]).toBe(exp.variants[3]);
  });

  it('selectDefinitionVariants resolves to what selectVariants keeps, also under --quick', () => {
    for (const quick of [false, true]) {
      for (const patterns of [['lstm*'], ['gru*', 'a*'], ['*']]) {
        const smaller = selectDefinitionVariants(definition, patterns, { quick });
        expect(resolveExperiment(smaller, { quick })).toEqual(selectVariants(resolveExperiment(definition, { quick }), patterns));
      }
    }
    expect(selectDefinitionVariants(definition, [])).toBe(definition);
    // Names are matched as --quick resolves them: its T=12 renames the variants without their own T.
    const quickDef = { ...definition, quick: { task: { T: 12 } } };
    expect(names(resolveExperiment(selectDefinitionVariants(quickDef, ['*T=12'], { quick: true }), { quick: true })))
      .toEqual(['rnn_tanh T=12', 'lstm T=12', 'lstm, forget bias 3, T=12']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('YAML definitions', () => {
  const write = (name: string, text: string): string => {
    const file = join(TMP, name);
    writeFileSync(file, text);
    return file;
  };

  it.each(['tiny.yaml', 'tiny.yml'])('%s loads as the same definition as JSON', async (name) => {
    const def = tinyDefinition('yaml-probe');
    const loaded = await loadExperiment(write(name, toYaml(def)));
    expect(loaded).toEqual(def);
    expect(resolveExperiment(loaded)).toEqual(resolveExperiment(def));
  });

  it('reads YAML 1.2 scalars as numbers where JSON would, and yes/no as text', async () => {
    const file = write('scalars.yaml', 'description: yes\nnotes: no\nlr: 3e-4\nsteps: 1e3\n');
    expect(await loadExperiment(file)).toEqual({ description: 'yes', notes: 'no', lr: 3e-4, steps: 1000 });
  });

  it.each([
    ['indent.yaml', 'name: t\ntask:\n  name: adding\n T: 6\n', /:4:1: All mapping items must start at the same column$/],
    ['flow.yaml', 'name: t\nseeds: [0, 1\n', /:3:1: Flow sequence in block collection must be sufficiently indented and end with a \]$/],
    ['duplicate.yaml', 'name: t\nsteps: 3\nsteps: 4\n', /:3:1: Map keys must be unique$/],
    ['reserved.yaml', 'name: @t\n', /:1:7: Plain value cannot start with reserved character @$/],
  ])('%s: a syntax error is one line naming the file and line:col', async (name, text, message) => {
    const file = write(name, text);
    const error = await loadExperiment(file).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ExperimentError);
    const line = (error as Error).message;
    expect(line.split('\n')).toHaveLength(1);
    expect(line.startsWith(`experiment file ${file}:`)).toBe(true);
    expect(line).toMatch(message);
  });

  it('a missing file, and an alias bomb, are one line naming the file', async () => {
    const missing = join(TMP, 'missing.yaml');
    await expect(loadExperiment(missing)).rejects.toThrow(new RegExp(`^experiment file ${missing}: ENOENT`));
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const bomb = write('bomb.yaml', `${levels.join('\n')}\n`);
    const error = await loadExperiment(bomb).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ExperimentError);
    expect((error as Error).message).toMatch(new RegExp(`^experiment file ${bomb}: [^\\n]*alias`, 'i'));
  });

  it('an empty file is null, which the schema then refuses in one line', async () => {
    const loaded = await loadExperiment(write('empty.yaml', ''));
    expect(loaded).toBeNull();
    expect(errorOf(() => resolveExperiment(loaded))).toMatch(/^experiment: .*expected object/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('gradlab schema: the JSON Schema generated from the zod schema', () => {
  const shipped = listExperimentNames();

  it.each(shipped)('validates the shipped experiment %s', async (name) => {
    const def = await loadExperiment(name);
    const ok = jsonSchemaValid(def);
    expect(jsonSchemaValid.errors ?? [], `${name}`).toEqual([]);
    expect(ok).toBe(true);
  });

  it('validates the tiny definition, and one with only what is required (defaults and quick have defaults)', () => {
    expect(jsonSchemaValid(tinyDefinition('t'))).toBe(true);
    const { defaults: _d, ...noDefaults } = tinyDefinition('t');
    expect(jsonSchemaValid({ ...noDefaults, variants: [{ name: 'a', cell: 'lstm', hiddenSize: 3, optimizer: { name: 'adam' } }] })).toBe(true);
  });

  it.each([
    ['a misspelt top-level key', (d: Loose) => { d.step = 3; }, '', 'additionalProperties'],
    ['a misspelt optimizer key', (d: Loose) => { d.defaults.optimizer.lrr = 3; }, '/defaults/optimizer', 'additionalProperties'],
    ['a misspelt variant key', (d: Loose) => { d.variants[0].hiden = 3; }, '/variants/0', 'additionalProperties'],
    ['an unknown cell', (d: Loose) => { d.defaults.cell = 'lstmm'; }, '/defaults/cell', 'enum'],
    ['a missing required field', (d: Loose) => { delete d.steps; }, '', 'required'],
    ['hiddenSize past its bound', (d: Loose) => { d.defaults.hiddenSize = 16_385; }, '/defaults/hiddenSize', 'maximum'],
  ])('rejects %s', (_what, mutate, instancePath, keyword) => {
    const d: Loose = structuredClone(tinyDefinition('t'));
    mutate(d);
    const strictAjv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    const validate = strictAjv.compile(experimentJsonSchema());
    expect(validate(d)).toBe(false);
    // The optimizer is a oneOf: the misspelt key shows among its branches' errors.
    expect(validate.errors).toEqual(expect.arrayContaining([expect.objectContaining({ instancePath, keyword })]));
  });

  it(`${SCHEMA_FILE} is up to date (regenerate: npm run gradlab -- schema --out ${SCHEMA_FILE})`, () => {
    const committed = readFileSync(join(REPO, SCHEMA_FILE), 'utf8');
    expect(committed, `${SCHEMA_FILE} is stale: run npm run gradlab -- schema --out ${SCHEMA_FILE}`).toBe(experimentJsonSchemaText());
  });

  it('the command prints the schema on stdout, or writes it with --out', async () => {
    const run = async (args: string[]): Promise<string> => {
      const program = new Command('gradlab').exitOverride();
      registerSchema(program);
      let out = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += String(chunk);
        return true;
      });
      const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await program.parseAsync(args, { from: 'user' });
      } finally {
        spy.mockRestore();
        err.mockRestore();
      }
      return out;
    };
    expect(JSON.parse(await run(['schema']))).toEqual(experimentJsonSchema());
    const file = join(TMP, 'nested', 'experiment.schema.json');
    expect(await run(['schema', '--out', file])).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(experimentJsonSchemaText());
  });
});
