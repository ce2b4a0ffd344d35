import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync, existsSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import type { Results } from '../../src/experiment/results.ts';
import { clientScript } from '../../src/report/client.ts';
import { escapeHtml, jsonForScript } from '../../src/report/escape.ts';
import { metricsTable, renderReport } from '../../src/report/render.ts';
import { meanStd, median } from '../../src/report/stats.ts';
import { REACH_THRESHOLD } from '../../src/diagnostics/gradientReach.ts';
import { verdictFor } from '../../src/report/verdict.ts';
import { buildView } from '../../src/report/view.ts';
import { PLOTLY_FILE, plotlySource, writeReport, writeReportsIndex } from '../../src/report/write.ts';
import { HOSTILE_DESCRIPTION, HOSTILE_NAME, hostileResults, syntheticResults } from './fixtures.ts';

/** The page's script, as the report inlines it. */
const CLIENT_SCRIPT = clientScript();

function parse(html: string): Document {
  return new JSDOM(html).window.document;
}

/** The chart containers every report has, besides one heatmap per variant. */
const FIXED_CHARTS = ['flow-start', 'flow-middle', 'flow-end', 'loss-chart', 'gradnorm-chart', 'sigma-chart', 'params-chart', 'update-chart'];
/** The gate charts of a report whose runs recorded LogEntry.gates (the hostile fixture's do). */
const GATE_CHARTS = ['gates-dldc', 'gates-grad', 'gates-sat'];

describe('escaping', () => {
  it('escapeHtml escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(escapeHtml(12)).toBe('12');
  });

  it('jsonForScript round-trips and never contains <, > or &', () => {
    const value = { a: '</script><!-- <script>', b: 'x & y > z', c: 'line\u2028sep\u2029', n: [1, null, -0.5] };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('renderReport', () => {
  const results = hostileResults();
  const html = renderReport(results, { plotlyPath: 'plotly.min.js' });
  const doc = parse(html);

  it('embeds results.json exactly', () => {
    const block = doc.getElementById('gradlab-data');
    expect(block?.getAttribute('type')).toBe('application/json');
    expect(JSON.parse(block!.textContent!)).toEqual(JSON.parse(JSON.stringify(results)));
  });

  it('has every chart container', () => {
    const variants = results.runs.map((r) => r.variant).filter((v, i, a) => a.indexOf(v) === i);
    for (let i = 0; i < variants.length; i++) expect(doc.getElementById(`heatmap-${i}`)?.classList.contains('chart')).toBe(true);
    for (const id of [...FIXED_CHARTS, ...GATE_CHARTS]) expect(doc.getElementById(id)?.classList.contains('chart'), id).toBe(true);
    expect(doc.querySelectorAll('.chart').length).toBe(variants.length + FIXED_CHARTS.length + GATE_CHARTS.length);
    expect(doc.getElementById('layer-select')?.querySelectorAll('option').length).toBe(2);
  });

  it('shows hostile names as text and never breaks out of a script', () => {
    expect(doc.querySelectorAll('img').length).toBe(0);
    expect(doc.querySelectorAll('b').length).toBe(doc.querySelectorAll('.kpi b').length);
    // Exactly the four scripts the renderer writes: two JSON blocks, Plotly, the inline script.
    const scripts = [...doc.querySelectorAll('script')];
    expect(scripts.map((s) => s.id || s.getAttribute('src') || 'inline')).toEqual(['gradlab-data', 'gradlab-view', 'plotly.min.js', 'inline']);
    expect(doc.querySelector('#panel-0 h3')?.textContent).toBe(HOSTILE_NAME);
    expect(doc.querySelector('#panel-0 .desc')?.textContent).toContain(HOSTILE_DESCRIPTION);
    expect(doc.getElementById('experiment-description')?.textContent).toBe(results.description);
    expect(doc.getElementById('experiment-notes')?.textContent).toContain('notes with <i>tags</i> & </script>');
    expect(doc.querySelector('#variant-legend')?.textContent).toContain(HOSTILE_NAME);
    // The inline script is the static client code, untouched by any data.
    expect(scripts[3].textContent).toBe(CLIENT_SCRIPT);
    expect(() => new Function(CLIENT_SCRIPT)).not.toThrow();
  });

  it('shows the header: experiment, task, versions, commit and the reproduce command', () => {
    expect(doc.getElementById('experiment-name')?.textContent).toBe('hostile');
    expect(doc.getElementById('reproduce-command')?.textContent).toBe(results.env.command);
    const meta = doc.querySelector('.meta')!.textContent!;
    for (const s of ['adding (T = 12', results.env.startedAt, 'cpu', results.env.gradlab, results.env.node, results.env.platform, '0123456789ab']) {
      expect(meta).toContain(s);
    }
  });

  it('metrics table shows mean ± std over the runs with a finite value, with n', () => {
    const table = doc.getElementById('metrics-table')!;
    const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
    expect(headers).toEqual(['variant', 'loss', 'mse']);
    const rows = [...table.querySelectorAll('tbody tr[data-variant]')];
    expect(rows.map((r) => r.getAttribute('data-variant'))).toEqual([HOSTILE_NAME, 'lstm']);
    for (const row of rows) {
      const variant = row.getAttribute('data-variant')!;
      const runs = results.runs.filter((r) => r.variant === variant);
      row.querySelectorAll('td').forEach((td, j) => {
        const metric = headers[j + 1]!;
        const values = runs.map((r) => r.metrics[metric]).filter((v): v is number => typeof v === 'number');
        expect(Number(td.getAttribute('data-n'))).toBe(values.length);
        const mean = values.reduce((s, v) => s + v, 0) / values.length;
        expect(Number(td.getAttribute('data-mean'))).toBeCloseTo(mean, 12);
        if (values.length > 1) {
          const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
          expect(Number(td.getAttribute('data-std'))).toBeCloseTo(std, 12);
          expect(td.textContent).toContain('±');
        } else {
          expect(td.hasAttribute('data-std')).toBe(false);
        }
        expect(td.textContent).toContain(`n=${values.length}/${runs.length}`);
        expect(Number(td.textContent!.split(/[ ±]/)[0])).toBeCloseTo(mean, 3);
      });
    }
    // The hostile variant has one diverged seed with null metrics: n = 1 of 2.
    expect(rows[0].querySelector('td')?.getAttribute('data-n')).toBe('1');
    expect(doc.querySelector('tr.baseline')?.textContent).toContain('0.1667');
  });

  it('marks the diverged run with its step', () => {
    const diverged = results.runs.find((r) => r.status === 'diverged')!;
    const row = doc.querySelector(`#runs-table tr.run-diverged`)!;
    expect(row.getAttribute('data-variant')).toBe(diverged.variant);
    expect(row.getAttribute('data-seed')).toBe(String(diverged.seed));
    expect(row.querySelector('.status-diverged')?.textContent).toBe(`diverged at step ${diverged.divergedAtStep}`);
    expect(doc.getElementById('verdict-0')?.textContent).toContain(`seed 1 at step ${diverged.divergedAtStep}`);
    expect(doc.querySelectorAll('#runs-table tbody tr').length).toBe(results.runs.length);
  });

  it('shows a failed run with its error, escaped', () => {
    const r = hostileResults();
    r.runs[2] = { ...r.runs[2], status: 'failed', error: 'boom <script>alert(3)</script>', log: [], summary: null, metrics: {} };
    const d = parse(renderReport(r, { plotlyPath: 'plotly.min.js' }));
    const row = d.querySelector('#runs-table tr.run-failed')!;
    expect(row.querySelector('.status-failed')?.textContent).toBe('failed');
    expect(row.querySelector('.error-text')?.textContent).toBe('boom <script>alert(3)</script>');
    expect(d.querySelectorAll('script').length).toBe(4);
  });
});

describe('chart data', () => {
  it('uses one colour scale over all variants and leaves nulls as gaps', () => {
    const results = hostileResults();
    const view = buildView(results);
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of results.runs) for (const e of r.log) for (const row of e.dLdh) for (const v of row) {
      if (v !== null && v > 0) { lo = Math.min(lo, Math.log10(v)); hi = Math.max(hi, Math.log10(v)); }
    }
    // Medians lie within the extremes of the individual runs.
    expect(view.zmin!).toBeGreaterThanOrEqual(Math.floor(lo * 1000) / 1000);
    expect(view.zmax!).toBeLessThanOrEqual(Math.ceil(hi * 1000) / 1000);
    for (const v of view.variants) for (const layer of v.heat.z) for (const row of layer) for (const z of row) {
      if (z !== null) { expect(z).toBeGreaterThanOrEqual(view.zmin!); expect(z).toBeLessThanOrEqual(view.zmax!); }
    }
    // The hostile variant's seed 1 diverged at step 20: from there only seed 0 counts.
    const v0 = view.variants[0];
    expect(v0.heat.steps).toEqual([0, 10, 20, 30, 40]);
    expect(v0.heat.n).toEqual([2, 2, 2, 1, 1]);
    const seed0At20 = results.runs.find((r) => r.variant === HOSTILE_NAME && r.seed === 0)!.log.find((e) => e.step === 20)!;
    expect(v0.heat.z[0][2][0]).toBeCloseTo(Math.log10(seed0At20.dLdh[0][0] as number), 2);
    expect(v0.loss.median[2]).toBeCloseTo(seed0At20.loss as number, 3);
    expect(v0.clipNorm).toBe(1);
    expect(v0.clipped.length).toBeGreaterThan(0);
    expect(view.variants[1].numLayers).toBe(2);
    expect(view.lossBaselines).toEqual([{ value: 1 / 6, note: results.baselines[0].note }]);
  });

  it('survives a run whose every number is null, and one with no log at all', () => {
    const r = hostileResults();
    for (const e of r.runs[0].log) {
      e.loss = null; e.gradNorm = null; e.dLdh = e.dLdh.map((row) => row.map(() => null)); e.sigmaMaxWhh = [null];
    }
    r.runs[0].summary = null;
    r.runs[1] = { ...r.runs[1], log: [], summary: null, status: 'failed', error: 'x' };
    const html = renderReport(r, { plotlyPath: 'p.js' });
    const view = buildView(r);
    expect(view.variants[0].heat.z[0].every((row) => row.every((z) => z === null))).toBe(true);
    expect(view.variants[0].loss.median.every((v) => v === null)).toBe(true);
    expect(parse(html).getElementById('verdict-0')?.textContent).toContain('No gradient profile');
  });

  it('draws every chart with the shared scale when the page script runs (Plotly stubbed)', async () => {
    const results = hostileResults();
    const calls: { id: string; data: any[]; layout: any }[] = [];
    const dom = new JSDOM(renderReport(results, { plotlyPath: 'missing.js' }), {
      runScripts: 'dangerously',
      beforeParse(window) {
        (window as any).Plotly = {
          react(el: HTMLElement, data: any[], layout: any) {
            calls.push({ id: el.id, data, layout });
            return Promise.resolve(el);
          },
        };
      },
    });
    const errors: unknown[] = [];
    dom.window.addEventListener('error', (e) => errors.push(e.error));
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toEqual([]);
    expect(dom.window.document.body.getAttribute('data-gradlab-rendered')).toBe('done');
    const ids = calls.map((c) => c.id).sort();
    expect(ids).toEqual(['heatmap-0', 'heatmap-1', ...FIXED_CHARTS, ...GATE_CHARTS].sort());
    const heat = calls.filter((c) => c.id.startsWith('heatmap-')).map((c) => c.data.find((t) => t.type === 'heatmap'));
    const view = buildView(results);
    for (const t of heat) { expect(t.zmin).toBe(view.zmin); expect(t.zmax).toBe(view.zmax); }
    // Names reach Plotly escaped (Plotly renders a subset of HTML in labels).
    const names = calls.flatMap((c) => c.data.map((t) => t.name)).filter(Boolean);
    expect(names.some((n: string) => n.startsWith('&lt;img src=x'))).toBe(true);
    expect(names.some((n: string) => n.includes('<img'))).toBe(false);
    // The layer selector redraws the layered charts with layer 1 (clamped for one-layer variants).
    const select = dom.window.document.getElementById('layer-select') as HTMLSelectElement;
    calls.length = 0;
    select.value = '1';
    select.dispatchEvent(new dom.window.Event('change'));
    const lstm = calls.find((c) => c.id === 'heatmap-1')!.data[0];
    expect(lstm.z).toEqual(view.variants[1].heat.z[1]);
    expect(calls.find((c) => c.id === 'heatmap-0')!.data[0].z).toEqual(view.variants[0].heat.z[0]);
    expect(dom.window.document.querySelector('#panel-1 .kpi[data-layer="1"]')?.hasAttribute('hidden')).toBe(false);
    dom.window.close();
  });

  it('embeds the reach threshold from REACH_THRESHOLD (1e-6), and the page draws its line there', async () => {
    const html = renderReport(hostileResults(), { plotlyPath: 'missing.js' });
    const embedded = JSON.parse(parse(html).getElementById('gradlab-view')!.textContent!).reachThreshold;
    expect(embedded).toBe(REACH_THRESHOLD);
    expect(embedded).toBe(1e-6);
    const calls: { id: string; data: any[] }[] = [];
    const dom = new JSDOM(html, {
      runScripts: 'dangerously',
      beforeParse(window) {
        (window as any).Plotly = { react(el: HTMLElement, data: any[]) { calls.push({ id: el.id, data }); return Promise.resolve(el); } };
      },
    });
    await new Promise((r) => setTimeout(r, 10));
    const select = dom.window.document.getElementById('flow-scale') as HTMLSelectElement;
    calls.length = 0;
    select.value = 'rel';
    select.dispatchEvent(new dom.window.Event('change'));
    const line = calls.find((c) => c.id === 'flow-end')!.data.find((t) => t.name === 'reach threshold');
    expect(line.y).toEqual([1e-6, 1e-6]);
    expect(line.hovertemplate).toContain('1.0e-6 of');
    dom.window.close();
  });

  it('says "plotly.min.js could not be loaded" instead of failing when Plotly is missing', async () => {
    const dom = new JSDOM(renderReport(hostileResults(), { plotlyPath: 'missing.js' }), { runScripts: 'dangerously' });
    expect(dom.window.document.body.getAttribute('data-gradlab-rendered')).toBe('no-plotly');
    expect(dom.window.document.getElementById('render-error')?.textContent).toContain('plotly.min.js could not be loaded');
    dom.window.close();
  });
});

describe('verdicts', () => {
  const make = (decay: [number, number]) => syntheticResults({
    experiment: 'v', description: 'd', T: 50, steps: 20, logEvery: 10, seeds: [0, 1, 2],
    variants: [{ name: 'a', description: '', cell: 'rnn_tanh', decay, finalLoss: 0.2, sigma: [1, 1] }],
  });

  it('calls a gradient that falls below 1e-6 of ||dL/dh_T|| vanishing, with the numbers', () => {
    const r = make([0.3, 0.3]);
    const v = verdictFor(r, 'a');
    expect(v.label).toBe('vanishing');
    const ratio = median(r.runs.map((x) => x.summary!.reachAtEnd[0].firstToLast));
    expect(v.sentences[0]).toMatch(/the gradient at t=1 is \S+e-\d+ of that at t=T/);
    expect(v.sentences[0]).toContain(`of that at t=T`);
    expect(ratio!).toBeLessThan(1e-6);
    expect(v.sentences[0]).toContain('— vanishing');
    expect(v.sentences.join(' ')).toContain('does not beat the baseline');
  });

  it('calls a flat profile preserved and does not claim vanishing', () => {
    const v = verdictFor(make([0.005, 0.005]), 'a');
    expect(v.label).toBe('preserved');
    expect(v.sentences.join(' ')).not.toContain('vanishing');
    expect(v.layers[0].end.reach).toBe(50);
  });

  it('mean/std helpers ignore nulls', () => {
    expect(meanStd([1, null, 3])).toEqual({ mean: 2, std: Math.SQRT2, n: 2 });
    expect(meanStd([null])).toEqual({ mean: null, std: null, n: 0 });
    expect(median([3, null, 1, 2])).toBe(2);
    expect(metricsTable(hostileResults()).rows[0].cells.loss.n).toBe(1);
  });
});

describe('writeReport / writeReportsIndex', () => {
  it('writes index.html with Plotly next to it, and copies Plotly only once', () => {
    const root = mkdtempSync(join(tmpdir(), 'gradlab-report-'));
    const dir = join(root, 'hostile');
    const path = writeReport(dir, hostileResults());
    expect(path).toBe(join(dir, 'index.html'));
    const html = readFileSync(path, 'utf8');
    expect(html).toContain(`<script src="${PLOTLY_FILE}"></script>`);
    const plotly = join(dir, PLOTLY_FILE);
    expect(statSync(plotly).size).toBe(statSync(plotlySource()).size);
    const old = new Date(2000, 0, 1);
    utimesSync(plotly, old, old);
    writeReport(dir, hostileResults());
    expect(statSync(plotly).mtime.getTime()).toBe(old.getTime());
    writeFileSync(plotly, 'truncated');
    writeReport(dir, hostileResults());
    expect(statSync(plotly).size).toBe(statSync(plotlySource()).size);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('lists every results.json, newest first, escaped and linked', () => {
    const root = mkdtempSync(join(tmpdir(), 'gradlab-reports-'));
    const put = (dir: string, r: Results, render = true) => {
      mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, dir, 'results.json'), JSON.stringify(r));
      if (render) writeReport(join(root, dir), r);
    };
    const older = hostileResults();
    older.env.startedAt = '2025-01-01T00:00:00.000Z';
    const newer = hostileResults();
    newer.experiment = '<img src=x onerror=alert(1)>';
    newer.env.startedAt = '2026-06-01T00:00:00.000Z';
    put('older', older);
    put('newer one', newer);
    put('unrendered', { ...older, env: { ...older.env, startedAt: '2025-06-01T00:00:00.000Z' } }, false);
    mkdirSync(join(root, 'broken'));
    writeFileSync(join(root, 'broken', 'results.json'), '{ not json');
    mkdirSync(join(root, 'empty'));
    const path = writeReportsIndex(root);
    expect(path).toBe(join(root, 'index.html'));
    const doc = parse(readFileSync(path, 'utf8'));
    const rows = [...doc.querySelectorAll('#reports-table tbody tr')];
    expect(rows.map((r) => r.getAttribute('data-dir'))).toEqual(['newer one', 'unrendered', 'older', 'broken']);
    expect(doc.querySelectorAll('img').length).toBe(0);
    expect(rows[0].querySelector('a')?.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(rows[0].querySelector('a')?.getAttribute('href')).toBe('newer%20one/index.html');
    expect(rows[1].querySelector('a')).toBeNull();
    expect(rows[2].textContent).toContain('1 diverged');
    expect(rows[3].textContent).toContain('unreadable results.json');
    expect(existsSync(join(root, 'newer one', 'index.html'))).toBe(true);
  });
});
