/// <reference lib="dom" />
import type { ProbeHeat, ProbeSeries, ProbeView } from '../probeView.ts';
import { escTemplate, legendName, seq } from './format.ts';
import { legendRoom, withLegendBelow } from './legend.ts';
import { axis, layout, logColorbar, noData, type Draw, type Layout, type Trace } from './plot.ts';

/**
 * The probe report's charts: lines against the timestep t (one per layer or per gate) and the
 * top layer's per-unit heatmaps. Nulls stay gaps (connectgaps off); the page says in words how
 * many there are.
 */

/** A line chart's height before its legend's rows. */
const LINE_PX = 270;
const LOG = { type: 'log', exponentformat: 'power' };

/** One line per series against t = 1..T; `quantity` names the y value in the hover. */
function drawLines(id: string, T: number, series: readonly ProbeSeries[], yaxis: Layout, quantity: string, plot: Draw): void {
  const el = document.getElementById(id);
  if (!el) return;
  const room = legendRoom(el);
  const x = seq(T);
  const traces: Trace[] = series.filter((s) => s.y.some((v) => v !== null)).map((s) => ({
    type: 'scatter', mode: 'lines', x, y: s.y, connectgaps: false,
    name: legendName(s.name, room.chars) + (s.companion ? ' · ' + s.companion.quantity : ''), legendgroup: s.name,
    showlegend: !s.companion, line: { color: s.color, width: s.companion ? 1.5 : 2, dash: s.companion ? 'dot' : 'solid' },
    hovertemplate: escTemplate(s.name) + '<br>' + (s.companion ? s.companion.quantity : quantity) + ' = %{y:.3g} at t = %{x}<extra></extra>',
  }));
  if (traces.length === 0) { noData(el, 'No finite value to draw.'); return; }
  plot(el, traces, withLegendBelow(el, traces, layout({
    margin: { l: 62, r: 14, t: 10, b: 40 },
    xaxis: axis('timestep t', { range: [0.5, T + 0.5] }),
    yaxis,
  }), room, LINE_PX));
}

/** Units (y, 0-based as torch indexes h) against t, in log10 colour on the heatmap's own scale. */
function drawHeat(id: string, T: number, heat: ProbeHeat | null, quantity: string, plot: Draw): void {
  const el = document.getElementById(id);
  if (!el) return;
  if (!heat) { noData(el, 'No finite value to colour.'); return; }
  const units = heat.z.map((_, u) => u);
  plot(el, [{
    type: 'heatmap', x: seq(T), y: units, z: heat.z, zmin: heat.zmin, zmax: heat.zmax, zauto: false,
    colorscale: 'Viridis', hoverongaps: false, colorbar: logColorbar(quantity, heat.zmin, heat.zmax),
    hovertemplate: 'unit %{y}, t = %{x}<br>' + quantity + ' = 10<sup>%{z:.2f}</sup><extra></extra>',
  }], layout({
    margin: { l: 58, r: 8, t: 8, b: 42 },
    xaxis: axis('timestep t', { range: [0.5, T + 0.5], showgrid: false }),
    yaxis: axis('unit', { showgrid: false, range: [-0.5, units.length - 0.5] }),
  }));
}

/** Draw every chart of the probe page. */
export function drawProbe(view: ProbeView, plot: Draw): void {
  drawLines('probe-dldh', view.T, view.dLdh, axis('‖dL/dh_t‖ (log scale)', LOG), '‖dL/dh_t‖', plot);
  if (view.dLdc) drawLines('probe-dldc', view.T, view.dLdc, axis('‖dL/dc_t‖ (log scale)', LOG), '‖dL/dc_t‖', plot);
  for (const g of view.gates) {
    drawLines('probe-gates-' + g.layer, view.T, g.grad, axis('‖dL/da_t‖ (log scale)', LOG), '‖dL/da_t‖', plot);
    drawLines('probe-sat-' + g.layer, view.T, g.saturation, axis('saturated share', { range: [-0.02, 1.02] }), 'saturated share', plot);
  }
  drawHeat('probe-heat-dldh', view.T, view.heat.dLdh, '‖dL/dh_t‖', plot);
  drawHeat('probe-heat-dldc', view.T, view.heat.dLdc, '‖dL/dc_t‖', plot);
}
