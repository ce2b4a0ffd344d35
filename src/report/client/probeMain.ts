/// <reference lib="dom" />
/**
 * The probe report's script (`gradlab probe`), bundled by esbuild (src/report/client.ts) and
 * inlined into the page. It reads the chart data from the `#gradlab-probe-view` JSON block
 * (built and typed by src/report/probeView.ts) and draws it with Plotly. Static code: no value
 * from the results is ever interpolated into it.
 */
import type { ProbeView } from '../probeView.ts';
import { onResize, startPage } from './page.ts';
import { CONFIG, type Draw } from './plot.ts';
import { drawProbe } from './probeCharts.ts';

startPage<ProbeView>('gradlab-probe-view', (view, plotly) => {
  const pending: Promise<unknown>[] = [];
  const plot: Draw = (el, traces, lay) => { pending.push(plotly.react(el, traces, lay, CONFIG)); };
  drawProbe(view, plot);
  onResize(() => drawProbe(view, plot));
  return pending;
});
