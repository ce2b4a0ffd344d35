import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { cutMiddle, legendName } from '../../src/report/client/format.ts';
import { legendRows, legendTexts } from '../../src/report/client/legend.ts';
import { renderReport } from '../../src/report/render.ts';
import { median } from '../../src/report/stats.ts';
import { buildView } from '../../src/report/view.ts';
import { HOSTILE_NAME, hostileResults, manyVariantsResults } from './fixtures.ts';
import { choose, runWithStub, type PlotCall } from './plotlyStub.ts';

/** The charts over training that results.json recorded but the report did not show before:
 * per-parameter gradient norms and the update-to-weight ratio; and legends with many variants. */

const ONE_LAYER = ['rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0', 'head.weight', 'head.bias'];

const callFor = (calls: PlotCall[], id: string): PlotCall => calls.filter((c) => c.id === id).pop()!;
const shown = (c: PlotCall) => c.data.filter((t) => t.showlegend !== false && t.name);

describe('chart data: per-parameter gradient norms and update ratio', () => {
  const results = hostileResults();
  const view = buildView(results);

  it('keeps one median series per tensor, in logged order, colour by kind and dash by layer', () => {
    expect(view.variants[0].params.map((p) => p.name)).toEqual(ONE_LAYER);
    const lstm = view.variants[1].params;
    expect(lstm.map((p) => p.name)).toEqual([...ONE_LAYER.slice(0, 4), ...ONE_LAYER.slice(0, 4).map((n) => n.replace('_l0', '_l1')), 'head.weight', 'head.bias']);
    const hh0 = lstm.find((p) => p.name === 'rnn.weight_hh_l0')!;
    const hh1 = lstm.find((p) => p.name === 'rnn.weight_hh_l1')!;
    expect(hh1.color).toBe(hh0.color);
    expect([hh0.dash, hh1.dash]).toEqual(['solid', 'dash']);
    expect(new Set(lstm.filter((p) => p.dash === 'solid').map((p) => p.color)).size).toBe(6);
  });

  it('takes the median over the seeds that logged the step (a diverged seed drops out)', () => {
    const runs = results.runs.filter((r) => r.variant === HOSTILE_NAME);
    const p = view.variants[0].params[1];
    for (const [i, step] of p.x.entries()) {
      const values = runs.map((r) => r.log.find((e) => e.step === step)?.paramGradNorms[p.name] ?? null);
      expect(p.median[i]).toBeCloseTo(median(values)!, 3);
      expect(p.n[i]).toBe(values.filter((v) => v !== null).length);
    }
    expect(p.n).toEqual([2, 2, 1, 1, 1]);
    const u = view.variants[0].updateRatio;
    expect(u.x).toEqual([0, 10, 20, 30, 40]);
    expect(u.median[0]).toBeCloseTo(median(runs.map((r) => r.log[0].updateRatio ?? null))!, 6);
  });

  it('has an empty update-ratio series when no entry logged one', () => {
    const r = hostileResults();
    for (const run of r.runs) for (const e of run.log) delete e.updateRatio;
    expect(buildView(r).variants.every((v) => v.updateRatio.x.length === 0)).toBe(true);
  });
});

describe('the page draws them (Plotly stubbed)', () => {
  it('draws one line per tensor of the chosen variant, and one per variant of the update ratio', async () => {
    const results = hostileResults();
    const view = buildView(results);
    const { dom, calls, errors } = await runWithStub(renderReport(results, { plotlyPath: 'missing.js' }));
    expect(errors).toEqual([]);
    const doc = dom.window.document;
    expect(doc.body.getAttribute('data-gradlab-rendered')).toBe('done');
    // The variant selector lists every variant, names as text.
    const options = [...doc.querySelectorAll('#param-variant option')];
    expect(options.map((o) => o.textContent)).toEqual([HOSTILE_NAME, 'lstm']);
    expect(doc.querySelectorAll('img').length).toBe(0);

    const params = callFor(calls, 'params-chart');
    expect(params.data.map((t) => t.name)).toEqual(ONE_LAYER);
    expect(params.data[1].y).toEqual(view.variants[0].params[1].median);
    expect(params.layout.yaxis.type).toBe('log');
    for (const t of params.data) {
      expect(t.hovertemplate.startsWith('&lt;img src=x onerror=alert(1)&gt; · ')).toBe(true);
      expect(t.hovertemplate).not.toContain('<img');
    }
    choose(dom, 'param-variant', '1');
    expect(callFor(calls, 'params-chart').data.map((t) => t.name)).toEqual(view.variants[1].params.map((p) => p.name));

    const update = callFor(calls, 'update-chart');
    const lines = update.data.filter((t) => t.legendgroup);
    expect(lines.filter((t) => t.fill !== 'toself').map((t) => t.y)).toEqual(view.variants.map((v) => v.updateRatio.median));
    expect(update.data.find((t) => t.name === '10⁻³ (rule of thumb)')?.y).toEqual([1e-3, 1e-3]);
    expect(update.layout.yaxis.type).toBe('log');
    expect(update.data.map((t) => t.name).join(' ')).not.toContain('<img');
    dom.window.close();
  });

  it('says in words that the update ratio is a rule of thumb', () => {
    const doc = new JSDOM(renderReport(hostileResults(), { plotlyPath: 'p.js' })).window.document;
    const caption = doc.getElementById('update-chart')!.parentElement!.textContent!;
    expect(caption).toContain('rule of thumb');
    expect(caption).toContain('10⁻³');
  });

  it('says "not logged" for results without update ratios', async () => {
    const r = hostileResults();
    for (const run of r.runs) for (const e of run.log) delete e.updateRatio;
    const { dom, calls } = await runWithStub(renderReport(r, { plotlyPath: 'missing.js' }));
    expect(calls.some((c) => c.id === 'update-chart')).toBe(false);
    expect(dom.window.document.getElementById('update-chart')?.textContent).toBe('The update-to-weight ratio was not logged.');
    dom.window.close();
  });
});

describe('legends with many variants', () => {
  it('cuts a long name in the middle, keeping its end, and escapes it', () => {
    const name = 'lstm hidden=128 lr=1e-3 forget-bias=1 clip=norm(1.0) #11';
    expect(cutMiddle(name, 20)).toBe('lstm hidden=….0) #11');
    expect(Array.from(cutMiddle(name, 20)).length).toBe(20);
    expect(cutMiddle('short', 20)).toBe('short');
    expect(legendName(HOSTILE_NAME, 100)).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(legendName(HOSTILE_NAME, 12)).not.toMatch(/[<>]/);
    // Never splits a surrogate pair.
    expect(cutMiddle('😀'.repeat(30), 9)).toBe('😀'.repeat(5) + '…' + '😀'.repeat(3));
  });

  it('counts the rows of a legend as Plotly lays it out: one row if all fit, else a grid of the widest entry', () => {
    expect(legendRows([], 400)).toBe(0);
    // 3 entries of 40 + 60 px and two 5 px gaps: 310 < 400.
    expect(legendRows([60, 60, 60], 400)).toBe(1);
    // Entries of 40 + 150 px: two columns need 190 + 5 + 190 = 385 < 400.
    expect(legendRows([150, 20, 20, 20, 20], 400)).toBe(3);
    expect(legendRows([150, 20, 20, 20, 20], 380)).toBe(5);
    expect(legendRows([900], 400)).toBe(1);
    expect(legendTexts([{ name: 'a' }, { name: 'b', showlegend: false }])).toEqual(['a']);
  });

  it('gives each variant one legend entry, short enough for a line, and grows the chart instead of the legend scrolling', async () => {
    const results = manyVariantsResults();
    const { dom, calls, errors } = await runWithStub(renderReport(results, { plotlyPath: 'missing.js' }));
    expect(errors).toEqual([]);
    for (const id of ['loss-chart', 'gradnorm-chart', 'sigma-chart', 'update-chart', 'flow-end']) {
      const c = callFor(calls, id);
      const variantEntries = shown(c).filter((t) => t.legendgroup);
      expect(variantEntries.length, id).toBe(12);
      // jsdom lays nothing out: the chart counts as 440 px wide, 364 px for the legend.
      for (const t of variantEntries) expect(Array.from(t.name as string).length, id).toBeLessThanOrEqual(48);
      // The full name is in the line's hover.
      for (const t of variantEntries) expect(results.runs.some((r) => t.hovertemplate.includes(r.variant)), id).toBe(true);
      const el = dom.window.document.getElementById(id)!;
      // jsdom cannot measure text: 6.6 px a character.
      const rows = legendRows(shown(c).map((t) => Array.from((t.name as string).replace(/&\w+;/g, '.')).length * 6.6), 364);
      expect(rows, id).toBeGreaterThanOrEqual(12);
      expect(c.layout.margin.b, id).toBe(44 + rows * 19 + 8);
      expect(c.layout.legend, id).toMatchObject({ orientation: 'h', yref: 'container', y: 0, yanchor: 'bottom' });
      expect(parseFloat(el.style.height), id).toBeGreaterThan(rows * 19);
    }
    // Validation lines share their variant's entry.
    const loss = callFor(calls, 'loss-chart');
    expect(loss.data.filter((t) => t.hovertemplate?.includes('· validation')).every((t) => t.showlegend === false)).toBe(true);
    // 12 variants, 12 colours.
    expect(new Set(buildView(results).variants.map((v) => v.color)).size).toBe(12);
    dom.window.close();
  });
});
