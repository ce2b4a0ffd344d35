/// <reference lib="dom" />
/**
 * The experiment report's script, bundled by esbuild (src/report/client.ts) and inlined into
 * every report. It reads the chart data from the `#gradlab-view` JSON block (built and typed by
 * src/report/view.ts) and draws it with Plotly. Static code: no value from results.json is ever
 * interpolated into it. Strings handed to Plotly (trace names, hover text) go through `esc`,
 * since Plotly renders a subset of HTML in labels.
 */
import type { ReportView } from '../view.ts';
import { charts, type ChartState } from './charts.ts';
import { onResize, startPage } from './page.ts';

function onChange(id: string, handle: (value: string) => void): void {
  const select = document.getElementById(id) as HTMLSelectElement | null;
  if (select) select.addEventListener('change', () => handle(select.value));
}

startPage<ReportView>('gradlab-view', (view, plotly) => {
  const firstGates = view.variants.find((v) => v.gates !== null);
  const state: ChartState = { layer: 0, flow: 'abs', paramVariant: 0, gateVariant: firstGates ? firstGates.index : 0 };
  const page = charts(view, plotly, state);
  onChange('layer-select', (v) => { state.layer = Number(v) || 0; page.drawLayered(); });
  onChange('flow-scale', (v) => { state.flow = v === 'rel' ? 'rel' : 'abs'; page.drawFlow(); });
  onChange('param-variant', (v) => { state.paramVariant = Number(v) || 0; page.drawParams(); });
  onChange('gate-variant', (v) => { state.gateVariant = Number(v) || 0; page.drawGates(); });
  const drawAll = (): void => { page.drawLayered(); page.drawFixed(); page.drawParams(); };
  drawAll();
  onResize(drawAll);
  return page.pending;
});
