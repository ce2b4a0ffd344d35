/// <reference lib="dom" />
import type { Num } from '../../records/results.ts';
import type { VariantView } from '../view.ts';
import { legendName, rgba } from './format.ts';

/** A Plotly trace or layout: plain data (Plotly's own types are not a dependency). */
export type Trace = Record<string, unknown>;
export type Layout = Record<string, unknown>;

/** The part of Plotly the page uses. */
export interface PlotlyLike {
  react(el: HTMLElement, data: Trace[], layout: Layout, config: Record<string, unknown>): Promise<unknown>;
}

const FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif', size: 12, color: '#1f2328' };
export const LEGEND = { orientation: 'h', y: -0.2, yanchor: 'top', x: 0, font: { size: 11 }, entrywidth: 0.5, entrywidthmode: 'fraction', traceorder: 'normal' };
export const CONFIG = {
  responsive: true,
  displaylogo: false,
  modeBarButtonsToRemove: ['lasso2d', 'select2d', 'autoScale2d'],
  toImageButtonOptions: { format: 'svg', filename: 'gradlab-chart' },
};

export function axis(title: string, extra: Layout = {}): Layout {
  return { title: { text: title, standoff: 6 }, zeroline: false, gridcolor: '#e6e8eb', linecolor: '#8c959f', ticks: 'outside', ticklen: 3, automargin: true, ...extra };
}

export function layout(extra: Layout): Layout {
  return {
    font: FONT,
    margin: { l: 62, r: 14, t: 34, b: 46 },
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#ffffff',
    hovermode: 'closest',
    hoverlabel: { namelength: -1 },
    showlegend: false,
    ...extra,
  };
}

/** Min..max bands as closed polygons, one per stretch of finite values (nulls make gaps). */
export function bandTraces(x: readonly number[], lo: readonly Num[], hi: readonly Num[], color: string, group: string): Trace[] {
  const traces: Trace[] = [];
  let xs: number[] = [];
  let los: number[] = [];
  let his: number[] = [];
  const flush = (): void => {
    if (xs.length > 0) {
      traces.push({
        type: 'scatter', mode: 'lines', x: xs.concat(xs.slice().reverse()), y: his.concat(los.slice().reverse()),
        fill: 'toself', fillcolor: rgba(color, 0.16), line: { width: 0, color: rgba(color, 0) },
        hoverinfo: 'skip', showlegend: false, legendgroup: group,
      });
    }
    xs = []; los = []; his = [];
  };
  for (let i = 0; i < x.length; i++) {
    const l = lo[i];
    const h = hi[i];
    if (l === null || h === null) { flush(); continue; }
    xs.push(x[i]); los.push(l); his.push(h);
  }
  flush();
  return traces;
}

/** A variant's median line. */
export function medianTrace(v: VariantView, x: readonly number[], y: readonly Num[], n: readonly number[], label: string, extra: Trace = {}): Trace {
  return {
    type: 'scatter', mode: 'lines', x, y, customdata: n,
    name: legendName(v.name) + (label ? ' · ' + label : ''), legendgroup: 'v' + v.index,
    line: { color: v.color, width: 2 }, connectgaps: false,
    hovertemplate: '%{y:.3g} at %{x}<br>median of %{customdata} seed(s)',
    ...extra,
  };
}

/** A horizontal reference line from x0 to x1. */
export function hline(y: number, x0: number, x1: number, name: string, color: string, dash: string, hover: string): Trace {
  return {
    type: 'scatter', mode: 'lines', x: [x0, x1], y: [y, y], name,
    line: { color, width: 1.5, dash }, hovertemplate: hover + '<extra></extra>',
  };
}

/** The x range the series cover ([0, 1] when none has a point). */
export function xExtent(bands: readonly { x: readonly number[] }[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const b of bands) for (const x of b.x) { if (x < lo) lo = x; if (x > hi) hi = x; }
  return isFinite(lo) ? [lo, hi] : [0, 1];
}
