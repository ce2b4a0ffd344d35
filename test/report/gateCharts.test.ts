import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import type { Results } from '../../src/experiment/results.ts';
import { buildGateView } from '../../src/report/gateView.ts';
import { renderReport } from '../../src/report/render.ts';
import { median, sig } from '../../src/report/stats.ts';
import { buildView } from '../../src/report/view.ts';
import { HOSTILE_NAME, hostileResults, syntheticResults } from './fixtures.ts';
import { choose, runWithStub, type PlotCall } from './plotlyStub.ts';

/** The experiment report's gate section: LogEntry.gates at each run's first and last step. */

const GATE_CHARTS = ['gates-dldc', 'gates-grad', 'gates-sat'];
const callFor = (calls: PlotCall[], id: string): PlotCall => calls.filter((c) => c.id === id).pop()!;
const render = (r: Results): string => renderReport(r, { plotlyPath: 'missing.js' });

function withoutGates(r: Results): Results {
  for (const run of r.runs) for (const e of run.log) delete e.gates;
  return r;
}

describe('gate chart data', () => {
  const results = hostileResults();
  const view = buildView(results);

  it('takes each run\'s first and last gate record, median over seeds per t', () => {
    const lstm = view.variants[1].gates!;
    expect(lstm.T).toBe(12);
    expect(lstm.numLayers).toBe(2);
    expect(lstm.points.map((p) => [p.label, p.steps, p.n])).toEqual([['start', [0], 2], ['end', [40], 2]]);
    const runs = results.runs.filter((r) => r.variant === 'lstm');
    const end = lstm.points[1].layers[1];
    expect(end.gates.map((g) => g.name)).toEqual(['i', 'f', 'g', 'o']);
    const last = runs.map((r) => r.log[r.log.length - 1].gates![1]);
    for (const t of [0, 5, 11]) {
      expect(end.dLdc![t]).toBe(sig(median(last.map((g) => g.dLdc![t]))));
      expect(end.gates[1].saturation[t]).toBe(sig(median(last.map((g) => g.gates[1].saturation[t]))));
      expect(end.gates[1].saturationHigh![t]).toBe(sig(median(last.map((g) => g.gates[1].saturationHigh[t]))));
      expect(end.gates[2].gradNorm[t]).toBe(sig(median(last.map((g) => g.gates[2].gradNorm[t]))));
    }
  });

  it('has no end point for a run that diverged, and no dL/dc without a cell state', () => {
    const rnn = view.variants[0].gates!;
    // Seed 1 diverged at step 20: only seed 0 reaches the end.
    expect(rnn.points.map((p) => [p.label, p.n])).toEqual([['start', 2], ['end', 1]]);
    expect(rnn.points[0].layers[0].dLdc).toBeNull();
    expect(rnn.points[1].layers[0].gates.map((g) => [g.name, g.activation])).toEqual([['h', 'tanh']]);
  });

  it('is null without gates, and survives malformed records', () => {
    expect(buildView(withoutGates(hostileResults())).variants.every((v) => v.gates === null)).toBe(true);
    const r = hostileResults();
    const run = r.runs[2];
    (run.log[0] as unknown as { gates: unknown }).gates = [null, { dLdc: 'x', gates: [{ name: 'f' }, 7] }];
    (run.log[run.log.length - 1] as unknown as { gates: unknown }).gates = [{}];
    expect(() => buildGateView(r.runs.filter((x) => x.variant === 'lstm'))).not.toThrow();
    expect(() => render(r)).not.toThrow();
  });
});

describe('the gate section', () => {
  it('draws dL/dc at start and end, a line per gate, and each gate\'s whole and high saturation', async () => {
    const results = hostileResults();
    const view = buildView(results);
    const { dom, calls, errors } = await runWithStub(render(results));
    expect(errors).toEqual([]);
    const doc = dom.window.document;
    expect(doc.body.getAttribute('data-gradlab-rendered')).toBe('done');
    expect(doc.getElementById('sec-gates')?.textContent).toContain('one extra forward and backward pass');
    expect(doc.getElementById('sec-gates')?.textContent).toContain('without dropout');
    expect(doc.getElementById('sec-gates')?.textContent).toContain('a forget gate saturated high keeps this line flat back in time');
    // The first variant with gates is shown first: the hostile tanh RNN has no cell state.
    expect(callFor(calls, 'gates-dldc').data).toEqual([]);
    expect(callFor(calls, 'gates-dldc').layout.annotations[0].text).toContain('only an LSTM has c_t');
    expect(callFor(calls, 'gates-grad').data.map((t) => [t.name, t.line.dash])).toEqual([['h', 'solid'], ['h (start)', 'dash']]);

    choose(dom, 'gate-variant', '1');
    const lstm = view.variants[1].gates!;
    const dldc = callFor(calls, 'gates-dldc');
    expect(dldc.data.map((t) => t.line.dash)).toEqual(['dash', 'solid']);
    expect(dldc.data.map((t) => t.name)).toEqual(['start (step 0)', 'end (step 40)']);
    expect(dldc.data[1].y).toEqual(lstm.points[1].layers[0].dLdc);
    expect(dldc.layout.yaxis.type).toBe('log');
    const grad = callFor(calls, 'gates-grad');
    expect(grad.data.filter((t) => t.showlegend).map((t) => t.name)).toEqual(['i', 'f', 'g', 'o']);
    expect(grad.data.filter((t) => t.line.dash === 'dash').map((t) => t.name)).toEqual(['i (start)', 'f (start)', 'g (start)', 'o (start)']);
    expect(grad.layout.yaxis.type).toBe('log');
    const sat = callFor(calls, 'gates-sat');
    expect(sat.data.map((t) => [t.name, t.line.dash])).toEqual([
      ['i', 'solid'], ['i high', 'dot'], ['f', 'solid'], ['f high', 'dot'], ['g', 'solid'], ['g high', 'dot'], ['o', 'solid'], ['o high', 'dot']]);
    expect(sat.data[3].y).toEqual(lstm.points[1].layers[0].gates[1].saturationHigh);
    expect(sat.layout.yaxis.range).toEqual([-0.02, 1.02]);

    // The layer selector moves the gate charts to layer 1.
    choose(dom, 'layer-select', '1');
    expect(callFor(calls, 'gates-sat').data[2].y).toEqual(lstm.points[1].layers[1].gates[1].saturation);
    expect(doc.getElementById('gates-layer')?.textContent).toBe('layer 1 of 2');
    dom.window.close();
  });

  it('is absent for results without gates, and the page still draws', async () => {
    const results = withoutGates(hostileResults());
    const { dom, calls, errors } = await runWithStub(render(results));
    expect(errors).toEqual([]);
    expect(dom.window.document.body.getAttribute('data-gradlab-rendered')).toBe('done');
    expect(dom.window.document.getElementById('sec-gates')).toBeNull();
    expect(dom.window.document.getElementById('gate-variant')).toBeNull();
    expect(calls.some((c) => GATE_CHARTS.includes(c.id))).toBe(false);
    dom.window.close();
  });

  it('shows only the variants with gates in its selector', () => {
    const r = syntheticResults({
      experiment: 'mixed', description: 'one variant with gates', T: 8, steps: 20, logEvery: 10, seeds: [0], gates: true,
      variants: [
        { name: 'a', description: '', cell: 'gru', decay: [0.1, 0.1], finalLoss: 0.1, sigma: [1, 1] },
        { name: 'b', description: '', cell: 'rnn_relu', decay: [0.1, 0.1], finalLoss: 0.1, sigma: [1, 1] },
      ],
    });
    for (const e of r.runs[0].log) delete e.gates;
    const doc = new JSDOM(render(r)).window.document;
    expect([...doc.querySelectorAll('#gate-variant option')].map((o) => [o.getAttribute('value'), o.textContent])).toEqual([['1', 'b']]);
  });

  it('escapes hostile variant and gate names', async () => {
    const results = hostileResults();
    for (const run of results.runs) for (const e of run.log) for (const l of e.gates ?? []) l.gates[0].name = HOSTILE_NAME;
    const html = render(results);
    expect(html).not.toContain('<img');
    const { dom, calls, errors } = await runWithStub(html);
    expect(errors).toEqual([]);
    expect(dom.window.document.querySelectorAll('img').length).toBe(0);
    expect(dom.window.document.querySelector('#gate-variant option')?.textContent).toBe(HOSTILE_NAME);
    const gateCalls = calls.filter((c) => GATE_CHARTS.includes(c.id));
    choose(dom, 'gate-variant', '1');
    const all = [...gateCalls, ...calls.filter((c) => GATE_CHARTS.includes(c.id))].flatMap((c) => c.data);
    expect(all.length).toBeGreaterThan(0);
    for (const t of all) {
      expect(String(t.name)).not.toContain('<img');
      expect(String(t.hovertemplate)).not.toContain('<img');
    }
    expect(all.some((t) => String(t.name).startsWith('&lt;img'))).toBe(true);
    expect(all.some((t) => String(t.hovertemplate).includes('&lt;img src=x onerror=alert(1)&gt;'))).toBe(true);
    dom.window.close();
  });
});
