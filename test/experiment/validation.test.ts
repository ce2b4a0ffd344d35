import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradlab, REPO } from '../helpers/cli.ts';
import { runMain } from '../helpers/inProcess.ts';
import { tinyDefinition } from '../helpers/definitions.ts';

const valid = tinyDefinition('validation-probe');

// Definitions are mutated as loose JSON on purpose: the point is to feed the CLI bad input.
type Mutation = (e: Record<string, any>) => void;

const cases: [string, Mutation, RegExp][] = [
  ['unknown variant key', (e) => (e.variants[0].hiden = 3), /variants\[0\].*hiden/],
  ['negative steps', (e) => (e.steps = -5), /experiment\.steps.*>=1/],
  ['unknown cell', (e) => (e.variants[0].cell = 'lstmm'), /variants\[0\]\.cell.*"rnn_tanh".*"lstm".*"gru"/],
  ['T < 2', (e) => (e.task.T = 1), /task\.T.*>=2/],
  ['unknown task', (e) => (e.task = { name: 'sorting', T: 5 }), /experiment\.task\.name/],
  ['accumulation not dividing the batch', (e) => (e.variants[0].accumulation = 3), /accumulation: must divide batchSize 4/],
  ['duplicate variant names', (e) => e.variants.push({ name: 'a' }), /"a" is used twice/],
  ['forgetBias on a cell without a forget gate', (e) => (e.variants[0] = { ...e.variants[0], cell: 'gru', init: { forgetBias: 1 } }), /variant "[^"]+": init\.forgetBias: gru has no forget gate/],
  ['a matrix init for a vector W_hh', (e) => (e.variants[0] = { ...e.variants[0], cell: 'indrnn', init: { recurrentWeights: 'orthogonal' } }), /init\.recurrentWeights: orthogonal needs a matrix, but indrnn's weight_hh is a vector; use pytorch or identity/],
  ['adding T too short for its variant', (e) => (e.task = { name: 'adding', T: 3, variant: 'hochreiter' }), /task\.T must be an integer/],
];

function writeDefinition(e: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-def-'));
  const file = join(dir, 'experiment.json');
  writeFileSync(file, JSON.stringify(e));
  return file;
}

// The bad inputs go through main() in this process (the binary runs main() and nothing else;
// test/experiment/fuzzInput.test.ts checks that they agree), which saves a second of start-up per
// case; the valid definition at the end runs the real binary.
describe('a bad experiment definition or option exits 2 with one line, before anything runs or is written', () => {
  it.each(cases)('%s', async (_what, mutate, message) => {
    const e = structuredClone(valid) as Record<string, any>;
    e.name = `validation-${Math.random().toString(36).slice(2, 8)}`;
    mutate(e);
    const r = await runMain(['experiment', writeDefinition(e)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(REPO, 'reports', e.name as string))).toBe(false);
  });

  it.each([
    [['experiment', 'no-such-experiment'], /unknown experiment "no-such-experiment".*vanishing/],
    [['experiment', 'vanishing', '--steps', '-3'], /--steps must be an integer >= 1/],
    [['experiment', 'vanishing', '--seeds', '1,x'], /--seeds must be a comma-separated list/],
    // --out may be any folder, but never one holding files gradlab did not write, nor a file.
    [['experiment', 'vanishing', '--out', 'reports/../src'], /--out: .*src is not empty and holds no gradlab results; choose a new or empty folder, or --force/],
    [['experiment', 'vanishing', '--out', 'package.json'], /--out: .*package\.json is a file; name a folder/],
    [['experiment', 'vanishing', '--seeds', '99999999999999999999'], /--seeds must be a comma-separated list of integers in \[0, 2\^53\)/],
    [['experiment', 'vanishing', '--seeds', '0,,1'], /--seeds .*an empty item/],
    [['experiment', 'vanishing', '--seeds', '3,3'], /--seeds lists 3 twice/],
    [['experiment', 'vanishing', '--resume', '--out', 'reports/never-ran-here'], /--resume: .*holds no gradlab run to resume/],
  ])('gradlab %j', async (args, message) => {
    const r = await runMain(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message as RegExp);
  });

  it('a valid definition runs and writes results.json under reports/<name>', () => {
    const e = { ...structuredClone(valid), name: `validation-ok-${process.pid}` };
    const r = gradlab(['experiment', writeDefinition(e)]);
    expect(r.stderr).toMatch(/wrote reports\/validation-ok-\d+\/results\.json/);
    expect(r.status).toBe(0);
    const dir = join(REPO, 'reports', e.name);
    expect(existsSync(join(dir, 'results.json'))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
