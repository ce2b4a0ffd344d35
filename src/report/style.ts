/** The report's stylesheet: plain CSS, readable on screen and when printed. */
export const REPORT_CSS = `
:root { --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --bg-soft: #f6f8fa; --accent: #0969da;
  --bad: #cf222e; --warn: #9a6700; --good: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1680px; margin: 0 auto; padding: 14px 22px 40px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 17px; margin: 18px 0 4px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 14px; margin: 0; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.top { display: grid; gap: 6px; }
.title-row { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.lead { margin: 0; font-size: 15px; }
.notes { margin: 2px 0 0; padding: 6px 10px; background: #fff8c5; border-left: 3px solid #d4a72c; border-radius: 4px; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0; color: var(--muted); font-size: 12.5px; }
.meta div { display: flex; gap: 5px; }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; color: var(--fg); }
.reproduce { display: flex; gap: 8px; align-items: center; font-size: 12.5px; }
.reproduce span { font-weight: 600; color: var(--muted); }
.reproduce code { background: var(--bg-soft); border: 1px solid var(--line); border-radius: 4px; padding: 2px 6px; overflow-x: auto; white-space: pre; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 11.5px; font-weight: 600; line-height: 18px; border: 1px solid transparent; white-space: nowrap; }
.badge.quick { background: #ddf4ff; color: #0550ae; }
.badge.cell { background: var(--bg-soft); border-color: var(--line); color: var(--muted); font-weight: 500; }
.label-vanishing { background: #ffebe9; color: var(--bad); }
.label-attenuated { background: #fff8c5; color: var(--warn); }
.label-preserved { background: #dafbe1; color: var(--good); }
.label-growing { background: #fbefff; color: #8250df; }
.label-unknown { background: var(--bg-soft); color: var(--muted); }
.toolbar { position: sticky; top: 0; z-index: 10; display: flex; flex-wrap: wrap; align-items: center; gap: 6px 18px; margin: 10px -22px 0; padding: 6px 22px; background: rgba(255,255,255,0.96); border-bottom: 1px solid var(--line); font-size: 13px; }
.toolbar label { display: flex; gap: 6px; align-items: center; font-weight: 600; }
.toolbar select { font: inherit; padding: 1px 4px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; max-height: 4.6em; overflow-y: auto; }
.legend span { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.swatch { display: inline-block; width: 14px; height: 4px; border-radius: 2px; flex: none; }
.caption { margin: 2px 0 8px; color: var(--muted); font-size: 12.5px; max-width: 1200px; }
.panels { display: grid; gap: 14px; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); }
.panel { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px 10px; min-width: 0; }
.panel-head { display: flex; flex-wrap: wrap; align-items: center; gap: 2px 7px; min-width: 0; }
.panel-head h3 { overflow-wrap: anywhere; min-width: 0; }
.panel-head .layer { margin-left: auto; color: var(--muted); font-size: 12px; white-space: nowrap; }
.panel .desc { margin: 2px 0 0; color: var(--muted); font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.kpi { display: grid; grid-template-columns: max-content 1fr; column-gap: 10px; margin: 3px 0 0; font-size: 12.5px; color: var(--muted); line-height: 1.5; }
.kpi[hidden] { display: none; }
.toolbar + section h2 { border-top: 0; }
.kpi b { color: var(--fg); font-variant-numeric: tabular-nums; }
.verdict { margin: 6px 0 0; padding: 0 0 0 16px; font-size: 12.5px; }
.verdict li { margin: 2px 0; }
.chart { width: 100%; min-width: 0; }
.chart-heatmap { height: 270px; }
.chart-flow { height: 300px; }
.chart-train { height: 340px; }
.chart-gates { height: 300px; }
.caption label { display: inline-flex; gap: 6px; align-items: center; max-width: 100%; font-weight: 600; color: var(--fg); white-space: nowrap; }
.caption select { font: inherit; min-width: 0; max-width: 100%; }
.chart-empty { display: flex; align-items: center; justify-content: center; color: var(--muted); background: var(--bg-soft); border-radius: 4px; }
.grid3 { display: grid; gap: 14px; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); }
.grid2 { display: grid; gap: 14px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
.grid3 figure, .grid2 figure { margin: 0; min-width: 0; }
.grid3 figcaption, .grid2 figcaption { font-weight: 600; font-size: 13px; }
.grid3 .caption, .grid2 .caption { font-weight: 400; }
.chart-line { height: 300px; }
.chart-units { height: 340px; }
section h3 { margin: 12px 0 4px; }
h3 .n { color: var(--muted); font-weight: 400; font-size: 12px; margin-left: 6px; }
.notes details { display: inline; margin-left: 6px; }
.notes pre { margin: 4px 0 0; max-height: 200px; overflow: auto; }
.warning { margin: 8px 0; padding: 6px 10px; border: 1px solid #d4a72c; background: #fff8c5; border-radius: 6px; color: #3d2e00; }
.error { margin: 10px 0; padding: 8px 12px; border: 1px solid var(--bad); background: #ffebe9; border-radius: 6px; color: var(--bad); }
table { border-collapse: collapse; font-size: 12.5px; margin-top: 4px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .n { color: var(--muted); font-size: 11px; }
tr.baseline td { color: var(--muted); font-style: italic; }
.status { font-weight: 600; }
.status-ok { color: var(--good); }
.status-diverged { color: var(--bad); }
.status-failed { color: #fff; background: var(--bad); padding: 0 6px; border-radius: 3px; }
.status-interrupted { color: #8a6d00; }
tr.run-diverged td { background: #fff5f5; }
tr.run-failed td { background: #ffebe9; }
td.error-text code { white-space: pre-wrap; color: var(--bad); }
details pre { background: var(--bg-soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow: auto; max-height: 480px; }
#claims-table td, #paper-claims td { max-width: 560px; }
#claims-table q, #paper-claims q { font-style: italic; }
#claims-table cite, #paper-claims cite { color: var(--muted); font-size: 11.5px; }
ul.rules { margin: 0; padding-left: 16px; }
ul.rules > li { margin-bottom: 6px; }
.rule { font-weight: 600; }
.measured { font-variant-numeric: tabular-nums; }
ul.seeds { margin: 2px 0; padding-left: 16px; font-size: 11.5px; font-variant-numeric: tabular-nums; }
.verdict { font-weight: 600; padding: 0 6px; border-radius: 3px; white-space: nowrap; }
.verdict-reproduced { color: #fff; background: var(--good); }
.verdict-partly { color: #3d2e00; background: #f5d66b; }
.verdict-not-reproduced { color: #fff; background: var(--bad); }
.verdict-not-judged { color: var(--muted); border: 1px solid var(--line); }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
@media print { .toolbar { position: static; } }
`;
