import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkExportInput } from '../../src/export/input.ts';
import { rowsOf, type Cell, type Column, type ExportFormat, type ExportWhat, type Table } from '../../src/export/table.ts';
import { buildTable } from '../../src/export/tables.ts';
import { writeTableFile } from '../../src/export/writers.ts';
import type { Results } from '../../src/experiment/results.ts';
import { PYTHON, runPython } from '../helpers/python.ts';
import { gradlabExport } from './cliHarness.ts';
import { expectedDldh, expectedRuns, expectedSteps, settingNames } from './expected.ts';
import { editedResults, folderWith, realResults, removeTempDirs, tempDir } from './fixtures.ts';
import { readCsv, readJsonl, readParquet, type ReadBack, type Row } from './readBack.ts';

let real: Results;
let edited: Results;
beforeAll(async () => {
  real = await realResults();
  edited = editedResults(real);
});
afterAll(removeTempDirs);

const FORMATS: ExportFormat[] = ['csv', 'jsonl', 'parquet'];
const WHATS: ExportWhat[] = ['steps', 'dldh', 'runs'];
const EXPECTED = { steps: expectedSteps, dldh: expectedDldh, runs: expectedRuns };

async function readBack(file: string, format: ExportFormat, columns: readonly Column[]): Promise<ReadBack> {
  if (format === 'parquet') return readParquet(file);
  const text = readFileSync(file, 'utf8');
  return format === 'csv' ? readCsv(text, columns) : readJsonl(text);
}

/** Every (run, ...) key a table must have exactly once, from results.json. */
function expectedKeys(results: Results, what: ExportWhat): string[] {
  const config = results.config as { seeds: number[]; variants: { name: string }[] };
  const index = (r: Results['runs'][number]): number => config.variants.findIndex((v) => v.name === r.variant) * config.seeds.length + config.seeds.indexOf(r.seed);
  return results.runs.flatMap((r) => {
    if (what === 'runs') return [`${index(r)}`];
    if (what === 'steps') return r.log.map((e) => `${index(r)}/${e.step}`);
    return r.log.flatMap((e) => e.dLdh.flatMap((p, l) => p.map((_, t) => `${index(r)}/${e.step}/${l}/${t + 1}`)));
  }).sort();
}

function keyOf(row: Row, what: ExportWhat): string {
  return what === 'runs' ? `${row.run}` : what === 'steps' ? `${row.run}/${row.step}` : `${row.run}/${row.step}/${row.layer}/${row.t}`;
}

describe('gradlab export: every format and table reads back as results.json', () => {
  for (const fixture of ['real', 'edited'] as const) {
    for (const what of WHATS) {
      for (const format of FORMATS) {
        it(`${fixture} results, --what ${what}, --format ${format}`, async () => {
          const results = fixture === 'real' ? real : edited;
          const dir = folderWith(results);
          const r = await gradlabExport([dir, '--format', format, '--what', what]);
          expect(r.code, r.stderr).toBe(0);
          const file = join(dir, `export-${what}.${format}`);
          expect(r.stderr).toMatch(new RegExp(`^wrote .*export-${what}\\.${format}: \\d+ rows x \\d+ columns`));
          expect(r.stderr.split('\n')).toHaveLength(2);

          const columns = buildTable(checkExportInput(results), what).columns;
          const back = await readBack(file, format, columns);
          expect(back.header).toEqual(columns.map((c) => c.name));
          // Each (run, step, layer, t) exactly once, and nothing else.
          expect(back.rows.map((row) => keyOf(row, what)).sort()).toEqual(expectedKeys(results, what));
          for (const row of back.rows) {
            for (const c of columns) expect(row[c.name], `${c.name} of row ${keyOf(row, what)}`).toStrictEqual(EXPECTED[what](results, row, c.name));
          }
          // The identity and the same settings columns on every table, null where a variant lacks one.
          expect(columns.slice(0, 5).map((c) => c.name)).toEqual(['experiment', 'run', 'variant', 'seed', 'status']);
          for (const s of settingNames(results)) expect(columns.map((c) => c.name)).toContain(s);
          if (format === 'parquet') {
            const types = (back as ReadBack & { types: string[] }).types;
            expect(types.every((t) => t.endsWith('?'))).toBe(true);
            const typeOf = (name: string): string | undefined => types.find((t) => t.startsWith(`${name}:`))?.replace(/^.*:/, '');
            expect(typeOf('seed')).toBe('INT64?');
            expect(typeOf('variant')).toBe('BYTE_ARRAY/UTF8?');
            expect(typeOf('hiddenSize')).toBe('INT64?');
            expect(typeOf('optimizer.lr')).toBe('DOUBLE?');
            if (what === 'steps') expect([typeOf('step'), typeOf('gradNorm'), typeOf('clipped')]).toEqual(['INT64?', 'DOUBLE?', 'BOOLEAN?']);
            if (what === 'dldh') expect([typeOf('t'), typeOf('layer'), typeOf('dLdh')]).toEqual(['INT64?', 'INT64?', 'DOUBLE?']);
          }
        });
      }
    }
  }

  it('names the columns after results.json: settings with dots, layers as .l<k>, params and metrics by name', () => {
    const steps = buildTable(checkExportInput(real), 'steps').columns.map((c) => c.name);
    expect(steps).toEqual(expect.arrayContaining([
      'cell', 'hiddenSize', 'numLayers', 'optimizer.name', 'optimizer.lr', 'clip.kind', 'clip.maxNorm', 'task.name', 'task.T',
      'step', 'loss', 'valLoss', 'gradNorm', 'clipped', 'clipFactor', 'lr', 'updateRatio', 'sigmaMaxWhh.l0', 'sigmaMaxWhh.l1',
      'paramGradNorms.rnn.weight_hh_l0',
    ]));
    expect(steps).not.toContain('name');
    expect(steps).not.toContain('description');
    const runs = buildTable(checkExportInput(real), 'runs').columns.map((c) => c.name);
    expect(runs).toEqual(expect.arrayContaining([
      'stepsRun', 'durationMs', 'divergedAtStep', 'earlyStopped', 'error', 'metrics.loss', 'metrics.mse',
      'summary.reachAtStart.top.reach', 'summary.reachAtEnd.top.decadesPerStep', 'summary.reachAtEnd.top.firstToLast',
    ]));
  });

  it('the edited fixture really holds the gaps the round trip is meant to cover', () => {
    const rows = [...rowsOf(buildTable(checkExportInput(edited), 'steps'))];
    expect(rows.some((r) => r.includes(null))).toBe(true);
    expect(edited.runs.map((r) => r.status)).toEqual(['ok', 'diverged', 'interrupted', 'failed']);
    // The gru variant has no clipping: its clip.maxNorm is null, the lstm's is 1.
    const t = buildTable(checkExportInput(real), 'runs');
    const at = t.columns.findIndex((c) => c.name === 'clip.maxNorm');
    expect([...rowsOf(t)].map((r) => r[at])).toEqual([1, 1, null, null]);
  });

  it('--out - writes csv and jsonl to stdout, the same bytes as the file', async () => {
    const dir = folderWith(edited);
    for (const format of ['csv', 'jsonl'] as const) {
      const r = await gradlabExport([dir, '--format', format, '--what', 'runs', '--out', '-']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const f = await gradlabExport([dir, '--format', format, '--what', 'runs', '--out', join(dir, 'sub', `x.${format}`)]);
      expect(f.code, f.stderr).toBe(0);
      expect(r.stdout).toBe(readFileSync(join(dir, 'sub', `x.${format}`), 'utf8'));
    }
  });

  it('--what defaults to steps; a path to results.json works as its folder', async () => {
    const dir = folderWith(real);
    const r = await gradlabExport([join(dir, 'results.json'), '--format', 'jsonl']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'export-steps.jsonl'))).toBe(true);
    // No temporary left beside it.
    expect(readdirSync(dir).sort()).toEqual(['export-steps.jsonl', 'results.json']);
  });

  it('an interrupted run is exported with what it logged, and said on stderr', async () => {
    const r = await gradlabExport([folderWith(edited), '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('(1 of 4 runs unfinished, status "interrupted")');
  });

  it('a table without rows is a header (csv), an empty file (jsonl) or a schema (parquet)', async () => {
    const empty = { ...edited, runs: edited.runs.filter((r) => r.status === 'failed') };
    const dir = folderWith(empty);
    for (const format of FORMATS) {
      const r = await gradlabExport([dir, '--format', format, '--what', 'dldh']);
      expect(r.code, r.stderr).toBe(0);
      const columns = buildTable(checkExportInput(empty), 'dldh').columns;
      const back = await readBack(join(dir, `export-dldh.${format}`), format, columns);
      expect(back.rows).toEqual([]);
      if (format !== 'jsonl') expect(back.header).toEqual(columns.map((c) => c.name));
    }
  });
});

describe('gradlab export: bad input is one line and exit 2', () => {
  async function refused(args: string[], message: RegExp): Promise<void> {
    const r = await gradlabExport(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  }

  it('a folder without results.json, or no folder at all', async () => {
    const dir = tempDir('gradlab-export-empty-');
    await refused([dir, '--format', 'csv'], /^gradlab: export: .* has no results\.json; .*gradlab report/);
    await refused([join(dir, 'nope'), '--format', 'csv'], /^gradlab: export: .*nope does not exist/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a results.json that is not JSON, not a results file, or not exportable', async () => {
    await refused([folderWith('{"schema": "gradlab.results/1", '), '--format', 'csv'], /^gradlab: export: cannot read .*results\.json as JSON/);
    await refused([folderWith({ hello: 1 }), '--format', 'csv'], /^gradlab: export: .*results\.json is not a gradlab results file: results\.schema: /);
    const badStatus = JSON.parse(JSON.stringify(real)) as { runs: { status: string }[] };
    badStatus.runs[1].status = 'weird';
    await refused([folderWith(badStatus), '--format', 'jsonl'], /results\.runs\[1\]\.status: /);
    const badSeed = JSON.parse(JSON.stringify(real)) as { runs: { seed: number }[] };
    badSeed.runs[0].seed = 0.5;
    await refused([folderWith(badSeed), '--format', 'jsonl'], /results\.runs\[0\]\.seed: /);
    const noConfig = { ...real, config: {} };
    await refused([folderWith(noConfig), '--format', 'parquet'], /results\.config\.seeds: /);
    const stray = JSON.parse(JSON.stringify(real)) as { runs: { variant: string }[] };
    stray.runs[2].variant = 'not in config';
    await refused([folderWith(stray), '--format', 'csv'], /results\.runs\[2\]: variant "not in config" seed 0 is not in results\.config/);
  });

  it('unknown --format or --what, a missing --format, parquet to stdout, --out a folder', async () => {
    const dir = folderWith(real);
    await refused([dir, '--format', 'xlsx'], /^gradlab: export: --format must be csv, jsonl or parquet, got "xlsx"$/m);
    await refused([dir, '--format', 'csv', '--what', 'everything'], /^gradlab: export: --what must be steps, dldh or runs, got "everything"$/m);
    await refused([dir], /required option '--format <format>' not specified/);
    await refused([dir, '--format', 'parquet', '--out', '-'], /^gradlab: export: parquet is binary/);
    await refused([dir, '--format', 'csv', '--out', dir], /^gradlab: export: --out .* is a folder/);
    expect(readdirSync(dir)).toEqual(['results.json']);
  });
});

describe('gradlab export: values that are hard to write survive every format', () => {
  const COLUMNS: Column[] = [{ name: 'name', type: 'string' }, { name: 'x.y', type: 'double' }, { name: 's', type: 'string' }];

  /** Groups of rows (a shared name, then a double and a string per row), written and read back. */
  async function roundTrip(format: ExportFormat, groups: { shared: Cell[]; rows: Cell[][] }[]): Promise<Cell[][]> {
    const table: Table = { columns: COLUMNS, groups: () => groups };
    const file = join(tempDir('gradlab-export-prop-'), `t.${format}`);
    await writeTableFile(table, format, file);
    return (await readBack(file, format, COLUMNS)).rows.map((r) => COLUMNS.map((c) => r[c.name]));
  }

  it('doubles exactly (shortest round-trip decimals in CSV), strings with any characters, nulls apart from ""', async () => {
    // Any code point (unit 'binary'; no lone surrogates, which UTF-8 cannot hold), and often
    // what CSV must quote.
    const csvHard = fc.string({ unit: fc.constantFrom(',', '"', '\n', '\r', ' ', 'a', '1', 'ü', '\u2028') });
    const text = fc.option(fc.oneof(fc.string({ unit: 'binary' }), csvHard), { nil: null });
    // JSON (results.json, JSON lines) has no -0; results hold 0 there.
    const double = fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)), { nil: null });
    const group = fc.record({ shared: fc.tuple(text), rows: fc.array(fc.tuple(double, text), { maxLength: 12 }) });
    const numeric = fc.record({ shared: fc.tuple(text), rows: fc.array(fc.tuple(double, fc.constant(null)), { maxLength: 12 }) });
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(group, numeric), { maxLength: 4 }), async (groups) => {
      const expected = groups.flatMap((g) => g.rows.map((r) => [...g.shared, ...r]));
      for (const format of FORMATS) expect(await roundTrip(format, groups)).toStrictEqual(expected);
    }), { numRuns: 40 });
  });
});

/** Debian's pandas, or the install line: a reference we cannot run must fail, not skip. */
function requirePandas(): void {
  try {
    runPython(['-c', 'import pandas'], '');
  } catch {
    throw new Error(`${PYTHON} with pandas is needed to check the export against pandas; install: apt-get install -y --no-install-recommends python3-pandas (npm run setup)`);
  }
}

describe('gradlab export: pandas reads what JavaScript wrote', () => {
  it('read_csv and read_json(lines=True) give the same values and aggregates as results.json', async () => {
    requirePandas();
    const dir = folderWith(edited);
    for (const args of [['--format', 'csv'], ['--format', 'jsonl'], ['--format', 'csv', '--what', 'dldh'], ['--format', 'csv', '--what', 'runs']]) {
      const r = await gradlabExport([dir, ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
    const script = `
import json, sys
import pandas as pd
d = sys.argv[1]
steps = pd.read_csv(d + '/export-steps.csv', float_precision='round_trip')
lines = pd.read_json(d + '/export-steps.jsonl', lines=True, dtype=False, precise_float=True)
dldh = pd.read_csv(d + '/export-dldh.csv', float_precision='round_trip')
runs = pd.read_csv(d + '/export-runs.csv', float_precision='round_trip')
def floats(s): return [None if pd.isna(x) else float(x) for x in s]
print(json.dumps({
  'rows': len(steps), 'linesRows': len(lines),
  'gradNorm': floats(steps['gradNorm']), 'linesGradNorm': floats(lines['gradNorm']),
  'clippedDtype': str(steps['clipped'].dtype),
  'lossSumByVariant': {k: float(v) for k, v in steps.groupby('variant')['loss'].sum().items()},
  'lossNulls': int(steps['loss'].isna().sum()),
  'lrByVariant': {k: float(v) for k, v in steps.groupby('variant')['optimizer.lr'].first().items()},
  'maxNormNulls': int(steps['clip.maxNorm'].isna().sum()),
  'dldhCountByLayer': {str(k): int(v) for k, v in dldh.groupby('layer')['dLdh'].size().items()},
  'dldhMax': float(dldh['dLdh'].max()),
  'statuses': list(runs['status']), 'errors': [None if pd.isna(x) else x for x in runs['error']],
}))
`;
    const py = JSON.parse(runPython(['-c', script, dir], '')) as {
      rows: number; linesRows: number; gradNorm: (number | null)[]; linesGradNorm: (number | null)[]; clippedDtype: string;
      lossSumByVariant: Record<string, number>; lossNulls: number; lrByVariant: Record<string, number>; maxNormNulls: number;
      dldhCountByLayer: Record<string, number>; dldhMax: number; statuses: string[]; errors: (string | null)[];
    };
    const entries = edited.runs.flatMap((r) => r.log.map((e) => ({ r, e })));
    expect(py.rows).toBe(entries.length);
    expect(py.linesRows).toBe(entries.length);
    // Bit-exact doubles through CSV (float_precision='round_trip') and JSON lines.
    expect(py.gradNorm).toStrictEqual(entries.map(({ e }) => e.gradNorm));
    expect(py.linesGradNorm).toStrictEqual(entries.map(({ e }) => e.gradNorm));
    expect(py.clippedDtype).toBe('bool');
    expect(py.lossNulls).toBe(entries.filter(({ e }) => e.loss === null).length);
    for (const v of new Set(entries.map(({ r }) => r.variant))) {
      const sum = entries.filter(({ r }) => r.variant === v).reduce((s, { e }) => s + (e.loss ?? 0), 0);
      expect(py.lossSumByVariant[v]).toBeCloseTo(sum, 12);
      expect(py.lrByVariant[v]).toBe(0.01);
    }
    expect(py.maxNormNulls).toBe(entries.filter(({ r }) => r.variant.startsWith('gru')).length);
    const byLayer: Record<string, number> = {};
    let max = -Infinity;
    for (const { e } of entries) {
      e.dLdh.forEach((p, l) => {
        byLayer[l] = (byLayer[l] ?? 0) + p.length;
        for (const x of p) if (x !== null) max = Math.max(max, x);
      });
    }
    expect(py.dldhCountByLayer).toEqual(byLayer);
    expect(py.dldhMax).toBe(max);
    expect(py.statuses).toEqual(edited.runs.map((r) => r.status));
    expect(py.errors).toEqual(edited.runs.map((r) => r.error ?? null));
  });
});
