/// <reference lib="dom" />
import type { FlowProfile, ReportView, VariantView } from '../view.ts';
import { escTemplate, fmt, legendName, seq } from './format.ts';
import { axis, bandTraces, CONFIG, hline, layout, LEGEND, medianTrace, xExtent, type Layout, type PlotlyLike, type Trace } from './plot.ts';

/** The chart controls: which layer the layered charts show, and the flow chart's scale. */
export interface ChartState {
  layer: number;
  flow: 'abs' | 'rel';
}

function noData(el: HTMLElement, msg: string): void {
  el.classList.add('chart-empty');
  el.textContent = msg;
}

/** Colour-bar ticks at whole decades, labelled 10^k. */
function decadeTicks(zmin: number, zmax: number): Layout {
  const span = zmax - zmin;
  const step = [1, 2, 5, 10, 20, 50, 100].filter((s) => span / s <= 6)[0] || 100;
  const lo = Math.ceil(zmin / step) * step;
  const hi = Math.floor(zmax / step) * step;
  if (!(hi >= lo)) return {};
  const vals: number[] = [];
  const text: string[] = [];
  for (let k = hi; k >= lo; k -= step) {
    vals.push(k);
    text.push(k === 0 ? '1' : '10<sup>' + String(k).replace('-', '−') + '</sup>');
  }
  return { tickvals: vals, ticktext: text, tickmode: 'array' };
}

/** The charts over training steps (loss, gradient norm, σ_max): step on x, a legend below. */
function overTraining(yaxis: Layout): Layout {
  return layout({
    showlegend: true, legend: LEGEND,
    margin: { l: 62, r: 14, t: 10, b: 40 },
    xaxis: axis('training step'),
    yaxis,
  });
}

function yRange(steps: readonly number[]): [number, number] {
  if (steps.length < 2) return [steps[0] - 0.5, steps[0] + 0.5];
  const n = steps.length;
  return [steps[0] - (steps[1] - steps[0]) / 2, steps[n - 1] + (steps[n - 1] - steps[n - 2]) / 2];
}

/** Show the KPI line of layer `l` in a variant's panel, hide the others. */
function showKpis(v: VariantView, l: number): void {
  const panel = document.getElementById('panel-' + v.index);
  if (!panel) return;
  panel.querySelectorAll<HTMLElement>('.kpi').forEach((p) => { p.hidden = p.getAttribute('data-layer') !== String(l); });
}

/**
 * The page's charts over one report view. Each draw call hands Plotly its traces; `pending`
 * collects Plotly's promises so the page can say when everything is drawn.
 */
export function charts(view: ReportView, plotly: PlotlyLike, state: ChartState) {
  const pending: Promise<unknown>[] = [];
  const layerOf = (v: VariantView): number => Math.min(state.layer, v.numLayers - 1);
  const plot = (el: HTMLElement, traces: Trace[], lay: Layout): void => { pending.push(plotly.react(el, traces, lay, CONFIG)); };

  function drawHeatmaps(): void {
    for (const v of view.variants) {
      const el = document.getElementById('heatmap-' + v.index);
      if (!el) continue;
      const l = layerOf(v);
      showKpis(v, l);
      const label = document.getElementById('heatmap-layer-' + v.index);
      if (label) label.textContent = v.numLayers > 1 ? 'layer ' + l + ' of ' + v.numLayers : '';
      const z = v.heat.z[l] || [];
      if (v.heat.steps.length === 0 || v.T === 0 || view.zmin === null || view.zmax === null) { noData(el, 'No gradient profile was logged.'); continue; }
      const steps = v.heat.steps;
      const reach = v.heat.reach[l] || [];
      // The reach limit as a step line along the heatmap's cell edges: each row spans halfway to
      // its neighbours; a row where the gradient reaches t = 1 (or has no value) leaves a gap.
      const fx: (number | null)[] = [];
      const fy: (number | null)[] = [];
      const fr: (number | null)[] = [];
      for (let i = 0; i < steps.length; i++) {
        const r = reach[i];
        const below = i > 0 ? (steps[i - 1] + steps[i]) / 2 : steps[i] - (steps.length > 1 ? (steps[1] - steps[0]) / 2 : 0.5);
        const above = i + 1 < steps.length ? (steps[i] + steps[i + 1]) / 2 : steps[i] + (steps.length > 1 ? (steps[i] - steps[i - 1]) / 2 : 0.5);
        if (r === null || r === undefined || !(r < v.T)) { fx.push(null); fy.push(null); fr.push(null); continue; }
        fx.push(v.T - r + 0.5, v.T - r + 0.5); fy.push(below, above); fr.push(r, r);
      }
      const traces: Trace[] = [{
        type: 'heatmap', x: seq(v.T), y: steps, z, zmin: view.zmin, zmax: view.zmax, zauto: false,
        colorscale: 'Viridis', hoverongaps: false, customdata: steps.map((_, i) => (z[i] || []).map(() => v.heat.n[i])),
        colorbar: { title: { text: '‖dL/dh_t‖', side: 'top', font: { size: 11 } }, thickness: 10, len: 1, outlinewidth: 0, tickfont: { size: 10 }, ...decadeTicks(view.zmin, view.zmax) },
        hovertemplate: 't = %{x}, step %{y}<br>‖dL/dh_t‖ = 10<sup>%{z:.2f}</sup><br>median of %{customdata} seed(s)<extra></extra>',
      }, {
        type: 'scatter', mode: 'lines', x: fx, y: fy, customdata: fr, connectgaps: false, line: { color: '#ffffff', width: 2, dash: 'dot' },
        name: 'reach limit', hovertemplate: 'reach: the last %{customdata} of ' + v.T + ' timesteps<extra>' + fmt(view.reachThreshold) + ' of ‖dL/dh_T‖</extra>',
      }];
      plot(el, traces, layout({
        margin: { l: 58, r: 8, t: 8, b: 42 },
        xaxis: axis('timestep t', { range: [0.5, v.T + 0.5], showgrid: false }),
        yaxis: axis('training step', { showgrid: false, range: yRange(steps) }),
      }));
    }
  }

  function drawFlow(): void {
    const rel = state.flow === 'rel';
    for (const label of ['start', 'middle', 'end']) {
      const el = document.getElementById('flow-' + label);
      if (!el) continue;
      let traces: Trace[] = [];
      let maxT = 1;
      const stepsShown: number[] = [];
      for (const v of view.variants) {
        const p: FlowProfile | undefined = v.flow.filter((f) => f.label === label).pop();
        if (!p || v.T === 0) continue;
        if (stepsShown.indexOf(p.step) < 0) stepsShown.push(p.step);
        const l = layerOf(v);
        const s = (rel ? p.rel : p.abs)[l];
        if (!s) continue;
        const x = seq(v.T);
        if (v.T > maxT) maxT = v.T;
        traces = traces.concat(bandTraces(x, s.lo, s.hi, v.color, 'v' + v.index));
        traces.push(medianTrace(v, x, s.median, x.map(() => p.n), '', {
          name: legendName(v.name) + (v.numLayers > 1 ? ' (layer ' + l + ')' : ''),
          hovertemplate: '%{y:.3g} at t = %{x}<br>' + escTemplate(v.name) + ', step ' + p.step + ', median of ' + p.n + ' seed(s)<extra></extra>',
        }));
      }
      if (rel) traces.push(hline(view.reachThreshold, 1, maxT, 'reach threshold', '#57606a', 'dot', fmt(view.reachThreshold) + ' of ‖dL/dh_T‖: the reach threshold'));
      if (traces.length === 0) { noData(el, 'No gradient profile was logged.'); continue; }
      stepsShown.sort((a, b) => a - b);
      const title = stepsShown.length === 0 ? '' : stepsShown.length === 1 ? 'training step ' + stepsShown[0]
        : 'training steps ' + stepsShown[0] + '–' + stepsShown[stepsShown.length - 1] + ' (per variant)';
      plot(el, traces, layout({
        title: { text: title, font: { size: 12, color: '#57606a' }, x: 0.01, xanchor: 'left', y: 0.98 },
        showlegend: true, legend: LEGEND,
        margin: { l: 62, r: 14, t: 28, b: 40 },
        xaxis: axis('timestep t (the loss is at t = T)'),
        yaxis: axis(rel ? '‖dL/dh_t‖ / ‖dL/dh_T‖' : '‖dL/dh_t‖', { type: 'log', exponentformat: 'power' }),
      }));
    }
  }

  function drawLoss(): void {
    const el = document.getElementById('loss-chart');
    if (!el) return;
    let traces: Trace[] = [];
    const ext = xExtent(view.variants.map((v) => v.loss));
    for (const v of view.variants) {
      traces = traces.concat(bandTraces(v.loss.x, v.loss.lo, v.loss.hi, v.color, 'v' + v.index));
      traces.push(medianTrace(v, v.loss.x, v.loss.median, v.loss.n, 'train'));
      if (v.valLoss.x.length > 0) {
        traces = traces.concat(bandTraces(v.valLoss.x, v.valLoss.lo, v.valLoss.hi, v.color, 'v' + v.index));
        traces.push(medianTrace(v, v.valLoss.x, v.valLoss.median, v.valLoss.n, 'validation', { line: { color: v.color, width: 2, dash: 'dash' } }));
      }
    }
    view.lossBaselines.forEach((b, i) => {
      traces.push(hline(b.value, ext[0], ext[1], 'baseline ' + fmt(b.value), '#1f2328', i === 0 ? 'dot' : 'dashdot', 'baseline ' + fmt(b.value) + ': ' + escTemplate(b.note)));
    });
    if (traces.length === 0) { noData(el, 'No loss was logged.'); return; }
    plot(el, traces, overTraining(axis('loss (log scale)', { type: 'log', exponentformat: 'power' })));
  }

  function drawGradNorm(): void {
    const el = document.getElementById('gradnorm-chart');
    if (!el) return;
    let traces: Trace[] = [];
    // Keyed by the threshold's text, as Object.keys orders them (integers ascending, then first seen).
    const clipAt: Record<string, string[]> = {};
    let anyClipped = false;
    const ext = xExtent(view.variants.map((v) => v.gradNorm));
    for (const v of view.variants) {
      traces = traces.concat(bandTraces(v.gradNorm.x, v.gradNorm.lo, v.gradNorm.hi, v.color, 'v' + v.index));
      traces.push(medianTrace(v, v.gradNorm.x, v.gradNorm.median, v.gradNorm.n, ''));
      if (v.clipNorm !== null) (clipAt[v.clipNorm] = clipAt[v.clipNorm] || []).push(v.name);
      if (v.clipped.length > 0) {
        traces.push({
          type: 'scatter', mode: 'markers', x: v.clipped.map((c) => c.step), y: v.clipped.map((c) => c.gradNorm),
          customdata: v.clipped.map((c) => c.seed), name: legendName(v.name) + ' · clipped', legendgroup: 'v' + v.index, showlegend: false,
          marker: { symbol: 'x-thin', size: 7, color: v.color, line: { width: 1.5, color: v.color } },
          hovertemplate: 'clipped at step %{x}: ‖g‖ = %{y:.3g} (seed %{customdata})',
        });
        anyClipped = true;
      }
    }
    Object.keys(clipAt).forEach((c, i) => {
      const names = clipAt[c];
      const who = names.length === view.variants.length ? '' : ' (' + names.length + ' variant' + (names.length > 1 ? 's' : '') + ')';
      traces.push(hline(Number(c), ext[0], ext[1], 'clip threshold ' + fmt(Number(c)) + who, '#1f2328', i === 0 ? 'dash' : 'dashdot',
        'norm clipping at ' + fmt(Number(c)) + ' for ' + names.map(escTemplate).join(', ')));
    });
    if (anyClipped) {
      traces.push({
        type: 'scatter', mode: 'markers', x: [null], y: [null], name: 'clipping fired', hoverinfo: 'skip',
        marker: { symbol: 'x-thin', size: 7, color: '#57606a', line: { width: 1.5, color: '#57606a' } },
      });
    }
    if (traces.length === 0) { noData(el, 'No gradient norm was logged.'); return; }
    plot(el, traces, overTraining(axis('‖g‖₂ before clipping (log scale)', { type: 'log', exponentformat: 'power' })));
  }

  function drawSigma(): void {
    const el = document.getElementById('sigma-chart');
    if (!el) return;
    let traces: Trace[] = [];
    const gammas: Record<string, string[]> = {};
    const bands: { x: number[] }[] = [];
    for (const v of view.variants) {
      const b = v.sigma[layerOf(v)];
      if (!b || b.x.length === 0) continue;
      bands.push(b);
      traces = traces.concat(bandTraces(b.x, b.lo, b.hi, v.color, 'v' + v.index));
      traces.push(medianTrace(v, b.x, b.median, b.n, ''));
      if (v.gamma !== null) (gammas[v.gamma] = gammas[v.gamma] || []).push(v.name);
    }
    if (traces.length === 0) { noData(el, 'σ_max(W_hh) was not logged.'); return; }
    const ext = xExtent(bands);
    Object.keys(gammas).forEach((g, i) => {
      const inv = 1 / Number(g);
      traces.push(hline(inv, ext[0], ext[1], '1/γ = ' + fmt(inv) + ' (γ = ' + fmt(Number(g)) + ')', '#1f2328', i === 0 ? 'dot' : 'dashdot',
        '1/γ = ' + fmt(inv) + ' for ' + gammas[g].map(escTemplate).join(', ')));
    });
    plot(el, traces, overTraining(axis('σ_max(W_hh)', { rangemode: 'tozero' })));
  }

  return {
    pending,
    /** The charts that follow the layer selector. */
    drawLayered(): void { drawHeatmaps(); drawFlow(); drawSigma(); },
    drawFlow,
    drawLoss,
    drawGradNorm,
  };
}
