import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { printable } from '../../src/cli/terminalText.ts';
import { tempDir, writeDefinition, TINY } from '../helpers/durable.ts';
import { runMain } from '../helpers/inProcess.ts';

describe('what every CLI has', () => {
  it('--version prints the package version', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };
    const r = await runMain(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it('list --json gives every shipped experiment with its description', async () => {
    const r = await runMain(['list', '--json']);
    const list = JSON.parse(r.stdout) as { name: string; description: string }[];
    expect(list.map((e) => e.name)).toEqual([
      'accumulation', 'arjovsky-adding', 'arjovsky-copy', 'exploding', 'hochreiter-adding', 'irnn-adding', 'pascanu-clipping',
      'residual', 'seed-regression', 'vanishing', 'paper',
    ]);
    expect(list.every((e) => e.description.length > 10)).toBe(true);
  });

  it('--workers above the number of cores is capped, with one line', async () => {
    const cores = availableParallelism();
    const r = await runMain(['experiment', writeDefinition(TINY), '--workers', String(cores + 3), '--dry-run', '--out', '/tmp/never-written']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`gradlab: --workers ${cores + 3} is more than this machine's ${cores} cores; using ${cores}\n`);
  });

  it('--threads: more than the cores, or --workers x --threads past them, is bad input (exit 2, one line naming both)', async () => {
    const cores = availableParallelism();
    const def = writeDefinition(TINY);
    const over = await runMain(['experiment', def, '--threads', String(cores + 1), '--dry-run', '--out', '/tmp/never-written']);
    expect(over.code).toBe(2);
    expect(over.stderr).toBe(`gradlab: --threads: ${cores + 1} is more than this machine's ${cores} cores; use at most ${cores}\n`);
    const product = await runMain(['experiment', def, '--workers', String(cores), '--threads', '2', '--dry-run', '--out', '/tmp/never-written']);
    expect(product.code).toBe(2);
    expect(product.stderr).toBe(`gradlab: --threads: --workers ${cores} x --threads 2 = ${2 * cores} threads is more than this machine's ${cores} cores; lower one of them\n`);
    const zero = await runMain(['experiment', def, '--threads', '0', '--dry-run', '--out', '/tmp/never-written']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toBe('gradlab: --threads must be an integer >= 1, got "0"\n');
    // Alone, --threads leaves the workers the rest of the cores: accepted.
    expect((await runMain(['experiment', def, '--threads', String(cores), '--dry-run', '--out', '/tmp/never-written'])).code).toBe(0);
  });

  it('--set and --variant reach results.json: the config that ran, and the command that reproduces it', async () => {
    const out = join(tempDir('gradlab-set-'), 'out');
    const args = ['experiment', writeDefinition(TINY), '--set', 'defaults.hiddenSize=5', '--set', 'variants[name=gru].dropout=0.1', '--variant', 'g*', '--workers', '1', '--out', out, '--force'];
    const r = await runMain(args);
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { config: { variants: { name: string; hiddenSize: number; dropout: number }[] }; env: { command: string } };
    expect(results.config.variants.map((v) => [v.name, v.hiddenSize, v.dropout])).toEqual([['gru', 5, 0.1]]);
    expect(results.env.command).toBe(`gradlab ${args.slice(0, -1).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`);
  });

  it('names with control characters, line separators or bidi overrides reach the terminal escaped', async () => {
    expect(printable('a\u001b[31mred\u0007\u2028\u202eevil\u0085ok ü 漢')).toBe('a\\u{1b}[31mred\\u{7}\\u{2028}\\u{202e}evil\\u{85}ok ü 漢');
    const hostile = { ...TINY, name: 'durable-hostile', steps: 2, logEvery: 1, seeds: [0], variants: [{ name: 'x\u001b[2J\u202e' }] };
    const r = await runMain(['experiment', writeDefinition(hostile), '--workers', '1', '--out', join(tempDir('gradlab-hostile-'), 'out'), '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('x\\u{1b}[2J\\u{202e}: ');
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/[\u001b\u202e]/u);
  });
});
