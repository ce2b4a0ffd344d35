/// <reference lib="dom" />
import type { Num } from '../../records/results.ts';
import type { VariantView } from '../view.ts';
import { escTemplate, fmt, rgba } from './format.ts';

/** A Plotly trace or layout: plain data (Plotly's own types are not a dependency). */
export type Trace = Record<string, unknown>;
export type Layout = Record<string, unknown>;

/** The part of Plotly the page uses. */
export interface PlotlyLike {
  react(el: HTMLElement, data: Trace[], layout: Layout, config: Record<string, unknown>): Promise<unknown>;
}

/** Hands a chart's traces and layout to Plotly (and keeps its promise for the page). */
export type Draw = (el: HTMLElement, traces: Trace[], lay: Layout) => void;

/** A chart with nothing to draw says so in its place. */
export function noData(el: HTMLElement, msg: string): void {
  el.classList.add('chart-empty');
  el.style.height = '';
  el.textContent = msg;
}

export const FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif', size: 12, color: '#1f2328' };
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

/**
 * A variant's median line over training steps. `name` is its legend text (cut to fit, see
 * legendName); the hover shows the whole name, with `label` ("validation") after it.
 */
export function medianTrace(v: VariantView, x: readonly number[], y: readonly Num[], n: readonly number[], name: string, label = '', extra: Trace = {}): Trace {
  return {
    type: 'scatter', mode: 'lines', x, y, customdata: n,
    name, legendgroup: 'v' + v.index,
    line: { color: v.color, width: 2 }, connectgaps: false,
    hovertemplate: escTemplate(v.name) + (label ? ' · ' + label : '') + '<br>%{y:.3g} at step %{x}, median of %{customdata} seed(s)<extra></extra>',
    ...extra,
  };
}

/** Colour-bar ticks of a log10 scale: whole decades labelled 10^k; a scale under two decades
 * wide also gets 2 and 5 times each decade (labelled as numbers), so it has at least two ticks. */
export function decadeTicks(zmin: number, zmax: number): Layout {
  const span = zmax - zmin;
  if (span < 2) {
    const vals: number[] = [];
    const text: string[] = [];
    for (let k = Math.floor(zmin); k <= Math.ceil(zmax); k++) {
      for (const m of [1, 2, 5]) {
        const z = k + Math.log10(m);
        if (z >= zmin - 1e-9 && z <= zmax + 1e-9) { vals.push(z); text.push(fmt(10 ** z)); }
      }
    }
    if (vals.length >= 2) return { tickvals: vals, ticktext: text, tickmode: 'array' };
  }
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

/** A heatmap's colour bar for log10 values from zmin to zmax, titled `title` (Plotly label text). */
export function logColorbar(title: string, zmin: number, zmax: number): Layout {
  return { title: { text: title, side: 'top', font: { size: 11 } }, thickness: 10, len: 1, outlinewidth: 0, tickfont: { size: 10 }, ...decadeTicks(zmin, zmax) };
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
