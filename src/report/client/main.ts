/// <reference lib="dom" />
/**
 * The page's script, bundled by esbuild (src/report/client.ts) and inlined into every report. It
 * reads the chart data from the `#gradlab-view` JSON block (built and typed by src/report/view.ts)
 * and draws it with Plotly. Static code: no value from results.json is ever interpolated into
 * it. Strings handed to Plotly (trace names, hover text) go through `esc`, since Plotly renders a
 * subset of HTML in labels.
 */
import type { ReportView } from '../view.ts';
import { charts, type ChartState } from './charts.ts';
import type { PlotlyLike } from './plot.ts';

function run(): void {
  const body = document.body;
  const setState = (s: string): void => body.setAttribute('data-gradlab-rendered', s);
  const banner = (msg: string): void => {
    const el = document.getElementById('render-error');
    if (el) { el.textContent = msg; el.hidden = false; }
  };
  const failed = (e: unknown): string => {
    const message = typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
    return 'A chart failed to draw: ' + String(message ? message : e);
  };

  const plotly = (window as unknown as { Plotly?: PlotlyLike }).Plotly;
  if (typeof plotly === 'undefined') {
    banner('plotly.min.js could not be loaded: it must sit next to this index.html. The tables below are complete; the charts need it.');
    setState('no-plotly');
    return;
  }
  const view = JSON.parse(document.getElementById('gradlab-view')!.textContent!) as ReportView;
  const state: ChartState = { layer: 0, flow: 'abs' };
  const page = charts(view, plotly, state);

  const layerSelect = document.getElementById('layer-select') as HTMLSelectElement | null;
  if (layerSelect) layerSelect.addEventListener('change', () => { state.layer = Number(layerSelect.value) || 0; page.drawLayered(); });
  const flowSelect = document.getElementById('flow-scale') as HTMLSelectElement | null;
  if (flowSelect) flowSelect.addEventListener('change', () => { state.flow = flowSelect.value === 'rel' ? 'rel' : 'abs'; page.drawFlow(); });

  try {
    page.drawLayered(); page.drawLoss(); page.drawGradNorm();
  } catch (e) {
    banner(failed(e));
    setState('error');
    throw e;
  }
  Promise.all(page.pending).then(() => setState('done'), (e: unknown) => {
    banner(failed(e));
    setState('error');
    console.error(e);
  });
}

run();
