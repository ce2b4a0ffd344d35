import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomicWrite.ts';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROBE_SCHEMA, type ProbeResults } from '../records/probe.ts';
import type { Results } from '../records/results.ts';
import { escapeHtml as h } from './escape.ts';
import { renderReport } from './render.ts';
import { REPORT_CSS } from './style.ts';

/** The file name of Plotly's bundle, copied next to every report so it opens offline. */
export const PLOTLY_FILE = 'plotly.min.js';

/** Where plotly.js-dist-min's bundle is installed. */
export function plotlySource(): string {
  return createRequire(import.meta.url).resolve('plotly.js-dist-min/plotly.min.js');
}

/** Copy Plotly next to the report, unless a file of the same size is already there. */
export function ensurePlotly(dir: string): void {
  const src = plotlySource();
  const dest = join(dir, PLOTLY_FILE);
  if (existsSync(dest) && statSync(dest).size === statSync(src).size) return;
  writeFileAtomic(dest, readFileSync(src));
}

/**
 * Render `results` to `dir/index.html`, with Plotly copied to `dir/plotly.min.js` and referenced
 * relatively: the folder opens offline from file://. Returns the path of index.html.
 */
export function writeReport(dir: string, results: Results): string {
  return writePage(dir, (plotlyPath) => renderReport(results, { plotlyPath }));
}

/**
 * Write the page `render` makes (given Plotly's relative src) to `dir/index.html`, with Plotly
 * copied next to it so the folder opens offline from file://. Returns the path of index.html.
 */
export function writePage(dir: string, render: (plotlyPath: string) => string): string {
  mkdirSync(dir, { recursive: true });
  ensurePlotly(dir);
  const path = join(dir, 'index.html');
  writeFileAtomic(path, render(PLOTLY_FILE));
  return path;
}

interface IndexEntry {
  dir: string;
  experiment: string;
  description: string;
  startedAt: string;
  backend: string;
  quick: boolean;
  variants: number;
  counts: { ok: number; diverged: number; failed: number; interrupted: number };
  hasReport: boolean;
  /** A `gradlab probe` folder: one model on one batch, no variants or runs. */
  probe: boolean;
  /** A suite's folder: `variants` counts its experiments. */
  suite?: boolean;
  error?: string;
}

/** A suite's folder (suite.json, written by `gradlab experiment <suite>`): its summary page. */
function suiteEntry(root: string, dir: string): IndexEntry | null {
  const file = join(root, dir, 'suite.json');
  if (!existsSync(file)) return null;
  const base: IndexEntry = { dir, experiment: dir, description: '', startedAt: '', backend: '', quick: false, variants: 0, counts: { ok: 0, diverged: 0, failed: 0, interrupted: 0 }, hasReport: existsSync(join(root, dir, 'index.html')), probe: false, suite: true };
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as { suite?: unknown; description?: unknown; experiments?: { quick?: unknown; runs?: Record<string, unknown> }[] };
    const experiments = Array.isArray(s.experiments) ? s.experiments : [];
    const counts = { ok: 0, diverged: 0, failed: 0, interrupted: 0 };
    for (const e of experiments) for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += typeof e?.runs?.[k] === 'number' ? (e.runs[k] as number) : 0;
    return {
      ...base,
      experiment: `suite: ${typeof s.suite === 'string' ? s.suite : dir}`,
      description: typeof s.description === 'string' ? s.description : '',
      startedAt: new Date(statSync(file).mtimeMs).toISOString(),
      quick: experiments.some((e) => e?.quick === true),
      variants: experiments.length,
      counts,
    };
  } catch (e) {
    return { ...base, error: `unreadable suite.json: ${(e as Error).message}` };
  }
}

function readEntry(root: string, dir: string): IndexEntry | null {
  const file = join(root, dir, 'results.json');
  if (!existsSync(file)) return suiteEntry(root, dir);
  const hasReport = existsSync(join(root, dir, 'index.html'));
  const base: IndexEntry = { dir, experiment: dir, description: '', startedAt: '', backend: '', quick: false, variants: 0, counts: { ok: 0, diverged: 0, failed: 0, interrupted: 0 }, hasReport, probe: false };
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<Results>;
    if ((r.schema as string | undefined) === PROBE_SCHEMA) return probeEntry(base, r as unknown as Partial<ProbeResults>);
    const runs = Array.isArray(r.runs) ? r.runs : [];
    const config = (typeof r.config === 'object' && r.config !== null ? r.config : {}) as Record<string, unknown>;
    const counts = { ok: 0, diverged: 0, failed: 0, interrupted: 0 };
    for (const run of runs) if (run && typeof run.status === 'string' && Object.hasOwn(counts, run.status)) counts[run.status]++;
    return {
      ...base,
      experiment: typeof r.experiment === 'string' ? r.experiment : dir,
      description: typeof r.description === 'string' ? r.description : '',
      startedAt: typeof r.env?.startedAt === 'string' ? r.env.startedAt : '',
      backend: typeof r.env?.backend === 'string' ? r.env.backend : '',
      quick: config.quick === true,
      variants: new Set(runs.map((run) => run?.variant)).size,
      counts,
    };
  } catch (e) {
    return { ...base, error: `unreadable results.json: ${(e as Error).message}` };
  }
}

function probeEntry(base: IndexEntry, r: Partial<ProbeResults>): IndexEntry {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    ...base,
    probe: true,
    experiment: `probe: ${str(r.model?.cell) || '?'}`,
    description: `${str(r.source?.weights)} on ${str(r.source?.data)}`,
    startedAt: str(r.env?.startedAt),
    backend: str(r.env?.backend),
  };
}

/** Sub-folders of `root` (as '/'-joined relative paths, at most `depth` deep) that hold a
 * results.json; a run's own runs/ folder is not searched. */
function resultFolders(root: string, rel: string, depth: number): string[] {
  if (depth === 0) return [];
  const found: string[] = [];
  for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
    if (!d.isDirectory() || d.name === 'runs') continue;
    const sub = rel ? `${rel}/${d.name}` : d.name;
    if (existsSync(join(root, sub, 'results.json')) || existsSync(join(root, sub, 'suite.json'))) found.push(sub);
    found.push(...resultFolders(root, sub, depth - 1));
  }
  return found;
}

/**
 * Write `reportsRoot/index.html`: every `<name>/results.json` under reportsRoot, newest first (by
 * env.startedAt), linking to `<name>/index.html`. Returns the path written.
 */
export function writeReportsIndex(reportsRoot: string): string {
  mkdirSync(reportsRoot, { recursive: true });
  const entries: IndexEntry[] = [];
  for (const dir of resultFolders(reportsRoot, '', 3)) {
    const e = readEntry(reportsRoot, dir);
    if (e) entries.push(e);
  }
  const time = (s: string) => { const t = Date.parse(s); return Number.isFinite(t) ? t : -Infinity; };
  entries.sort((a, b) => time(b.startedAt) - time(a.startedAt) || a.dir.localeCompare(b.dir));
  const rows = entries.map((e) => {
    const href = `${e.dir.split('/').map(encodeURIComponent).join('/')}/index.html`;
    const name = e.hasReport ? `<a href="${h(href)}">${h(e.experiment)}</a>` : `${h(e.experiment)} <span class="n">(no index.html: run gradlab report)</span>`;
    const status = e.error
      ? `<span class="status status-failed">${h(e.error)}</span>`
      : e.probe ? 'one model, one batch' : `${e.counts.ok} ok${e.counts.diverged ? `, <span class="status status-diverged">${e.counts.diverged} diverged</span>` : ''}${e.counts.failed ? `, <span class="status status-failed">${e.counts.failed} failed</span>` : ''}${e.counts.interrupted ? `, <span class="status status-interrupted">${e.counts.interrupted} interrupted</span>` : ''}`;
    return `<tr data-dir="${h(e.dir)}"><td>${name}${e.quick ? ' <span class="badge quick">quick</span>' : ''}${e.dir !== e.experiment ? ` <span class="n">in ${h(e.dir)}/</span>` : ''}</td><td>${h(e.description)}</td><td class="num"><time datetime="${h(e.startedAt)}">${h(e.startedAt || '—')}</time></td><td>${h(e.backend)}</td><td class="num">${e.probe ? '—' : e.suite ? `${e.variants} experiments` : e.variants}</td><td>${status}</td></tr>`;
  }).join('\n');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gradlab reports</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<h1>gradlab reports</h1>
<p class="caption">Every experiment under this folder, newest first. Each report opens offline.</p>
${entries.length === 0 ? '<p>No results yet: run <code>npm run experiment &lt;name&gt;</code>.</p>' : `<table id="reports-table"><thead><tr><th>experiment</th><th>description</th><th>started</th><th>backend</th><th>variants</th><th>runs</th></tr></thead>
<tbody>${rows}</tbody></table>`}
</main>
</body>
</html>
`;
  const path = join(reportsRoot, 'index.html');
  writeFileAtomic(path, html);
  return path;
}
