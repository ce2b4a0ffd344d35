/// <reference lib="dom" />
import type { Band, ReportView, VariantView } from '../view.ts';
import { escTemplate, fmt, legendName } from './format.ts';
import { legendRoom, withLegendBelow, type LegendRoom } from './legend.ts';
import { axis, bandTraces, hline, layout, medianTrace, noData, xExtent, type Draw, type Layout, type Trace } from './plot.ts';

/**
 * The charts over training steps (loss, gradient norm, σ_max, per-parameter gradient norms,
 * update-to-weight ratio): step on x, one line per variant (median over seeds, band min..max),
 * and a legend below that grows the chart rather than covering it.
 */

/** The height of a chart over training before its legend's rows are added. */
const PLOT_PX = 300;

const LOG = { type: 'log', exponentformat: 'power' };

function overTraining(el: HTMLElement, traces: Trace[], yaxis: Layout, room: LegendRoom): Layout {
  return withLegendBelow(el, traces, layout({ margin: { l: 62, r: 14, t: 10, b: 40 }, xaxis: axis('training step'), yaxis }), room, PLOT_PX);
}

/** Each variant's median line and band from `pick`; variants without points are left out. */
function variantBands(view: ReportView, room: LegendRoom, pick: (v: VariantView) => Band | undefined): Trace[] {
  let traces: Trace[] = [];
  for (const v of view.variants) {
    const b = pick(v);
    if (!b || b.x.length === 0) continue;
    traces = traces.concat(bandTraces(b.x, b.lo, b.hi, v.color, 'v' + v.index));
    traces.push(medianTrace(v, b.x, b.median, b.n, legendName(v.name, room.chars)));
  }
  return traces;
}

export function drawLoss(view: ReportView, plot: Draw): void {
  const el = document.getElementById('loss-chart');
  if (!el) return;
  const room = legendRoom(el);
  let traces = variantBands(view, room, (v) => v.loss);
  // Validation belongs to its variant's legend entry (one entry per variant toggles both lines).
  for (const v of view.variants) {
    if (v.valLoss.x.length === 0) continue;
    traces = traces.concat(bandTraces(v.valLoss.x, v.valLoss.lo, v.valLoss.hi, v.color, 'v' + v.index));
    traces.push(medianTrace(v, v.valLoss.x, v.valLoss.median, v.valLoss.n, legendName(v.name, room.chars) + ' · validation', 'validation',
      { line: { color: v.color, width: 2, dash: 'dash' }, showlegend: false }));
  }
  const ext = xExtent(view.variants.map((v) => v.loss));
  view.lossBaselines.forEach((b, i) => {
    traces.push(hline(b.value, ext[0], ext[1], 'baseline ' + fmt(b.value), '#1f2328', i === 0 ? 'dot' : 'dashdot', 'baseline ' + fmt(b.value) + ': ' + escTemplate(b.note)));
  });
  if (traces.length === 0) { noData(el, 'No loss was logged.'); return; }
  plot(el, traces, overTraining(el, traces, axis('loss (log scale)', LOG), room));
}

export function drawGradNorm(view: ReportView, plot: Draw): void {
  const el = document.getElementById('gradnorm-chart');
  if (!el) return;
  const room = legendRoom(el);
  const traces = variantBands(view, room, (v) => v.gradNorm);
  // Keyed by the threshold's text, as Object.keys orders them (integers ascending, then first seen).
  const clipAt: Record<string, string[]> = {};
  let anyClipped = false;
  const ext = xExtent(view.variants.map((v) => v.gradNorm));
  for (const v of view.variants) {
    if (v.clipNorm !== null) (clipAt[v.clipNorm] = clipAt[v.clipNorm] || []).push(v.name);
    if (v.clipped.length === 0) continue;
    traces.push({
      type: 'scatter', mode: 'markers', x: v.clipped.map((c) => c.step), y: v.clipped.map((c) => c.gradNorm),
      customdata: v.clipped.map((c) => c.seed), name: legendName(v.name, room.chars) + ' · clipped', legendgroup: 'v' + v.index, showlegend: false,
      marker: { symbol: 'x-thin', size: 7, color: v.color, line: { width: 1.5, color: v.color } },
      hovertemplate: escTemplate(v.name) + '<br>clipped at step %{x}: ‖g‖ = %{y:.3g} (seed %{customdata})<extra></extra>',
    });
    anyClipped = true;
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
  plot(el, traces, overTraining(el, traces, axis('‖g‖₂ before clipping (log scale)', LOG), room));
}

export function drawSigma(view: ReportView, layerOf: (v: VariantView) => number, plot: Draw): void {
  const el = document.getElementById('sigma-chart');
  if (!el) return;
  const room = legendRoom(el);
  const bandOf = (v: VariantView): Band | undefined => v.sigma[layerOf(v)];
  const traces = variantBands(view, room, bandOf);
  if (traces.length === 0) { noData(el, 'σ_max(W_hh) was not logged.'); return; }
  const gammas: Record<string, string[]> = {};
  for (const v of view.variants) if (v.gamma !== null && (bandOf(v)?.x.length ?? 0) > 0) (gammas[v.gamma] = gammas[v.gamma] || []).push(v.name);
  const ext = xExtent(view.variants.map((v) => bandOf(v) ?? { x: [] }));
  Object.keys(gammas).forEach((g, i) => {
    const inv = 1 / Number(g);
    traces.push(hline(inv, ext[0], ext[1], '1/γ = ' + fmt(inv) + ' (γ = ' + fmt(Number(g)) + ')', '#1f2328', i === 0 ? 'dot' : 'dashdot',
      '1/γ = ' + fmt(inv) + ' for ' + gammas[g].map(escTemplate).join(', ')));
  });
  plot(el, traces, overTraining(el, traces, axis('σ_max(W_hh)', { rangemode: 'tozero' }), room));
}

/** One variant's per-parameter gradient norms: colour = kind of tensor, dash = layer. */
export function drawParams(view: ReportView, index: number, plot: Draw): void {
  const el = document.getElementById('params-chart');
  if (!el) return;
  const v = view.variants[index] ?? view.variants[0];
  if (!v || view.variants.every((x) => x.params.length === 0)) { noData(el, 'No per-parameter gradient norm was logged.'); return; }
  const room = legendRoom(el);
  const traces: Trace[] = v.params.filter((p) => p.x.length > 0).map((p) => ({
    type: 'scatter', mode: 'lines', x: p.x, y: p.median, customdata: p.n, connectgaps: false,
    name: legendName(p.name, room.chars), line: { color: p.color, width: 2, dash: p.dash },
    hovertemplate: escTemplate(v.name) + ' · ' + escTemplate(p.name) + '<br>‖dL/dθ‖ = %{y:.3g} at step %{x}, median of %{customdata} seed(s)<extra></extra>',
  }));
  // The chart is redrawn when another variant is chosen, so a variant without data is said in
  // the plot rather than by replacing Plotly's element.
  const lay = overTraining(el, traces, axis('‖dL/dθ‖₂ per tensor (log scale)', LOG), room);
  if (traces.length === 0) lay.annotations = [{ text: 'No per-parameter gradient norm was logged for this variant.', showarrow: false, xref: 'paper', yref: 'paper', x: 0.5, y: 0.5 }];
  plot(el, traces, lay);
}

/** ||Δθ||/||θ|| per variant, with the usual rule of thumb (1e-3) as a reference line. */
export function drawUpdateRatio(view: ReportView, plot: Draw): void {
  const el = document.getElementById('update-chart');
  if (!el) return;
  const room = legendRoom(el);
  const traces = variantBands(view, room, (v) => v.updateRatio);
  if (traces.length === 0) { noData(el, 'The update-to-weight ratio was not logged.'); return; }
  const ext = xExtent(view.variants.map((v) => v.updateRatio));
  traces.push(hline(1e-3, ext[0], ext[1], '10⁻³ (rule of thumb)', '#1f2328', 'dot', '‖Δθ‖/‖θ‖ = 10⁻³: a rule of thumb, not a law'));
  plot(el, traces, overTraining(el, traces, axis('‖Δθ‖ / ‖θ‖ (log scale)', LOG), room));
}
