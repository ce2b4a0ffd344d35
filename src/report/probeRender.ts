import { REACH_THRESHOLD } from '../diagnostics/gradientReach.ts';
import type { ProbeLayer, ProbeResults } from '../records/probe.ts';
import type { GradientReach, Num } from '../records/results.ts';
import { clientScript } from './client.ts';
import { escapeHtml as h } from './escape.ts';
import { duration, metaItem, pageHtml } from './html.ts';
import { buildProbeView, gapCounts } from './probeView.ts';
import { fmt } from './stats.ts';

/**
 * `gradlab probe`'s results -> one HTML page: one model on one batch. Every string from the
 * results (file names, key prefixes, gate names, the command) is escaped here; the chart data
 * is embedded as JSON and drawn by a static script.
 */

export interface ProbeRenderOptions {
  /** The `src` of Plotly's script tag, relative to the page (e.g. "plotly.min.js"). */
  plotlyPath: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What saturation means for this cell's gradient, said with its own gates. */
function saturationExample(cell: string): string {
  if (cell === 'lstm') return 'Not always bad: a forget gate f saturated near 1 keeps dL/dc_t flat, one near 0 cuts it.';
  if (cell === 'gru') return 'Not always bad: an update gate z saturated near 1 copies h_{t−1} forward and keeps dL/dh_t flat.';
  return 'A tanh unit saturated near ±1 passes almost no gradient back; a ReLU at 0 passes none.';
}

/** The probe's cell has a cell state (an LSTM): its dL/dc charts and columns are shown. */
const hasCellState = (r: ProbeResults): boolean => r.layers.some((l) => l.dLdc !== null);

function modelText(r: ProbeResults): string {
  const m = r.model;
  const head = m.outputSize === null ? 'no head (the loss reads the top layer’s h)' : `a linear head to ${plural(m.outputSize, 'output')}`;
  return `${m.cell}, ${plural(m.inputSize, 'input')}, hidden size ${m.hiddenSize}, ${plural(m.numLayers, 'layer')}, ${head}`;
}

function lossText(r: ProbeResults): string {
  const kind = r.loss.kind === 'cross_entropy' ? 'cross-entropy' : 'MSE';
  return `${kind} ${r.loss.target === 'last' ? 'at the last step' : 'at every step'} = ${fmt(r.loss.value, 4)}`;
}

/** Keys of the weights file the model did not use: the count and the first few in the header,
 * all of them one click away. */
function ignoredNotice(keys: readonly string[]): string {
  if (keys.length === 0) return '';
  const shown = keys.slice(0, 6).map((k) => `<code>${h(k)}</code>`).join(', ');
  const more = keys.length > 6 ? `<details><summary>all ${keys.length}</summary><pre id="ignored-keys">${h(keys.join('\n'))}</pre></details>` : '';
  return `<div class="notes" id="ignored-notice"><strong>${keys.length} tensor${keys.length === 1 ? '' : 's'} in the weights file went unused:</strong> ${shown}${keys.length > 6 ? ', …' : ''}${more}</div>`;
}

function renderHeader(r: ProbeResults): string {
  const env = r.env;
  const sample = r.sample === null ? `the whole batch (${r.batch.size} sequences)` : `sequence ${r.sample} of the batch only`;
  return `<header class="top">
  <div class="title-row"><h1 id="probe-title">Gradient probe: ${h(r.model.cell)}</h1><span class="badge cell">${h(r.dtype)}</span></div>
  <p class="lead" id="probe-model">${h(modelText(r))}</p>
  <dl class="meta" id="probe-meta">
    ${metaItem('weights', `<code id="probe-weights">${h(r.source.weights)}</code>${r.source.prefix ? ` (keys under <code>${h(r.source.prefix)}</code>)` : ''}`)}
    ${r.source.head !== null ? metaItem('head keys', `<code>${h(r.source.head)}</code>`) : ''}
    ${metaItem('data', `<code id="probe-data">${h(r.source.data)}</code>`)}
    ${metaItem('loss', h(lossText(r)))}
    ${metaItem('batch', h(`${r.batch.size} sequences × ${r.batch.steps} steps`))}
    ${metaItem('norms over', h(sample))}
    ${metaItem('dtype', h(r.dtype))}
    ${metaItem('backend', h(env.backend))}
    ${metaItem('started', `<time datetime="${h(env.startedAt)}">${h(env.startedAt)}</time>`)}
    ${metaItem('took', h(duration(env.durationMs)))}
    ${metaItem('gradlab', h(env.gradlab))}
    ${metaItem('node', h(env.node))}
  </dl>
  <div class="reproduce"><span>Reproduce:</span><code id="reproduce-command">${h(env.command)}</code></div>
  ${ignoredNotice(r.source.ignoredKeys)}
</header>`;
}

function reachCells(reach: GradientReach | null, T: number): string {
  if (!reach) return '<td class="num">—</td><td class="num">—</td><td class="num">—</td>';
  return `<td class="num">${h(reach.reach)} of ${h(T)}</td><td class="num">${h(fmt(reach.decadesPerStep, 3))}</td><td class="num">${h(fmt(reach.firstToLast, 3))}</td>`;
}

function renderSummary(r: ProbeResults): string {
  const T = r.batch.steps;
  const c = hasCellState(r);
  const sigma = r.model.cell === 'indrnn' ? 'max |u|' : 'σ_max(W_hh)';
  const rows = r.layers.map((l) => `<tr data-layer="${h(l.layer)}"><th scope="row">${h(l.layer)}${l.layer === r.layers.length - 1 && r.layers.length > 1 ? ' (top)' : ''}</th><td class="num">${h(fmt(l.sigmaMaxWhh, 4))}</td>${reachCells(l.reach, T)}${c ? reachCells(l.reachC, T) : ''}</tr>`).join('\n');
  const sub = (x: string) => `<th scope="col">reach</th><th scope="col">decades/step</th><th scope="col">‖${x}₁‖ / ‖${x}_T‖</th>`;
  const every = r.loss.target === 'every'
    ? ' The loss is at every step here, so each h_t also gets the loss’s own term at t: a flat profile does not by itself show a long reach.'
    : '';
  return `<section id="sec-summary">
  <h2>Per layer</h2>
  <p class="caption">Reach: timesteps back from T over which the norm stays above ${h(fmt(REACH_THRESHOLD))} of its value at T. Decades/step: the least-squares slope of log10 of the norm against t; positive means it shrinks going back in time (0.1: ten times smaller every 10 steps). ${h(sigma)}: below 1 a tanh or ReLU RNN’s gradient must vanish (Pascanu et al. 2013); for gated cells it bounds nothing by itself.${h(every)}</p>
  <table id="probe-summary"><thead>
  <tr><th rowspan="2">layer</th><th rowspan="2">${h(sigma)}</th><th colspan="3">dL/dh</th>${c ? '<th colspan="3">dL/dc (cell state)</th>' : ''}</tr>
  <tr>${sub('dL/dh')}${c ? sub('dL/dc') : ''}</tr></thead>
  <tbody>${rows}</tbody></table>
</section>`;
}

/** In words, what the charts draw as gaps: NaN/Inf values, and zeros on a log axis. */
function gapNote(series: { label: string; values: readonly Num[] }[], T: number): string {
  const parts: string[] = [];
  for (const s of series) {
    const g = gapCounts(s.values);
    if (g.nonFinite > 0) parts.push(`${s.label}: NaN/Inf at ${g.nonFinite} of ${T} timesteps`);
    if (g.zeros > 0) parts.push(`${s.label}: exactly 0 at ${g.zeros} of ${T} timesteps (no place on a log axis)`);
  }
  return parts.length === 0 ? '' : `<p class="caption gaps">Drawn as gaps: ${h(parts.join('; '))}.</p>`;
}

function figure(id: string, title: string, caption: string, kind: string): string {
  return `<figure><figcaption>${h(title)}</figcaption><p class="caption">${h(caption)}</p><div class="chart ${kind}" id="${h(id)}"></div></figure>`;
}

function renderTime(r: ProbeResults): string {
  const T = r.batch.steps;
  const c = hasCellState(r);
  const where = r.loss.target === 'last' ? 'The loss is at t = T (right).' : 'The loss is at every t.';
  const series = r.layers.flatMap((l) => [
    { label: `‖dL/dh_t‖ layer ${l.layer}`, values: l.dLdh },
    ...(l.dLdc ? [{ label: `‖dL/dc_t‖ layer ${l.layer}`, values: l.dLdc }] : []),
  ]);
  return `<section id="sec-time">
  <h2>Gradient back through time</h2>
  <div class="grid2">
    ${figure('probe-dldh', '‖dL/dh_t‖ per layer', `${where} Reading leftwards: a straight falling line (log scale) is exponential vanishing, a flat line reaches t = 1, a rising one explodes.`, 'chart-line')}
    ${c ? figure('probe-dldc', '‖dL/dc_t‖ per layer (cell state)', 'The gradient flows back through c_t multiplied by the forget gate: where f_t sits near 1 this line stays flat even while ‖dL/dh_t‖ falls.', 'chart-line') : ''}
  </div>
  ${gapNote(series, T)}
</section>`;
}

function gateRow(l: ProbeLayer, T: number, top: boolean, cell: string): string {
  const names = l.gates.map((g) => g.name).join(', ');
  const series = l.gates.map((g) => ({ label: `gate ${g.name}, layer ${l.layer}`, values: g.gradNorm }));
  return `<h3>Layer ${h(l.layer)}${top ? ' (top)' : ''} <span class="n">gates ${h(names)}</span></h3>
  <div class="grid2">
    ${figure(`probe-gates-${l.layer}`, '‖dL/da_t‖ per gate (a: the gate’s pre-activation)', 'How much gradient reaches each gate’s input at t; the gate’s weight gradients sum these over t. A gate decades below the others learns little from that t.', 'chart-line')}
    ${figure(`probe-sat-${l.layer}`, 'Saturated share per gate', `Share of (sequence, unit) pairs whose gate is saturated (sigmoid outside 0.05..0.95, |tanh| > 0.9, ReLU at 0), where its derivative passes little gradient. Solid: the whole share; dotted: the part saturated high (σ > 0.95, tanh > 0.9); the gap between them is the low side. ${saturationExample(cell)}`, 'chart-line')}
  </div>
  ${gapNote(series, T)}`;
}

function renderGates(r: ProbeResults): string {
  const rows = r.layers.map((l, i) => gateRow(l, r.batch.steps, i === r.layers.length - 1 && r.layers.length > 1, r.model.cell)).join('\n');
  return `<section id="sec-gates">
  <h2>Gates</h2>
  ${rows}
</section>`;
}

function renderUnits(r: ProbeResults): string {
  const c = r.units.dLdc !== null;
  const top = r.layers.length > 0 ? r.layers[r.layers.length - 1].layer : 0;
  const over = r.sample === null ? '‖·‖ over the batch' : '|·| of the sample';
  const rows = [...r.units.dLdh, ...(r.units.dLdc ?? [])];
  const nonFinite = rows.reduce((n, row) => n + gapCounts(row).nonFinite, 0);
  const zeros = rows.reduce((n, row) => n + gapCounts(row).zeros, 0);
  const notes = [nonFinite > 0 ? `${plural(nonFinite, 'cell')} NaN/Inf (blank)` : '', zeros > 0 ? `${plural(zeros, 'cell')} exactly 0 (drawn at the bottom of the scale)` : ''].filter(Boolean).join('; ');
  return `<section id="sec-units">
  <h2>Top layer (${h(top)}), per unit</h2>
  <p class="caption">Each unit of h (y, numbered from 0 as torch indexes it) against t, ${h(over)}, in log10 colour; each heatmap has its own scale. It shows whether a few units carry the long-range gradient while the rest vanish.${notes ? ` ${h(notes)}.` : ''}</p>
  <div class="grid2">
    ${figure('probe-heat-dldh', 'dL/dh_t per unit', 'Dark: small.', 'chart-units')}
    ${c ? figure('probe-heat-dldc', 'dL/dc_t per unit (cell state)', 'Dark: small.', 'chart-units') : ''}
  </div>
</section>`;
}

export function renderProbeReport(results: ProbeResults, opts: ProbeRenderOptions): string {
  return pageHtml({
    title: `probe ${results.model.cell} · ${results.source.weights} · gradlab`,
    gradlab: results.env.gradlab,
    main: `${renderHeader(results)}
<div id="render-error" class="error" hidden></div>
${renderSummary(results)}
${renderTime(results)}
${renderGates(results)}
${renderUnits(results)}
<footer>Generated by gradlab ${h(results.env.gradlab)} from the probe’s results.json (schema ${h(results.schema)}). The raw results are embedded in this page (script#gradlab-data).</footer>`,
    data: { 'gradlab-data': results, 'gradlab-probe-view': buildProbeView(results) },
    plotlyPath: opts.plotlyPath,
    script: clientScript('probe'),
  });
}
