/// <reference lib="dom" />
import type { PlotlyLike } from './plot.ts';

/**
 * What every report page's script does around its charts: find Plotly (or say plainly that
 * plotly.min.js is missing), read the page's chart data from a JSON block, draw, and mark
 * body[data-gradlab-rendered] "done" once Plotly has drawn every chart ("error", with a banner,
 * when one failed), so a browser test knows when to look.
 */
export function startPage<V>(viewId: string, draw: (view: V, plotly: PlotlyLike) => Promise<unknown>[]): void {
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
  const view = JSON.parse(document.getElementById(viewId)!.textContent!) as V;
  let pending: Promise<unknown>[];
  try {
    pending = draw(view, plotly);
  } catch (e) {
    banner(failed(e));
    setState('error');
    throw e;
  }
  Promise.all(pending).then(() => setState('done'), (e: unknown) => {
    banner(failed(e));
    setState('error');
    console.error(e);
  });
}

/** Run `redraw` once the window has stopped resizing: legends are fitted to a chart's width. */
export function onResize(redraw: () => void): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('resize', () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(redraw, 250);
  });
}
