import type { Num, Results, RunResult } from '../records/results.ts';
import { REACH_THRESHOLD } from '../diagnostics/gradientReach.ts';
import { judgeClaims } from '../claims/judge.ts';
import { renderClaims } from './claimsRender.ts';
import { clientScript } from './client.ts';
import { cutMiddle } from './client/format.ts';
import { escapeHtml as h } from './escape.ts';
import { duration, metaItem, pageHtml } from './html.ts';
import { fmt, meanStd, type MeanStd } from './stats.ts';
import { verdicts, type Verdict } from './verdict.ts';
import { buildView, configVariants, FLOW_LABELS, requestedFlowSteps, runsOf, variantNames, type ReportView, type VariantView } from './view.ts';

/**
 * results.json -> one HTML document. Every string from the results is escaped here; the raw
 * results and the chart data are embedded as JSON blocks and drawn by a static inline script.
 */

export interface RenderOptions {
  /** The `src` of Plotly's script tag, relative to the report (e.g. "plotly.min.js"). */
  plotlyPath: string;
}

export interface MetricsTable {
  metrics: string[];
  rows: { variant: string; runs: number; cells: Record<string, MeanStd> }[];
}

/** Mean ± sample std per variant and metric, over the runs whose value is a finite number. */
export function metricsTable(results: Results): MetricsTable {
  const metrics: string[] = [];
  for (const r of results.runs) for (const k of Object.keys(r.metrics ?? {})) if (!metrics.includes(k)) metrics.push(k);
  const rows = variantNames(results).map((variant) => {
    const runs = runsOf(results, variant);
    const cells: Record<string, MeanStd> = {};
    for (const m of metrics) cells[m] = meanStd(runs.map((r) => r.metrics?.[m] ?? null));
    return { variant, runs: runs.length, cells };
  });
  return { metrics, rows };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function configField(results: Results, key: string): unknown {
  return isRecord(results.config) ? results.config[key] : undefined;
}

function taskText(results: Results): string {
  const task = configField(results, 'task');
  if (!isRecord(task)) return '—';
  const rest = Object.entries(task).filter(([k]) => k !== 'name').map(([k, v]) => `${k} = ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return `${String(task.name ?? '?')}${rest.length ? ` (${rest.join(', ')})` : ''}`;
}

function renderHeader(results: Results): string {
  const env = results.env ?? ({} as Results['env']);
  const notes = configField(results, 'notes');
  const quick = configField(results, 'quick') === true;
  const seeds = configField(results, 'seeds');
  const steps = configField(results, 'steps');
  const commit = env.gitCommit ? `<code title="${h(env.gitCommit)}">${h(env.gitCommit.slice(0, 12))}</code>` : 'not in a git checkout';
  return `<header class="top">
  <div class="title-row"><h1 id="experiment-name">${h(results.experiment)}</h1>${quick ? '<span class="badge quick" title="--quick: a shrunken smoke-test run">quick run</span>' : ''}</div>
  <p class="lead" id="experiment-description">${h(results.description)}</p>
  ${typeof notes === 'string' && notes ? `<p class="notes" id="experiment-notes"><strong>What to look for:</strong> ${h(notes)}</p>` : ''}
  <dl class="meta">
    ${metaItem('task', h(taskText(results)))}
    ${typeof steps === 'number' ? metaItem('steps', h(steps)) : ''}
    ${Array.isArray(seeds) ? metaItem('seeds', h(seeds.join(', '))) : ''}
    ${metaItem('started', `<time datetime="${h(env.startedAt)}">${h(env.startedAt)}</time>`)}
    ${metaItem('took', h(duration(env.durationMs)))}
    ${metaItem('backend', h(env.backend))}
    ${metaItem('gradlab', h(env.gradlab))}
    ${metaItem('node', h(env.node))}
    ${metaItem('platform', h(env.platform))}
    ${metaItem('commit', commit)}
  </dl>
  <div class="reproduce"><span>Reproduce:</span><code id="reproduce-command">${h(env.command ?? '')}</code></div>
  ${partialNotice(results)}
</header>`;
}

/** Results of an experiment that stopped early say so before anything else is read. */
function partialNotice(results: Results): string {
  const unfinished = results.runs.filter((r) => r.status === 'interrupted').length;
  if (unfinished === 0) return '';
  return `<p class="notes partial" id="partial-notice"><strong>Partial results:</strong> ${h(results.runs.length - unfinished)} of ${h(results.runs.length)} runs finished; the others were interrupted and show what they logged. Run the command above with <code>--resume</code> (and the same <code>--out</code>) to complete them.</p>`;
}

function swatch(v: VariantView): string {
  return `<span class="swatch" style="background:${h(v.color)}"></span>`;
}

/** Characters of a variant's name in the sticky toolbar (the whole name is its tooltip): with a
 * dozen long names the toolbar would otherwise cover a third of the screen. */
const TOOLBAR_NAME = 40;

function renderToolbar(view: ReportView): string {
  const options = Array.from({ length: view.maxLayers }, (_, l) =>
    `<option value="${l}">${l}${view.maxLayers > 1 ? (l === 0 ? ' (bottom)' : l === view.maxLayers - 1 ? ' (top)' : '') : ''}</option>`).join('');
  return `<nav class="toolbar" aria-label="chart controls">
  <label for="layer-select">Layer <select id="layer-select"${view.maxLayers === 1 ? ' disabled title="every variant has one layer"' : ''}>${options}</select></label>
  <div class="legend" id="variant-legend">${view.variants.map((v) => `<span title="${h(v.name)}">${swatch(v)}${h(cutMiddle(v.name, TOOLBAR_NAME))}</span>`).join('')}</div>
</nav>`;
}

/** One line per layer with the numbers that answer "how far back": reach and ratio, start -> end. */
function kpis(verdict: Verdict | undefined, v: VariantView): string {
  if (!verdict || verdict.layers.length === 0) return `<p class="kpi" data-layer="0">no gradient profile</p>`;
  return verdict.layers.map((lr) => {
    const arrow = (a: string | null, b: string) => (a === null || a === b ? b : `${a} → ${b}`);
    const reach = arrow(lr.start ? String(lr.start.reach) : null, String(lr.end.reach));
    const ratio = arrow(lr.start ? fmt(lr.start.ratio, 2) : null, fmt(lr.end.ratio, 2));
    return `<p class="kpi" data-layer="${lr.layer}"${lr.layer === 0 ? '' : ' hidden'} title="medians over seeds, first → last logged step${v.numLayers > 1 ? `, layer ${lr.layer}` : ''}"><span>reach</span><span><b>${h(reach)}</b> of ${lr.T} steps</span><span>‖dL/dh₁‖ / ‖dL/dh_T‖</span><span><b>${h(ratio)}</b></span></p>`;
  }).join('');
}

function renderPanels(results: Results, view: ReportView, vs: Verdict[]): string {
  const cfgs = configVariants(results.config);
  const zeroNote = view.hasZeros ? ' Cells at the very bottom of the scale include medians that were exactly 0 (underflow).' : '';
  const panels = view.variants.map((v) => {
    const verdict = vs.find((x) => x.variant === v.name);
    const cfg = cfgs.find((c) => c.name === v.name);
    const arch = [v.cell, cfg?.hiddenSize ? `H=${cfg.hiddenSize}` : null, v.numLayers > 1 ? `${v.numLayers} layers` : null, v.T ? `T=${v.T}` : null].filter(Boolean).join(' · ');
    const sub = [arch, v.description].filter(Boolean).join(' — ');
    return `<figure class="panel" id="panel-${v.index}" data-variant="${v.index}">
  <div class="panel-head">${swatch(v)}<h3>${h(v.name)}</h3>${verdict ? `<span class="badge label-${verdict.label}" title="bottom layer, end of training">${h(verdict.label)}</span>` : ''}<span class="layer" id="heatmap-layer-${v.index}"></span></div>
  ${sub ? `<p class="desc" title="${h(sub)}">${h(sub)}</p>` : ''}
  ${kpis(verdict, v)}
  <div class="chart chart-heatmap" id="heatmap-${v.index}" data-variant="${v.index}"></div>
  <ul class="verdict" id="verdict-${v.index}">${(verdict?.sentences ?? []).map((s) => `<li>${h(s)}</li>`).join('')}</ul>
</figure>`;
  }).join('\n');
  const scale = view.zmin === null || view.zmax === null ? 'no finite values' : `‖dL/dh_t‖ from ${fmt(10 ** view.zmin, 2)} to ${fmt(10 ** view.zmax, 2)}`;
  return `<section id="sec-reach">
  <h2>How far back the gradient reaches, and how that changes over training</h2>
  <p class="caption">‖dL/dh_t‖ (L2 over batch and units; median over seeds) at each timestep t (x; the loss is at t = T, right) and logged training step (y, upwards).
  <strong>One log colour scale for all variants</strong> (${h(scale)}); dark = small. White dotted line: the reach limit, left of which the gradient is below ${h(fmt(REACH_THRESHOLD))} of its value at t = T (no line: it reaches t = 1).
  Reach and ‖dL/dh₁‖/‖dL/dh_T‖ are medians over seeds, first → last logged step. Blank cells: NaN/Inf.${h(zeroNote)}</p>
  <div class="panels">${panels}</div>
</section>`;
}

function renderFlow(requested: number[] | null): string {
  const fig = (label: string, title: string) => `<figure><figcaption>${h(title)}</figcaption><div class="chart chart-flow" id="flow-${label}"></div></figure>`;
  const figures = requested && requested.length > 0
    ? requested.slice(0, FLOW_LABELS.length).map((step, i) => fig(FLOW_LABELS[i], step === 0 ? 'At initialisation (step 0)' : `After ${step} steps (the logged step nearest; its number is in the chart)`)).join('')
    : `${fig('start', 'Start of training')}${fig('middle', 'Middle of training')}${fig('end', 'End of training')}`;
  const when = requested && requested.length > 0
    ? `at the logged step nearest each of steps ${requested.join(', ')} (chosen by the experiment)`
    : 'at the first, middle and last logged step of each variant';
  return `<section id="sec-flow">
  <h2>Gradient flow back through time</h2>
  <p class="caption">‖dL/dh_t‖ against t (log scale) ${h(when)}: line = median over seeds, band = min..max over seeds. A flat line means the gradient reaches the start of the sequence; a straight falling line (going left) means exponential vanishing.
  <label>Scale <select id="flow-scale"><option value="abs">absolute ‖dL/dh_t‖</option><option value="rel">relative to ‖dL/dh_T‖ (per seed)</option></select></label></p>
  <div class="grid3">${figures}</div>
</section>`;
}

/** Gate diagnostics at the runs' first and last step; no section when no variant recorded them. */
function renderGates(view: ReportView): string {
  const withGates = view.variants.filter((v) => v.gates !== null);
  if (withGates.length === 0) return '';
  const options = withGates.map((v) => `<option value="${v.index}">${h(v.name)}</option>`).join('');
  const fig = (id: string, title: string, caption: string) =>
    `<figure><figcaption>${title}</figcaption><p class="caption">${caption}</p><div class="chart chart-gates" id="${id}"></div></figure>`;
  return `<section id="sec-gates">
  <h2>Gates at the start and end of training</h2>
  <p class="caption">At each run’s first and last training step (step 0 and the final step) the trainer makes one extra forward and backward pass on that step’s batch, in eval mode (without dropout), and records per layer ‖dL/dc_t‖ and each gate’s gradient and saturation, as <code>gradlab probe</code> does. These are two points of training, not a history. Lines: median over seeds; a run that diverged or stopped early has no end point. Follows the layer selector.
  <label>Variant <select id="gate-variant"${withGates.length <= 1 ? ' disabled' : ''}>${options}</select></label> <span class="n" id="gates-layer"></span></p>
  <div class="grid3">
    ${fig('gates-dldc', '‖dL/dc_t‖ (cell state), start and end', 'Dashed: start of training; solid: end. LSTM only: the gradient flows back through c_t multiplied by the forget gate, so a forget gate saturated high keeps this line flat back in time even while ‖dL/dh_t‖ falls.')}
    ${fig('gates-grad', '‖dL/da_t‖ per gate (a: the gate’s pre-activation)', 'Solid: end of training; dashed: start. How much gradient reaches each gate’s input at t; the gate’s weights learn from the sum over t. A gate decades below the others learns little from that t.')}
    ${fig('gates-sat', 'Saturated share per gate, end of training', 'Solid: share of (sequence, unit) pairs whose gate is saturated (sigmoid outside 0.05..0.95, |tanh| &gt; 0.9, ReLU at 0); dotted: the part saturated high (σ &gt; 0.95, tanh &gt; 0.9); the gap between them is the low side. A saturated gate passes little gradient to its own input, yet a forget gate saturated high is what keeps ‖dL/dc_t‖ flat; one saturated low cuts it.')}
  </div>
</section>`;
}

function renderTraining(results: Results, view: ReportView): string {
  const baselines = (results.baselines ?? []).map((b) => `<li><code>${h(b.metric)}</code> = ${h(fmt(b.value, 4))}: ${h(b.note)}${b.variants ? ` (for ${h(b.variants.join(', '))})` : ''}</li>`).join('');
  const clipNote = view.variants.some((v) => v.clipNorm !== null)
    ? 'Dashed line: the norm-clipping threshold; × marks: steps where clipping fired (each seed, in the variant’s colour).'
    : view.variants.some((v) => v.clipValue !== null) ? 'Value clipping: × marks steps where any element was clamped.' : 'No variant clips by norm.';
  return `<section id="sec-training">
  <h2>Training</h2>
  <p class="caption">One line per variant: the median over seeds, band min..max. Legend names too long for a line lose their middle; hover a line for the whole name, click a legend entry to hide or show that variant.</p>
  <div class="grid3">
    <figure><figcaption>Loss</figcaption><p class="caption">Solid: training batch loss; dashed: validation loss. Dotted black: the task's baseline.</p><div class="chart chart-train" id="loss-chart"></div></figure>
    <figure><figcaption>Global gradient norm</figcaption><p class="caption">‖g‖₂ over all parameters, before clipping. ${h(clipNote)}</p><div class="chart chart-train" id="gradnorm-chart"></div></figure>
    <figure><figcaption>Largest singular value of W_hh</figcaption><p class="caption">Pascanu et al. 2013: with |σ′| ≤ γ, σ_max(W_hh) &lt; 1/γ guarantees vanishing in a vanilla RNN and &gt; 1/γ is necessary for exploding; for gated cells (LSTM, GRU) the line is only a reference. Follows the layer selector.</p><div class="chart chart-train" id="sigma-chart"></div></figure>
    ${renderParamsFigure(view)}
    <figure><figcaption>Update-to-weight ratio</figcaption><p class="caption">‖Δθ‖/‖θ‖: the size of each logged step's update relative to the weights, over all parameters. A common rule of thumb, not a law, puts healthy training near 10⁻³ (dotted): far below, the weights barely move; near 10⁻¹ and above, each step rewrites much of them. With Adam the ratio follows the learning rate more than the gradient's size.</p><div class="chart chart-train" id="update-chart"></div></figure>
  </div>
  ${baselines ? `<p class="caption">Baselines of the task:</p><ul class="caption" id="baselines">${baselines}</ul>` : ''}
</section>`;
}

/** The per-parameter chart shows one variant at a time (a line per tensor), chosen here. */
function renderParamsFigure(view: ReportView): string {
  const options = view.variants.map((v) => `<option value="${v.index}">${h(v.name)}</option>`).join('');
  return `<figure><figcaption>Gradient norm per parameter tensor</figcaption><p class="caption">‖dL/dθ‖₂ of each tensor before clipping, median over seeds (no band, so the lines stay apart). Colour: kind of tensor; dash: layer (solid = layer 0). It shows which tensors carry the global norm beside it.
  <label>Variant <select id="param-variant"${view.variants.length <= 1 ? ' disabled' : ''}>${options}</select></label></p><div class="chart chart-train" id="params-chart"></div></figure>`;
}

function cellHtml(c: MeanStd, runs: number): string {
  const attrs = `data-n="${c.n}"${c.mean !== null ? ` data-mean="${c.mean}"` : ''}${c.std !== null ? ` data-std="${c.std}"` : ''}`;
  if (c.mean === null) return `<td class="num" ${attrs}>—<span class="n"> (n=0/${runs})</span></td>`;
  return `<td class="num" ${attrs}>${h(fmt(c.mean, 4))}${c.std !== null ? ` ± ${h(fmt(c.std, 2))}` : ''}<span class="n"> (n=${c.n}/${runs})</span></td>`;
}

function renderMetrics(results: Results, view: ReportView): string {
  const t = metricsTable(results);
  if (t.metrics.length === 0) return `<section id="sec-metrics"><h2>Metrics</h2><p class="caption">No run reported metrics.</p></section>`;
  const rows = t.rows.map((row, i) => `<tr data-variant="${h(row.variant)}"><th scope="row">${swatch(view.variants[i])} ${h(row.variant)}</th>${t.metrics.map((m) => cellHtml(row.cells[m], row.runs)).join('')}</tr>`).join('\n');
  const base = (results.baselines ?? []);
  const baseRow = base.some((b) => t.metrics.includes(b.metric))
    ? `<tr class="baseline"><th scope="row">baseline</th>${t.metrics.map((m) => {
      // One that holds for every variant; else each variant's own (the copy task's depends on T).
      const shared = base.find((x) => x.metric === m && !x.variants);
      if (shared) return `<td class="num" title="${h(shared.note)}">${h(fmt(shared.value, 4))}</td>`;
      const own = base.filter((x) => x.metric === m);
      return own.length ? `<td class="num" title="${h(own.map((b) => `${b.note}: ${(b.variants ?? []).join(', ')}`).join('; '))}">${own.map((b) => h(fmt(b.value, 4))).join(' / ')}</td>` : '<td></td>';
    }).join('')}</tr>`
    : '';
  return `<section id="sec-metrics">
  <h2>Metrics</h2>
  <p class="caption">Final metrics per variant: mean ± sample standard deviation over seeds, computed only over the runs whose value is a finite number (n = those runs / all runs).</p>
  <table id="metrics-table"><thead><tr><th>variant</th>${t.metrics.map((m) => `<th scope="col">${h(m)}</th>`).join('')}</tr></thead>
  <tbody>${rows}${baseRow}</tbody></table>
</section>`;
}

function lastLoss(run: RunResult): Num {
  for (let i = (run.log?.length ?? 0) - 1; i >= 0; i--) {
    const v = run.log[i].loss;
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

function renderRuns(results: Results): string {
  const rows = results.runs.map((r) => {
    const status = r.status === 'diverged'
      ? `<span class="status status-diverged">diverged at step ${h(r.divergedAtStep ?? '?')}</span>`
      : r.status === 'failed' ? '<span class="status status-failed">failed</span>'
        : r.status === 'interrupted' ? `<span class="status status-interrupted">interrupted after ${h(r.stepsRun)} steps</span>`
          : `<span class="status status-ok">${h(r.status)}</span>`;
    let T = 0;
    for (const e of r.log ?? []) for (const row of e.dLdh ?? []) T = Math.max(T, row?.length ?? 0);
    const reach = (r.summary?.reachAtEnd ?? []).map((x, l, all) => `${all.length > 1 ? `L${l}: ` : ''}${x.reach}/${T} (${fmt(x.firstToLast, 2)})`).join('<br>');
    const early = r.earlyStopped ? ' <span class="n">(early stop)</span>' : '';
    return `<tr class="run-${h(r.status)}" data-variant="${h(r.variant)}" data-seed="${h(r.seed)}">
  <td>${h(r.variant)}</td><td class="num">${h(r.seed)}</td><td>${status}</td><td class="num">${h(r.stepsRun ?? '—')}${early}</td>
  <td class="num">${h(fmt(lastLoss(r), 4))}</td><td class="num">${reach || '—'}</td><td class="num">${h(duration(r.durationMs))}</td>
  <td class="error-text">${r.error ? `<code>${h(r.error)}</code>` : ''}</td></tr>`;
  }).join('\n');
  return `<section id="sec-runs">
  <h2>Runs</h2>
  <p class="caption">Every run (variant × seed). Reach at end: timesteps back from T that ‖dL/dh_t‖ stays above ${h(fmt(REACH_THRESHOLD))} of ‖dL/dh_T‖, of T, with ‖dL/dh_1‖/‖dL/dh_T‖ in brackets. A diverged run stopped when its loss or gradient became NaN/Inf; its later points are gaps.</p>
  <table id="runs-table"><thead><tr><th>variant</th><th>seed</th><th>status</th><th>steps run</th><th>last train loss</th><th>reach at end</th><th>time</th><th>error</th></tr></thead>
  <tbody>${rows}</tbody></table>
</section>`;
}

function renderConfig(results: Results): string {
  return `<section id="sec-config">
  <h2>Configuration</h2>
  <details><summary>The experiment as resolved (defaults filled in), as stored in results.json</summary><pre id="config-json">${h(JSON.stringify(results.config, null, 2))}</pre></details>
</section>`;
}

export function renderReport(results: Results, opts: RenderOptions): string {
  const view = buildView(results);
  const vs = verdicts(results);
  return pageHtml({
    title: `${results.experiment} · gradlab report`,
    gradlab: results.env?.gradlab ?? '',
    main: `${renderHeader(results)}
<div id="render-error" class="error" hidden></div>
${renderClaims(judgeClaims(results), results)}
${renderToolbar(view)}
${renderPanels(results, view, vs)}
${renderFlow(requestedFlowSteps(results))}
${renderGates(view)}
${renderTraining(results, view)}
${renderMetrics(results, view)}
${renderRuns(results)}
${renderConfig(results)}
<footer>Generated by gradlab ${h(results.env?.gradlab ?? '')} from results.json (schema ${h(results.schema)}). The raw results are embedded in this page (script#gradlab-data).</footer>`,
    data: { 'gradlab-data': results, 'gradlab-view': view },
    plotlyPath: opts.plotlyPath,
    script: clientScript(),
  });
}
