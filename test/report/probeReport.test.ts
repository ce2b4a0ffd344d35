import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import type { ProbeResults } from '../../src/records/probe.ts';
import { clientScript } from '../../src/report/client.ts';
import { decadeTicks } from '../../src/report/client/plot.ts';
import { renderProbeReport } from '../../src/report/probeRender.ts';
import { buildProbeView, gapCounts, heatOf } from '../../src/report/probeView.ts';
import { writeProbeReport } from '../../src/report/probeWrite.ts';
import { fmt } from '../../src/report/stats.ts';
import { PLOTLY_FILE, plotlySource, writeReportsIndex } from '../../src/report/write.ts';
import { gruProbe, HOSTILE_DATA, HOSTILE_FILE, HOSTILE_KEY, lstmProbe } from './probeFixtures.ts';
import { runWithStub } from './plotlyStub.ts';

/** `gradlab probe`'s page: one model on one batch. */

const render = (r: ProbeResults): string => renderProbeReport(r, { plotlyPath: 'plotly.min.js' });
const parse = (html: string): Document => new JSDOM(html).window.document;
const chartIds = (doc: Document): string[] => [...doc.querySelectorAll('.chart')].map((e) => e.id);

const LSTM_CHARTS = ['probe-dldh', 'probe-dldc', 'probe-gates-0', 'probe-sat-0', 'probe-gates-1', 'probe-sat-1', 'probe-heat-dldh', 'probe-heat-dldc'];
const GRU_CHARTS = ['probe-dldh', 'probe-gates-0', 'probe-sat-0', 'probe-heat-dldh'];

describe('renderProbeReport: the page', () => {
  const lstm = lstmProbe();
  const html = render(lstm);
  const doc = parse(html);

  it('shows hostile file names and keys as text, never as tags, and only its own four scripts', () => {
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>weight</b>');
    expect(doc.querySelectorAll('img, b').length).toBe(0);
    expect(doc.getElementById('probe-weights')?.textContent).toBe(HOSTILE_FILE);
    expect(doc.getElementById('probe-data')?.textContent).toBe(HOSTILE_DATA);
    expect(doc.getElementById('reproduce-command')?.textContent).toBe(lstm.env.command);
    expect(doc.title).toContain(HOSTILE_FILE);
    expect(doc.getElementById('ignored-notice')?.textContent).toContain(HOSTILE_KEY);
    expect(doc.getElementById('ignored-notice')?.textContent).toContain('9 tensors in the weights file went unused');
    expect(doc.getElementById('ignored-keys')?.textContent?.split('\n')).toEqual(lstm.source.ignoredKeys);
    const scripts = [...doc.querySelectorAll('script')];
    expect(scripts.map((s) => s.id || s.getAttribute('src') || 'inline')).toEqual(['gradlab-data', 'gradlab-probe-view', 'plotly.min.js', 'inline']);
    expect(scripts[3].textContent).toBe(clientScript('probe'));
    expect(JSON.parse(scripts[0].textContent!)).toEqual(JSON.parse(JSON.stringify(lstm)));
  });

  it('says the model, loss, batch, what the norms are over and the dtype', () => {
    expect(doc.getElementById('probe-model')?.textContent).toBe('lstm, 3 inputs, hidden size 16, 2 layers, a linear head to 1 output');
    const meta = doc.getElementById('probe-meta')!.textContent!;
    for (const s of ['MSE at the last step = 0.0421', '32 sequences × 40 steps', 'the whole batch (32 sequences)', 'float64', 'keys under rnn', 'head keys']) expect(meta).toContain(s);
    const gru = parse(render(gruProbe()));
    expect(gru.getElementById('probe-model')?.textContent).toContain('1 layer, no head');
    const gMeta = gru.getElementById('probe-meta')!.textContent!;
    for (const s of ['cross-entropy at every step = 1.234', 'sequence 3 of the batch only', 'float32']) expect(gMeta).toContain(s);
    expect(gMeta).not.toContain('head keys');
    expect(gru.getElementById('ignored-notice')).toBeNull();
  });

  it('has a summary row per layer: σ_max, and reach, decades/step and first/last of dL/dh and (LSTM) dL/dc', () => {
    const rows = [...doc.querySelectorAll('#probe-summary tbody tr')];
    expect(rows.map((r) => r.getAttribute('data-layer'))).toEqual(['0', '1']);
    for (const [i, row] of rows.entries()) {
      const l = lstm.layers[i];
      const cells = [...row.querySelectorAll('td')].map((td) => td.textContent);
      expect(cells).toEqual([
        fmt(l.sigmaMaxWhh, 4),
        `${l.reach.reach} of 40`, fmt(l.reach.decadesPerStep, 3), fmt(l.reach.firstToLast, 3),
        `${l.reachC!.reach} of 40`, fmt(l.reachC!.decadesPerStep, 3), fmt(l.reachC!.firstToLast, 3),
      ]);
    }
    // The top layer's first dL/dh is NaN: its ratio is missing, said as a dash.
    expect(rows[1].querySelectorAll('td')[3].textContent).toBe('—');
    const gru = parse(render(gruProbe()));
    expect(gru.querySelectorAll('#probe-summary tbody tr td').length).toBe(4);
    expect(gru.getElementById('probe-summary')?.textContent).not.toContain('dL/dc');
    expect(gru.getElementById('sec-summary')?.textContent).toContain('The loss is at every step here');
  });

  it('has every chart, with a caption, and the dL/dc ones only for the LSTM', () => {
    expect(chartIds(doc)).toEqual(LSTM_CHARTS);
    for (const id of LSTM_CHARTS) expect(doc.getElementById(id)!.parentElement!.querySelector('.caption')?.textContent?.length, id).toBeGreaterThan(5);
    expect(chartIds(parse(render(gruProbe())))).toEqual(GRU_CHARTS);
    expect(doc.getElementById('sec-gates')?.textContent).toContain('forget gate f saturated near 1 keeps dL/dc_t flat');
    expect(doc.getElementById('sec-gates')?.textContent).toContain('dotted: the part saturated high (σ > 0.95, tanh > 0.9)');
    expect(doc.getElementById('sec-gates')?.textContent).not.toContain('which side');
    expect(parse(render(gruProbe())).getElementById('sec-gates')?.textContent).toContain('update gate z saturated near 1');
  });

  it('says in words what is drawn as a gap', () => {
    expect(doc.querySelector('#sec-time .gaps')?.textContent).toBe('Drawn as gaps: ‖dL/dh_t‖ layer 1: NaN/Inf at 2 of 40 timesteps; ‖dL/dh_t‖ layer 1: exactly 0 at 1 of 40 timesteps (no place on a log axis).');
    expect(doc.querySelector('#sec-gates .gaps')?.textContent).toContain('gate f, layer 1: NaN/Inf at 1 of 40 timesteps');
    expect(doc.querySelector('#sec-units .caption')?.textContent).toContain('1 cell NaN/Inf (blank); 1 cell exactly 0');
    expect(parse(render(gruProbe())).querySelectorAll('.gaps').length).toBe(0);
  });
});

describe('probe chart data', () => {
  it('keeps log-axis values positive or null, saturation as is, and colours gates by name', () => {
    const r = lstmProbe();
    const view = buildProbeView(r);
    expect(view.T).toBe(40);
    expect(view.dLdh.map((s) => s.name)).toEqual(['layer 0', 'layer 1']);
    expect(view.dLdh[1].y.slice(0, 4)).toEqual([null, null, null, Number((r.layers[1].dLdh[3] as number).toPrecision(4))]);
    expect(view.dLdc?.length).toBe(2);
    expect(view.gates[1].grad.map((g) => g.name)).toEqual(['i', 'f', 'g', 'o']);
    expect(view.gates[1].grad[1].color).toBe(view.gates[0].grad[1].color);
    expect(view.gates[0].saturation.map((s) => s.name)).toEqual(['i', 'i', 'f', 'f', 'g', 'g', 'o', 'o']);
    for (const [i, s] of view.gates[0].saturation.entries()) {
      expect(s.y.every((v) => v !== null && v >= 0 && v <= 1)).toBe(true);
      expect(s.companion?.quantity).toBe(i % 2 ? 'saturated high' : undefined);
    }
    // The high side is part of the whole share.
    const [f, fHigh] = view.gates[0].saturation.slice(2, 4);
    expect(fHigh.y.every((v, t) => v! <= f.y[t]!)).toBe(true);
    // An older probe file without saturationHigh draws the whole share only.
    const old = lstmProbe();
    for (const l of old.layers) for (const g of l.gates) delete (g as Partial<typeof g>).saturationHigh;
    expect(buildProbeView(old).gates[0].saturation.map((s) => s.name)).toEqual(['i', 'f', 'g', 'o']);
    expect(buildProbeView(gruProbe()).dLdc).toBeNull();
  });

  it('colours per-unit heatmaps in log10 on their own scale: nulls blank, zeros at the bottom', () => {
    const heat = heatOf([[1, 10, null], [0, 100, 1000]])!;
    expect(heat.z).toEqual([[0, 1, null], [0, 2, 3]]);
    expect([heat.zmin, heat.zmax, heat.hasZeros]).toEqual([0, 3, true]);
    expect(heatOf([[null, 0]])).toBeNull();
    expect(heatOf([[5, 5]])).toMatchObject({ z: [[0.699, 0.699]], zmin: 0.198, zmax: 1.199 });
    expect(gapCounts([1, null, 0, 0, 2])).toEqual({ nonFinite: 1, zeros: 2 });
    const view = buildProbeView(lstmProbe());
    expect(view.heat.dLdh!.z.length).toBe(16);
    expect(view.heat.dLdh!.z[0].length).toBe(40);
    expect(view.heat.dLdh!.z[0][0]).toBeNull();
    expect(view.heat.dLdh!.z[1][0]).toBe(view.heat.dLdh!.zmin);
  });
});

describe('the probe page draws (Plotly stubbed)', () => {
  it('draws every chart: a line per layer, a line per gate, heatmaps unit × t', async () => {
    const r = lstmProbe();
    const view = buildProbeView(r);
    const { dom, calls, errors } = await runWithStub(render(r));
    expect(errors).toEqual([]);
    expect(dom.window.document.body.getAttribute('data-gradlab-rendered')).toBe('done');
    expect(calls.map((c) => c.id).sort()).toEqual([...LSTM_CHARTS].sort());
    const by = (id: string) => calls.find((c) => c.id === id)!;
    expect(by('probe-dldh').data.map((t) => t.name)).toEqual(['layer 0', 'layer 1']);
    expect(by('probe-dldh').data[1].y).toEqual(view.dLdh[1].y);
    expect(by('probe-dldh').data[1].connectgaps).toBe(false);
    expect(by('probe-dldh').layout.yaxis.type).toBe('log');
    expect(by('probe-dldc').data.length).toBe(2);
    for (const l of [0, 1]) {
      expect(by(`probe-gates-${l}`).data.map((t) => t.name)).toEqual(['i', 'f', 'g', 'o']);
      expect(by(`probe-gates-${l}`).layout.yaxis.type).toBe('log');
      // Each gate's whole share (solid, in the legend) and its high side (dotted, in the same group).
      const sat = by(`probe-sat-${l}`).data;
      expect(sat.filter((t) => t.showlegend).map((t) => t.name)).toEqual(['i', 'f', 'g', 'o']);
      expect(sat.map((t) => t.line.dash)).toEqual(['solid', 'dot', 'solid', 'dot', 'solid', 'dot', 'solid', 'dot']);
      expect(sat[3].legendgroup).toBe('f');
      expect(sat[3].y).toEqual(r.layers[l].gates[1].saturationHigh.map((v) => Number(v.toPrecision(4))));
      expect(sat[3].hovertemplate).toContain('saturated high');
      expect(by(`probe-sat-${l}`).layout.yaxis.range).toEqual([-0.02, 1.02]);
    }
    const heat = by('probe-heat-dldh').data[0];
    expect(heat.type).toBe('heatmap');
    expect(heat.z).toEqual(view.heat.dLdh!.z);
    expect([heat.zmin, heat.zmax]).toEqual([view.heat.dLdh!.zmin, view.heat.dLdh!.zmax]);
    expect(heat.y).toEqual(Array.from({ length: 16 }, (_, u) => u));
    expect(heat.colorbar.tickvals.length).toBeGreaterThan(0);
    dom.window.close();
  });

  it('hands Plotly a hostile gate name escaped', async () => {
    const r = gruProbe();
    r.layers[0].gates[0].name = '<img src=x onerror=alert(1)>';
    const { dom, calls, errors } = await runWithStub(render(r));
    expect(errors).toEqual([]);
    const gates = calls.find((c) => c.id === 'probe-gates-0')!;
    expect(gates.data[0].name).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(gates.data[0].hovertemplate).not.toContain('<img');
    expect(dom.window.document.querySelectorAll('img').length).toBe(0);
    expect(dom.window.document.querySelector('#sec-gates h3 .n')?.textContent).toBe('gates <img src=x onerror=alert(1)>, z, n');
    dom.window.close();
  });
});

describe('writeProbeReport', () => {
  it('writes index.html with Plotly next to it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-probe-'));
    const path = writeProbeReport(join(dir, 'out'), gruProbe());
    expect(path).toBe(join(dir, 'out', 'index.html'));
    expect(readFileSync(path, 'utf8')).toContain(`<script src="${PLOTLY_FILE}"></script>`);
    expect(statSync(join(dir, 'out', PLOTLY_FILE)).size).toBe(statSync(plotlySource()).size);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('colour-bar ticks', () => {
  it('labels whole decades, and 1-2-5 steps on a scale under two decades wide', () => {
    expect(decadeTicks(-5.2, -0.1)).toMatchObject({ tickvals: [-1, -2, -3, -4, -5], ticktext: ['10<sup>−1</sup>', '10<sup>−2</sup>', '10<sup>−3</sup>', '10<sup>−4</sup>', '10<sup>−5</sup>'] });
    expect(decadeTicks(-12.5, 0.5).tickvals).toEqual([0, -5, -10]);
    const narrow = decadeTicks(-1.5, -0.9);
    expect(narrow.ticktext).toEqual(['0.05', '0.1']);
    expect((narrow.tickvals as number[])[0]).toBeCloseTo(Math.log10(0.05), 9);
  });
});

describe('the reports index', () => {
  it('lists a probe folder as a probe, its file names escaped', () => {
    const root = mkdtempSync(join(tmpdir(), 'gradlab-probe-index-'));
    const r = lstmProbe();
    mkdirSync(join(root, 'probe'));
    writeFileSync(join(root, 'probe', 'results.json'), JSON.stringify(r));
    writeProbeReport(join(root, 'probe'), r);
    const doc = parse(readFileSync(writeReportsIndex(root), 'utf8'));
    const row = doc.querySelector('#reports-table tr[data-dir="probe"]')!;
    expect(row.querySelector('a')?.textContent).toBe('probe: lstm');
    expect(row.textContent).toContain(`${HOSTILE_FILE} on ${HOSTILE_DATA}`);
    expect(row.textContent).toContain('one model, one batch');
    expect(doc.querySelectorAll('img').length).toBe(0);
    rmSync(root, { recursive: true, force: true });
  });
});
