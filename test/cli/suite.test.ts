import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/experiment/registry.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { loadSuite } from '../../src/experiment/suites.ts';
import { writeReportsIndex } from '../../src/report/write.ts';
import { runMain } from '../helpers/inProcess.ts';

const root = mkdtempSync(join(tmpdir(), 'gradlab-suite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('gradlab experiment paper (a suite)', () => {
  it('runs every member into <out>/<experiment>/ and writes one page of every claim with its verdict, and suite.json', async () => {
    const out = join(root, 'paper');
    // --quick with 2 steps: the mechanics, not the science (three seeds, so the rules count n = 3).
    const r = await runMain(['experiment', 'paper', '--quick', '--steps', '2', '--out', out, '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    const suite = await loadSuite('paper');
    let claims = 0;
    for (const name of suite.experiments) {
      expect(existsSync(join(out, name, 'results.json')), name).toBe(true);
      expect(existsSync(join(out, name, 'index.html')), name).toBe(true);
      claims += resolveExperiment(await loadExperiment(name), { quick: true }).claims.length;
    }
    expect(claims).toBeGreaterThanOrEqual(12);
    const doc = new JSDOM(readFileSync(join(out, 'index.html'), 'utf8')).window.document;
    const rows = [...doc.querySelectorAll('#paper-claims tbody tr')];
    expect(rows).toHaveLength(claims);
    for (const row of rows) {
      const href = row.querySelector('a')!.getAttribute('href')!;
      const [file, anchor] = href.split('#');
      expect(existsSync(join(out, decodeURIComponent(file))), href).toBe(true);
      // The link lands on the claim's row in the member's report.
      const member = new JSDOM(readFileSync(join(out, decodeURIComponent(file)), 'utf8')).window.document;
      expect(member.getElementById(decodeURIComponent(anchor)), href).not.toBeNull();
      expect(['reproduced', 'partly', 'not reproduced', 'not judged']).toContain(row.getAttribute('data-verdict'));
    }
    expect(doc.querySelector('.warning')?.textContent).toMatch(/--quick/);
    const summary = JSON.parse(readFileSync(join(out, 'suite.json'), 'utf8')) as { schema: string; experiments: { name: string; exitCode: number; claims: { rules: { seeds: number }[] }[] }[] };
    expect(summary.schema).toBe('gradlab.suite/1');
    expect(summary.experiments.map((e) => [e.name, e.exitCode])).toEqual(suite.experiments.map((n) => [n, 0]));
    for (const e of summary.experiments) for (const c of e.claims) for (const rule of c.rules) expect(rule.seeds).toBe(3);
    // The reports index lists the suite's page, and each member's report under it.
    const index = new JSDOM(readFileSync(writeReportsIndex(root), 'utf8')).window.document;
    const suiteRow = index.querySelector('tr[data-dir="paper"]');
    expect(suiteRow?.textContent).toContain('suite: paper');
    expect(suiteRow?.querySelector('a')?.getAttribute('href')).toBe('paper/index.html');
    for (const name of suite.experiments) expect(index.querySelector(`tr[data-dir="paper/${name}"]`), name).not.toBeNull();
  }, 120_000);

  it('gradlab report <suite folder> renders the summary again from the members\' results; a folder path out of it is refused', async () => {
    const out = join(root, 'paper');
    const before = readFileSync(join(out, 'index.html'), 'utf8');
    rmSync(join(out, 'index.html'));
    const r = await runMain(['report', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe(before);
    const summary = JSON.parse(readFileSync(join(out, 'suite.json'), 'utf8')) as { experiments: { folder: string }[] };
    summary.experiments[0].folder = '../elsewhere';
    writeFileSync(join(out, 'suite.json'), JSON.stringify(summary));
    const bad = await runMain(['report', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/is not a gradlab suite file: suite\.experiments\[0\]\.folder/);
  });

  it('--dry-run validates every member and writes nothing', async () => {
    const out = join(root, 'dry');
    const r = await runMain(['experiment', 'paper', '--dry-run', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const suite = await loadSuite('paper');
    for (const name of suite.experiments) expect(r.stdout).toContain(`${name}: `);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    [['--set', 'steps=5'], /^gradlab: --set applies to one experiment, not to the suite "paper"/],
    [['--variant', 'lstm*'], /^gradlab: --variant applies to one experiment/],
    [['--shard', '0/2'], /^gradlab: --shard applies to one experiment/],
    [['--resume'], /^gradlab: --resume: .* does not exist; run without --resume/],
  ])('refuses %j with exit 2 and one line, writing nothing', async (args, message) => {
    const out = join(root, `refused-${args[0].slice(2)}`);
    const r = await runMain(['experiment', 'paper', '--quick', '--out', out, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a non-empty folder that holds no suite run', async () => {
    const out = join(root, 'occupied');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const r = await runMain(['experiment', 'paper', '--quick', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not empty and holds no suite run; choose a new or empty folder, or --force/);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
