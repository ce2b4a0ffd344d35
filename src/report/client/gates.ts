/// <reference lib="dom" />
import type { GatePoint, GateView } from '../gateView.ts';
import type { ReportView, VariantView } from '../view.ts';
import { escTemplate, legendName, seq } from './format.ts';
import { legendRoom, withLegendBelow, type LegendRoom } from './legend.ts';
import { axis, layout, type Draw, type Layout, type Trace } from './plot.ts';

/**
 * The gate charts of one variant (chosen by #gate-variant) and one layer (the layer selector):
 * ||dL/dc_t|| at start and end, each gate's ||dL/da_t||, and each gate's saturated share, against
 * the timestep t. Redrawn on every choice, so a chart without data says so in an annotation
 * rather than by replacing Plotly's element.
 */

const GATE_PX = 270;
const LOG = { type: 'log', exponentformat: 'power' };

function stepText(p: GatePoint): string {
  return p.steps.length === 1 ? 'step ' + p.steps[0] : 'steps ' + p.steps[0] + '–' + p.steps[p.steps.length - 1];
}

function overTime(el: HTMLElement, traces: Trace[], T: number, yaxis: Layout, room: LegendRoom, empty: string): Layout {
  const lay = withLegendBelow(el, traces, layout({
    margin: { l: 62, r: 14, t: 10, b: 40 },
    xaxis: axis('timestep t (the loss is at t = T)', { range: [0.5, T + 0.5] }),
    yaxis,
  }), room, GATE_PX);
  if (traces.length === 0) lay.annotations = [{ text: empty, showarrow: false, xref: 'paper', yref: 'paper', x: 0.5, y: 0.5 }];
  return lay;
}

const hasValue = (y: readonly (number | null)[] | null | undefined): boolean => !!y && y.some((v) => v !== null);

/** The variants that recorded gates, for the selector; `index` falls back to the first. */
export function gateVariant(view: ReportView, index: number): VariantView | undefined {
  const withGates = view.variants.filter((v) => v.gates !== null);
  return withGates.find((v) => v.index === index) ?? withGates[0];
}

export function drawGates(view: ReportView, index: number, layerOf: (v: VariantView) => number, plot: Draw): void {
  const v = gateVariant(view, index);
  const g: GateView | null | undefined = v?.gates;
  if (!v || !g) return;
  const l = Math.min(layerOf(v), g.numLayers - 1);
  const x = seq(g.T);
  const who = escTemplate(v.name) + (g.numLayers > 1 ? ', layer ' + l : '');
  const label = document.getElementById('gates-layer');
  if (label) label.textContent = g.numLayers > 1 ? 'layer ' + l + ' of ' + g.numLayers : '';
  const start = g.points.find((p) => p.label === 'start');
  const end = g.points.find((p) => p.label === 'end');

  const cEl = document.getElementById('gates-dldc');
  if (cEl) {
    const room = legendRoom(cEl);
    const traces: Trace[] = [];
    for (const p of [start, end]) {
      const y = p?.layers[l]?.dLdc;
      if (!p || !y || !hasValue(y)) continue;
      traces.push({
        type: 'scatter', mode: 'lines', x, y, connectgaps: false,
        name: p.label + ' (' + stepText(p) + ')', line: { color: v.color, width: 2, dash: p.label === 'start' ? 'dash' : 'solid' },
        hovertemplate: who + ', ' + p.label + ' (' + stepText(p) + ', median of ' + p.n + ' seed(s))<br>‖dL/dc_t‖ = %{y:.3g} at t = %{x}<extra></extra>',
      });
    }
    plot(cEl, traces, overTime(cEl, traces, g.T, axis('‖dL/dc_t‖ (log scale)', LOG), room,
      'No cell state: only an LSTM has c_t.'));
  }

  const gEl = document.getElementById('gates-grad');
  if (gEl) {
    const room = legendRoom(gEl);
    const traces: Trace[] = [];
    for (const p of [end, start]) {
      for (const s of p?.layers[l]?.gates ?? []) {
        if (!p || !hasValue(s.gradNorm)) continue;
        const atStart = p.label === 'start';
        traces.push({
          type: 'scatter', mode: 'lines', x, y: s.gradNorm, connectgaps: false,
          name: legendName(s.name, room.chars) + (atStart ? ' (start)' : ''), legendgroup: 'g' + s.name, showlegend: !atStart || !end,
          line: { color: s.color, width: atStart ? 1.5 : 2, dash: atStart ? 'dash' : 'solid' },
          hovertemplate: who + ', gate ' + escTemplate(s.name) + ', ' + p.label + ' (' + stepText(p) + ')<br>‖dL/da_t‖ = %{y:.3g} at t = %{x}<extra></extra>',
        });
      }
    }
    plot(gEl, traces, overTime(gEl, traces, g.T, axis('‖dL/da_t‖ (log scale)', LOG), room, 'No finite gate gradient was recorded.'));
  }

  const sEl = document.getElementById('gates-sat');
  if (sEl) {
    const room = legendRoom(sEl);
    const traces: Trace[] = [];
    const p = end ?? start;
    for (const s of p?.layers[l]?.gates ?? []) {
      if (!p || !hasValue(s.saturation)) continue;
      traces.push({
        type: 'scatter', mode: 'lines', x, y: s.saturation, connectgaps: false,
        name: legendName(s.name, room.chars), legendgroup: 'g' + s.name, line: { color: s.color, width: 2, dash: 'solid' },
        hovertemplate: who + ', gate ' + escTemplate(s.name) + ', ' + p.label + ' (' + stepText(p) + ')<br>saturated share = %{y:.3g} at t = %{x}<extra></extra>',
      });
      if (s.saturationHigh && s.activation !== 'relu') {
        traces.push({
          type: 'scatter', mode: 'lines', x, y: s.saturationHigh, connectgaps: false,
          name: legendName(s.name, room.chars) + ' high', legendgroup: 'g' + s.name, showlegend: false, line: { color: s.color, width: 1.5, dash: 'dot' },
          hovertemplate: who + ', gate ' + escTemplate(s.name) + ', ' + p.label + '<br>saturated high = %{y:.3g} at t = %{x}<extra></extra>',
        });
      }
    }
    plot(sEl, traces, overTime(sEl, traces, g.T, axis('saturated share', { range: [-0.02, 1.02] }), room, 'No saturation was recorded.'));
  }
}
