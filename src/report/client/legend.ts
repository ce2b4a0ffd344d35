/// <reference lib="dom" />
import { FONT, type Layout, type Trace } from './plot.ts';

/**
 * Legends that stay readable with many series (a sweep of 12 variants with long names): below
 * the plot, names cut to fit one line, and the chart made taller by the legend's height so the
 * plot itself never shrinks or scrolls. Plotly does not report a legend's height before drawing
 * it, so the rows are computed here as Plotly lays them out (legend/draw.js, horizontal): one row
 * when every entry fits, else a grid whose columns are as wide as the widest entry, so no entry
 * overlaps another.
 */

/** Plotly's legend: the line sample and the gap before the text, and the gap between entries. */
const SAMPLE_PX = 40;
const GAP_PX = 5;
/** Height of one legend row (11 px font), and the room kept above the legend for the x axis title. */
const ROW_PX = 19;
const AXIS_PX = 44;
/** Width of one character of the 11 px legend font, erring wide (DejaVu Sans averages 6.0 px):
 * only where the browser cannot measure text (jsdom), and to cut names. */
const CHAR_PX = 6.6;
/** The charts' left and right margins (plot.ts's layouts). */
const SIDE_PX = 76;

export interface LegendRoom {
  /** The plot area's width in px: the legend's width. */
  width: number;
  /** Characters a name may have so that its entry fits one line. */
  chars: number;
}

/** The room a legend has in `el` (a chart not laid out yet, as in jsdom, counts as 440 px wide). */
export function legendRoom(el: HTMLElement): LegendRoom {
  const width = Math.max(200, (el.clientWidth || 440) - SIDE_PX);
  return { width, chars: Math.max(12, Math.floor((width - SAMPLE_PX - GAP_PX) / CHAR_PX)) };
}

/** The text Plotly shows for a label (its names are escaped and hold no tags). */
function shown(label: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
  return label.replace(/<[^>]*>/g, '').replace(/&(#?)(\w+);/g, (m, hash: string, code: string) =>
    hash ? String.fromCodePoint(Number(code)) : named[code] ?? m);
}

/** The labels' widths in the legend's font, as the browser draws them; estimated where it
 * cannot measure text. */
function textWidths(labels: readonly string[]): number[] {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const text = document.createElementNS('http://www.w3.org/2000/svg', 'text');
  if (typeof text.getComputedTextLength !== 'function') return labels.map((l) => Array.from(shown(l)).length * CHAR_PX);
  svg.setAttribute('style', 'position:absolute;visibility:hidden;width:0;height:0');
  text.setAttribute('style', `font-family:${FONT.family};font-size:11px`);
  svg.appendChild(text);
  document.body.appendChild(svg);
  const widths = labels.map((l) => { text.textContent = shown(l); return text.getComputedTextLength(); });
  svg.remove();
  return widths;
}

/** The legend's texts: every named trace not kept out of the legend. */
export function legendTexts(traces: readonly Trace[]): string[] {
  return traces.filter((t) => t.showlegend !== false && typeof t.name === 'string' && t.name !== '').map((t) => t.name as string);
}

/** Rows of a horizontal legend `width` px wide whose texts are `widths` px wide. */
export function legendRows(widths: readonly number[], width: number): number {
  if (widths.length === 0) return 0;
  const entries = widths.map((w) => SAMPLE_PX + w);
  if (entries.reduce((a, b) => a + b, 0) + GAP_PX * (entries.length - 1) < width) return 1;
  const widest = Math.max(...entries);
  const columns = Math.max(1, Math.floor((width - widest) / (widest + GAP_PX)) + 1);
  return Math.ceil(entries.length / columns);
}

export interface BelowLegend {
  /** Plotly's layout.legend. */
  legend: Layout;
  /** The bottom margin: the x axis's title and the legend. */
  marginBottom: number;
  /** Px the legend adds to the chart's height. */
  extra: number;
}

/** A legend for `traces` under the plot, anchored to the figure's bottom edge. */
export function legendBelow(traces: readonly Trace[], room: LegendRoom): BelowLegend {
  const rows = legendRows(textWidths(legendTexts(traces)), room.width);
  const extra = rows === 0 ? 0 : rows * ROW_PX + 8;
  return {
    legend: { orientation: 'h', x: 0, xanchor: 'left', yref: 'container', y: 0, yanchor: 'bottom', font: { size: 11 }, traceorder: 'normal' },
    marginBottom: AXIS_PX + extra,
    extra,
  };
}

/**
 * `lay` with the legend of `traces` below the plot, and `el` sized to keep the plot area as tall
 * as it would be without a legend (`plotPx`: the chart's height before the legend's rows).
 */
export function withLegendBelow(el: HTMLElement, traces: readonly Trace[], lay: Layout, room: LegendRoom, plotPx: number): Layout {
  const below = legendBelow(traces, room);
  el.style.height = plotPx + below.extra + 'px';
  const margin = (lay.margin ?? {}) as Layout;
  return { ...lay, showlegend: true, legend: below.legend, margin: { ...margin, b: below.marginBottom } };
}
