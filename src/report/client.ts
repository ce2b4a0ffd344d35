/**
 * The page's script, inlined into every report. It reads the chart data from the
 * `#gradlab-view` JSON block and draws it with Plotly. Static code: no value from results.json is
 * ever interpolated into it. Strings handed to Plotly (trace names) go through `esc`, since
 * Plotly renders a subset of HTML in labels.
 *
 * Written in plain ES2017 without template literals so that it can live in this String.raw.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var body = document.body;
  function setState(s) { body.setAttribute('data-gradlab-rendered', s); }
  function banner(msg) {
    var el = document.getElementById('render-error');
    if (el) { el.textContent = msg; el.hidden = false; }
  }
  if (typeof window.Plotly === 'undefined') {
    banner('plotly.min.js could not be loaded: it must sit next to this index.html. The tables below are complete; the charts need it.');
    setState('no-plotly');
    return;
  }
  var Plotly = window.Plotly;
  var view = JSON.parse(document.getElementById('gradlab-view').textContent);

  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }
  /** For text inside a Plotly hovertemplate: also keep "%{...}" in a name from being substituted. */
  function escTemplate(s) {
    return esc(s).replace(/[{}]/g, function (c) { return c === '{' ? '&#123;' : '&#125;'; });
  }
  /** A variant name for a legend entry: escaped, and cut to fit a two-column legend. */
  function legendName(name) {
    var s = String(name);
    return esc(s.length > 26 ? s.slice(0, 25) + '…' : s);
  }
  function rgba(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + ((n >> 16) & 255) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  function seq(n) { var a = []; for (var i = 1; i <= n; i++) a.push(i); return a; }
  function assign(target) {
    for (var i = 1; i < arguments.length; i++) {
      var src = arguments[i];
      for (var k in src) if (Object.prototype.hasOwnProperty.call(src, k)) target[k] = src[k];
    }
    return target;
  }
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return '—';
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(1);
    return String(Number(v.toPrecision(3)));
  }

  var FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif', size: 12, color: '#1f2328' };
  var LEGEND = { orientation: 'h', y: -0.2, yanchor: 'top', x: 0, font: { size: 11 }, entrywidth: 0.5, entrywidthmode: 'fraction', traceorder: 'normal' };
  var CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ['lasso2d', 'select2d', 'autoScale2d'],
    toImageButtonOptions: { format: 'svg', filename: 'gradlab-chart' }
  };
  function axis(title, extra) {
    return assign({ title: { text: title, standoff: 6 }, zeroline: false, gridcolor: '#e6e8eb', linecolor: '#8c959f', ticks: 'outside', ticklen: 3, automargin: true }, extra || {});
  }
  function layout(extra) {
    return assign({
      font: FONT,
      margin: { l: 62, r: 14, t: 34, b: 46 },
      paper_bgcolor: '#ffffff',
      plot_bgcolor: '#ffffff',
      hovermode: 'closest',
      hoverlabel: { namelength: -1 },
      showlegend: false
    }, extra);
  }
  function noData(el, msg) {
    el.classList.add('chart-empty');
    el.textContent = msg;
  }

  /** Min..max bands as closed polygons, one per stretch of finite values (nulls make gaps). */
  function bandTraces(x, lo, hi, color, group) {
    var traces = [];
    var xs = [], los = [], his = [];
    function flush() {
      if (xs.length > 0) {
        traces.push({
          type: 'scatter', mode: 'lines', x: xs.concat(xs.slice().reverse()), y: his.concat(los.slice().reverse()),
          fill: 'toself', fillcolor: rgba(color, 0.16), line: { width: 0, color: rgba(color, 0) },
          hoverinfo: 'skip', showlegend: false, legendgroup: group
        });
      }
      xs = []; los = []; his = [];
    }
    for (var i = 0; i < x.length; i++) {
      if (lo[i] === null || hi[i] === null) { flush(); continue; }
      xs.push(x[i]); los.push(lo[i]); his.push(hi[i]);
    }
    flush();
    return traces;
  }
  function medianTrace(v, x, y, n, label, extra) {
    return assign({
      type: 'scatter', mode: 'lines', x: x, y: y, customdata: n,
      name: legendName(v.name) + (label ? ' · ' + label : ''), legendgroup: 'v' + v.index,
      line: { color: v.color, width: 2 }, connectgaps: false,
      hovertemplate: '%{y:.3g} at %{x}<br>median of %{customdata} seed(s)'
    }, extra || {});
  }
  function hline(y, x0, x1, name, color, dash, hover) {
    return {
      type: 'scatter', mode: 'lines', x: [x0, x1], y: [y, y], name: name,
      line: { color: color, width: 1.5, dash: dash }, hovertemplate: hover + '<extra></extra>'
    };
  }
  function xExtent(bands) {
    var lo = Infinity, hi = -Infinity;
    bands.forEach(function (b) { b.x.forEach(function (x) { if (x < lo) lo = x; if (x > hi) hi = x; }); });
    return isFinite(lo) ? [lo, hi] : [0, 1];
  }

  var state = { layer: 0, flow: 'abs' };
  function layerOf(v) { return Math.min(state.layer, v.numLayers - 1); }
  var pending = [];
  function plot(el, traces, lay) {
    pending.push(Plotly.react(el, traces, lay, CONFIG));
  }

  /** Colour-bar ticks at whole decades, labelled 10^k. */
  function decadeTicks() {
    var span = view.zmax - view.zmin;
    var step = [1, 2, 5, 10, 20, 50, 100].filter(function (s) { return span / s <= 6; })[0] || 100;
    var lo = Math.ceil(view.zmin / step) * step, hi = Math.floor(view.zmax / step) * step;
    if (!(hi >= lo)) return {};
    var vals = [], text = [];
    for (var k = hi; k >= lo; k -= step) {
      vals.push(k);
      text.push(k === 0 ? '1' : '10<sup>' + String(k).replace('-', '−') + '</sup>');
    }
    return { tickvals: vals, ticktext: text, tickmode: 'array' };
  }
  function yRange(steps) {
    if (steps.length < 2) return [steps[0] - 0.5, steps[0] + 0.5];
    var n = steps.length;
    return [steps[0] - (steps[1] - steps[0]) / 2, steps[n - 1] + (steps[n - 1] - steps[n - 2]) / 2];
  }
  function showKpis(v, l) {
    var panel = document.getElementById('panel-' + v.index);
    if (!panel) return;
    var ps = panel.querySelectorAll('.kpi');
    for (var i = 0; i < ps.length; i++) ps[i].hidden = ps[i].getAttribute('data-layer') !== String(l);
  }

  function drawHeatmaps() {
    view.variants.forEach(function (v) {
      var el = document.getElementById('heatmap-' + v.index);
      if (!el) return;
      var l = layerOf(v);
      showKpis(v, l);
      var label = document.getElementById('heatmap-layer-' + v.index);
      if (label) label.textContent = v.numLayers > 1 ? 'layer ' + l + ' of ' + v.numLayers : '';
      var z = v.heat.z[l] || [];
      if (v.heat.steps.length === 0 || v.T === 0 || view.zmin === null) { noData(el, 'No gradient profile was logged.'); return; }
      var steps = v.heat.steps;
      var reach = v.heat.reach[l] || [];
      // The reach limit as a step line along the heatmap's cell edges: each row spans halfway to
      // its neighbours; a row where the gradient reaches t = 1 (or has no value) leaves a gap.
      var fx = [], fy = [], fr = [];
      for (var i = 0; i < steps.length; i++) {
        var r = reach[i];
        var inside = r !== null && r !== undefined && r < v.T;
        var below = i > 0 ? (steps[i - 1] + steps[i]) / 2 : steps[i] - (steps.length > 1 ? (steps[1] - steps[0]) / 2 : 0.5);
        var above = i + 1 < steps.length ? (steps[i] + steps[i + 1]) / 2 : steps[i] + (steps.length > 1 ? (steps[i] - steps[i - 1]) / 2 : 0.5);
        if (!inside) { fx.push(null); fy.push(null); fr.push(null); continue; }
        fx.push(v.T - r + 0.5, v.T - r + 0.5); fy.push(below, above); fr.push(r, r);
      }
      var traces = [{
        type: 'heatmap', x: seq(v.T), y: steps, z: z, zmin: view.zmin, zmax: view.zmax, zauto: false,
        colorscale: 'Viridis', hoverongaps: false, customdata: steps.map(function (s, i) { return (z[i] || []).map(function () { return v.heat.n[i]; }); }),
        colorbar: assign({ title: { text: '‖dL/dh_t‖', side: 'top', font: { size: 11 } }, thickness: 10, len: 1, outlinewidth: 0, tickfont: { size: 10 } }, decadeTicks()),
        hovertemplate: 't = %{x}, step %{y}<br>‖dL/dh_t‖ = 10<sup>%{z:.2f}</sup><br>median of %{customdata} seed(s)<extra></extra>'
      }, {
        type: 'scatter', mode: 'lines', x: fx, y: fy, customdata: fr, connectgaps: false, line: { color: '#ffffff', width: 2, dash: 'dot' },
        name: 'reach limit', hovertemplate: 'reach: the last %{customdata} of ' + v.T + ' timesteps<extra>' + fmt(view.reachThreshold) + ' of ‖dL/dh_T‖</extra>'
      }];
      plot(el, traces, layout({
        margin: { l: 58, r: 8, t: 8, b: 42 },
        xaxis: axis('timestep t', { range: [0.5, v.T + 0.5], showgrid: false }),
        yaxis: axis('training step', { showgrid: false, range: yRange(steps) })
      }));
    });
  }

  function drawFlow() {
    var rel = state.flow === 'rel';
    ['start', 'middle', 'end'].forEach(function (label) {
      var el = document.getElementById('flow-' + label);
      if (!el) return;
      var traces = [];
      var maxT = 1;
      var stepsShown = [];
      view.variants.forEach(function (v) {
        var p = null;
        v.flow.forEach(function (f) { if (f.label === label) p = f; });
        if (!p || v.T === 0) return;
        if (stepsShown.indexOf(p.step) < 0) stepsShown.push(p.step);
        var l = layerOf(v);
        var s = (rel ? p.rel : p.abs)[l];
        if (!s) return;
        var x = seq(v.T);
        if (v.T > maxT) maxT = v.T;
        traces = traces.concat(bandTraces(x, s.lo, s.hi, v.color, 'v' + v.index));
        traces.push(medianTrace(v, x, s.median, x.map(function () { return p.n; }), '', {
          name: legendName(v.name) + (v.numLayers > 1 ? ' (layer ' + l + ')' : ''),
          hovertemplate: '%{y:.3g} at t = %{x}<br>' + escTemplate(v.name) + ', step ' + p.step + ', median of ' + p.n + ' seed(s)<extra></extra>'
        }));
      });
      if (rel) traces.push(hline(view.reachThreshold, 1, maxT, 'reach threshold', '#57606a', 'dot', fmt(view.reachThreshold) + ' of ‖dL/dh_T‖: the reach threshold'));
      if (traces.length === 0) { noData(el, 'No gradient profile was logged.'); return; }
      stepsShown.sort(function (a, b) { return a - b; });
      var title = stepsShown.length === 0 ? '' : stepsShown.length === 1 ? 'training step ' + stepsShown[0]
        : 'training steps ' + stepsShown[0] + '–' + stepsShown[stepsShown.length - 1] + ' (per variant)';
      plot(el, traces, layout({
        title: { text: title, font: { size: 12, color: '#57606a' }, x: 0.01, xanchor: 'left', y: 0.98 },
        showlegend: true, legend: LEGEND,
        margin: { l: 62, r: 14, t: 28, b: 40 },
        xaxis: axis('timestep t (the loss is at t = T)'),
        yaxis: axis(rel ? '‖dL/dh_t‖ / ‖dL/dh_T‖' : '‖dL/dh_t‖', { type: 'log', exponentformat: 'power' })
      }));
    });
  }

  function drawLoss() {
    var el = document.getElementById('loss-chart');
    if (!el) return;
    var traces = [];
    var ext = xExtent(view.variants.map(function (v) { return v.loss; }));
    view.variants.forEach(function (v) {
      traces = traces.concat(bandTraces(v.loss.x, v.loss.lo, v.loss.hi, v.color, 'v' + v.index));
      traces.push(medianTrace(v, v.loss.x, v.loss.median, v.loss.n, 'train'));
      if (v.valLoss.x.length > 0) {
        traces = traces.concat(bandTraces(v.valLoss.x, v.valLoss.lo, v.valLoss.hi, v.color, 'v' + v.index));
        traces.push(medianTrace(v, v.valLoss.x, v.valLoss.median, v.valLoss.n, 'validation', { line: { color: v.color, width: 2, dash: 'dash' } }));
      }
    });
    view.lossBaselines.forEach(function (b, i) {
      traces.push(hline(b.value, ext[0], ext[1], 'baseline ' + fmt(b.value), '#1f2328', i === 0 ? 'dot' : 'dashdot', 'baseline ' + fmt(b.value) + ': ' + escTemplate(b.note)));
    });
    if (traces.length === 0) { noData(el, 'No loss was logged.'); return; }
    plot(el, traces, layout({
      showlegend: true, legend: LEGEND,
      margin: { l: 62, r: 14, t: 10, b: 40 },
      xaxis: axis('training step'),
      yaxis: axis('loss (log scale)', { type: 'log', exponentformat: 'power' })
    }));
  }

  function drawGradNorm() {
    var el = document.getElementById('gradnorm-chart');
    if (!el) return;
    var traces = [];
    var clipAt = {};
    var anyClipped = false;
    var ext = xExtent(view.variants.map(function (v) { return v.gradNorm; }));
    view.variants.forEach(function (v) {
      traces = traces.concat(bandTraces(v.gradNorm.x, v.gradNorm.lo, v.gradNorm.hi, v.color, 'v' + v.index));
      traces.push(medianTrace(v, v.gradNorm.x, v.gradNorm.median, v.gradNorm.n, ''));
      if (v.clipNorm !== null) (clipAt[v.clipNorm] = clipAt[v.clipNorm] || []).push(v.name);
      if (v.clipped.length > 0) {
        traces.push({
          type: 'scatter', mode: 'markers', x: v.clipped.map(function (c) { return c.step; }), y: v.clipped.map(function (c) { return c.gradNorm; }),
          customdata: v.clipped.map(function (c) { return c.seed; }), name: legendName(v.name) + ' · clipped', legendgroup: 'v' + v.index, showlegend: false,
          marker: { symbol: 'x-thin', size: 7, color: v.color, line: { width: 1.5, color: v.color } },
          hovertemplate: 'clipped at step %{x}: ‖g‖ = %{y:.3g} (seed %{customdata})'
        });
        anyClipped = true;
      }
    });
    Object.keys(clipAt).forEach(function (c, i) {
      var names = clipAt[c];
      var who = names.length === view.variants.length ? '' : ' (' + names.length + ' variant' + (names.length > 1 ? 's' : '') + ')';
      traces.push(hline(Number(c), ext[0], ext[1], 'clip threshold ' + fmt(Number(c)) + who, '#1f2328', i === 0 ? 'dash' : 'dashdot',
        'norm clipping at ' + fmt(Number(c)) + ' for ' + names.map(escTemplate).join(', ')));
    });
    if (anyClipped) {
      traces.push({ type: 'scatter', mode: 'markers', x: [null], y: [null], name: 'clipping fired', hoverinfo: 'skip',
        marker: { symbol: 'x-thin', size: 7, color: '#57606a', line: { width: 1.5, color: '#57606a' } } });
    }
    if (traces.length === 0) { noData(el, 'No gradient norm was logged.'); return; }
    plot(el, traces, layout({
      showlegend: true, legend: LEGEND,
      margin: { l: 62, r: 14, t: 10, b: 40 },
      xaxis: axis('training step'),
      yaxis: axis('‖g‖₂ before clipping (log scale)', { type: 'log', exponentformat: 'power' })
    }));
  }

  function drawSigma() {
    var el = document.getElementById('sigma-chart');
    if (!el) return;
    var traces = [];
    var gammas = {};
    var bands = [];
    view.variants.forEach(function (v) {
      var b = v.sigma[layerOf(v)];
      if (!b || b.x.length === 0) return;
      bands.push(b);
      traces = traces.concat(bandTraces(b.x, b.lo, b.hi, v.color, 'v' + v.index));
      traces.push(medianTrace(v, b.x, b.median, b.n, ''));
      if (v.gamma !== null) { (gammas[v.gamma] = gammas[v.gamma] || []).push(v.name); }
    });
    if (traces.length === 0) { noData(el, 'σ_max(W_hh) was not logged.'); return; }
    var ext = xExtent(bands);
    Object.keys(gammas).forEach(function (g, i) {
      var inv = 1 / Number(g);
      traces.push(hline(inv, ext[0], ext[1], '1/γ = ' + fmt(inv) + ' (γ = ' + fmt(Number(g)) + ')', '#1f2328', i === 0 ? 'dot' : 'dashdot',
        '1/γ = ' + fmt(inv) + ' for ' + gammas[g].map(escTemplate).join(', ')));
    });
    plot(el, traces, layout({
      showlegend: true, legend: LEGEND,
      margin: { l: 62, r: 14, t: 10, b: 40 },
      xaxis: axis('training step'),
      yaxis: axis('σ_max(W_hh)', { rangemode: 'tozero' })
    }));
  }

  function drawLayered() { drawHeatmaps(); drawFlow(); drawSigma(); }

  var layerSelect = document.getElementById('layer-select');
  if (layerSelect) layerSelect.addEventListener('change', function () { state.layer = Number(layerSelect.value) || 0; drawLayered(); });
  var flowSelect = document.getElementById('flow-scale');
  if (flowSelect) flowSelect.addEventListener('change', function () { state.flow = flowSelect.value === 'rel' ? 'rel' : 'abs'; drawFlow(); });

  try {
    drawLayered(); drawLoss(); drawGradNorm();
  } catch (e) {
    banner('A chart failed to draw: ' + (e && e.message ? e.message : e));
    setState('error');
    throw e;
  }
  Promise.all(pending).then(function () { setState('done'); }, function (e) {
    banner('A chart failed to draw: ' + (e && e.message ? e.message : e));
    setState('error');
    console.error(e);
  });
})();
`;
