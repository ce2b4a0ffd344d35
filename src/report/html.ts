import { escapeHtml as h, jsonForScript } from './escape.ts';
import { REPORT_CSS } from './style.ts';

/** The HTML every report page shares: the document around its body, and small header parts. */

export interface PageParts {
  /** The document's title (plain text; escaped here). */
  title: string;
  /** gradlab's version, for the generator meta tag. */
  gradlab: string;
  /** The <main> element's content: HTML, every string in it already escaped. */
  main: string;
  /** JSON blocks the page's script reads, by element id. */
  data: Record<string, unknown>;
  /** The `src` of Plotly's script tag, relative to the page. */
  plotlyPath: string;
  /** The page's static script (client.ts's bundle). */
  script: string;
}

/** A whole report page: the stylesheet, the content, the JSON blocks, Plotly and the script. */
export function pageHtml(p: PageParts): string {
  const blocks = Object.entries(p.data).map(([id, value]) => `<script type="application/json" id="${h(id)}">${jsonForScript(value)}</script>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gradlab ${h(p.gradlab)}">
<title>${h(p.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body data-gradlab-rendered="pending">
<main>
${p.main}
</main>
${blocks}
<script src="${h(p.plotlyPath)}"></script>
<script>${p.script}</script>
</body>
</html>
`;
}

/** One label: value pair of a header's <dl class="meta">. */
export function metaItem(label: string, valueHtml: string): string {
  return `<div><dt>${h(label)}</dt><dd>${valueHtml}</dd></div>`;
}

/** A duration in words: 4.2 s, 3 min 12 s, 1 h 5 min. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
