/// <reference lib="dom" />
import type { FlowProfile, ReportView, VariantView } from '../view.ts';
import { escTemplate, fmt, legendName, seq } from './format.ts';
import { legendRoom, withLegendBelow } from './legend.ts';
import { axis, bandTraces, CONFIG, hline, layout, logColorbar, medianTrace, noData, type Layout, type PlotlyLike, type Trace } from './plot.ts';
import { drawGates } from './gates.ts';
import { drawGradNorm, drawLoss, drawParams, drawSigma, drawUpdateRatio } from './training.ts';

/** The chart controls: which layer the layered charts show, the flow chart's scale, and whose
 * parameters the per-parameter chart shows (a variant's index). */
export interface ChartState {
  layer: number;
  flow: 'abs' | 'rel';
  paramVariant: number;
  /** Whose gate charts are shown (a variant's index; the first with gates when it has none). */
  gateVariant: number;
}

/** The flow charts' height before their legend's rows. */
const FLOW_PX = 270;

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
        colorbar: logColorbar('‖dL/dh_t‖', view.zmin, view.zmax),
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
      const room = legendRoom(el);
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
        const layerNote = v.numLayers > 1 ? ' (layer ' + l + ')' : '';
        traces.push(medianTrace(v, x, s.median, x.map(() => p.n), legendName(v.name, room.chars - layerNote.length) + layerNote, '', {
          hovertemplate: '%{y:.3g} at t = %{x}<br>' + escTemplate(v.name) + ', step ' + p.step + ', median of ' + p.n + ' seed(s)<extra></extra>',
        }));
      }
      if (rel) traces.push(hline(view.reachThreshold, 1, maxT, 'reach threshold', '#57606a', 'dot', fmt(view.reachThreshold) + ' of ‖dL/dh_T‖: the reach threshold'));
      if (traces.length === 0) { noData(el, 'No gradient profile was logged.'); continue; }
      stepsShown.sort((a, b) => a - b);
      const title = stepsShown.length === 0 ? '' : stepsShown.length === 1 ? 'training step ' + stepsShown[0]
        : 'training steps ' + stepsShown[0] + '–' + stepsShown[stepsShown.length - 1] + ' (per variant)';
      plot(el, traces, withLegendBelow(el, traces, layout({
        title: { text: title, font: { size: 12, color: '#57606a' }, x: 0.01, xanchor: 'left', y: 0.98 },
        margin: { l: 62, r: 14, t: 28, b: 40 },
        xaxis: axis('timestep t (the loss is at t = T)'),
        yaxis: axis(rel ? '‖dL/dh_t‖ / ‖dL/dh_T‖' : '‖dL/dh_t‖', { type: 'log', exponentformat: 'power' }),
      }), room, FLOW_PX));
    }
  }

  return {
    pending,
    /** The charts that follow the layer selector. */
    drawLayered(): void { drawHeatmaps(); drawFlow(); drawSigma(view, layerOf, plot); drawGates(view, state.gateVariant, layerOf, plot); },
    drawGates(): void { drawGates(view, state.gateVariant, layerOf, plot); },
    drawFlow,
    drawParams(): void { drawParams(view, state.paramVariant, plot); },
    /** The charts that follow no control. */
    drawFixed(): void { drawLoss(view, plot); drawGradNorm(view, plot); drawUpdateRatio(view, plot); },
  };
}
