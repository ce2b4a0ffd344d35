import type { Cell } from '../../src/export/table.ts';
import type { GradientReach, LogEntry, Results, RunResult } from '../../src/experiment/results.ts';
import type { Row } from './readBack.ts';

/**
 * What each exported cell must be, looked up in results.json by the documented naming rule
 * (written independently of src/export): a column is its path in results.json, `.l<k>` a layer,
 * `.top` the last layer; identity and settings columns come from the run and its variant.
 */
type Config = { seeds: number[]; variants: Record<string, unknown>[] };

function leafPaths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([k, v]) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? leafPaths(v as Record<string, unknown>, `${prefix}${k}.`)
    : [`${prefix}${k}`]));
}

export function settingNames(results: Results): string[] {
  const config = results.config as Config;
  return [...new Set(config.variants.flatMap((v) => leafPaths(v)))].filter((n) => n !== 'name' && n !== 'description');
}

function setting(variant: Record<string, unknown>, path: string): Cell {
  let v: unknown = variant;
  for (const p of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return (v ?? null) as Cell;
}

const nul = (v: Cell | undefined): Cell => v ?? null;

/** The run a row belongs to, found through its run index (variants x seeds), and its variant. */
export function runOf(results: Results, row: Row): { run: RunResult; variant: Record<string, unknown>; index: number } {
  const config = results.config as Config;
  const index = row.run as number;
  const variant = config.variants[Math.floor(index / config.seeds.length)];
  const seed = config.seeds[index % config.seeds.length];
  const run = results.runs.find((r) => r.variant === variant.name && r.seed === seed);
  if (!run) throw new Error(`no run ${index}`);
  return { run, variant, index };
}

function identity(results: Results, row: Row, column: string): Cell | undefined {
  const { run, variant, index } = runOf(results, row);
  switch (column) {
    case 'experiment': return results.experiment;
    case 'run': return index;
    case 'variant': return run.variant;
    case 'seed': return run.seed;
    case 'status': return run.status;
  }
  return settingNames(results).includes(column) ? setting(variant, column) : undefined;
}

function top(list: GradientReach[] | undefined, field: string): Cell {
  const t = list?.[list.length - 1] as unknown as Record<string, Cell> | undefined;
  return nul(t?.[field]);
}

export function expectedSteps(results: Results, row: Row, column: string): Cell {
  const id = identity(results, row, column);
  if (id !== undefined) return id;
  const e = runOf(results, row).run.log.find((x) => x.step === row.step) as LogEntry;
  const layer = /^sigmaMaxWhh\.l(\d+)$/.exec(column);
  if (layer) return nul(e.sigmaMaxWhh?.[Number(layer[1])]);
  if (column.startsWith('paramGradNorms.')) return nul(e.paramGradNorms[column.slice('paramGradNorms.'.length)]);
  return nul((e as unknown as Record<string, Cell>)[column]);
}

export function expectedDldh(results: Results, row: Row, column: string): Cell {
  const id = identity(results, row, column);
  if (id !== undefined) return id;
  if (column === 'dLdh') {
    const e = runOf(results, row).run.log.find((x) => x.step === row.step) as LogEntry;
    return e.dLdh[row.layer as number][(row.t as number) - 1];
  }
  return row[column];
}

export function expectedRuns(results: Results, row: Row, column: string): Cell {
  const id = identity(results, row, column);
  if (id !== undefined) return id;
  const { run } = runOf(results, row);
  if (column.startsWith('metrics.')) return nul(run.metrics[column.slice('metrics.'.length)]);
  if (column.startsWith('metricErrors.')) return nul(run.metricErrors?.[column.slice('metricErrors.'.length)]);
  const reach = /^summary\.(reachAtStart|reachAtEnd)\.top\.(\w+)$/.exec(column);
  if (reach) return top(run.summary?.[reach[1] as 'reachAtStart' | 'reachAtEnd'], reach[2]);
  if (column === 'summary.pascanuGamma') return nul(run.summary?.pascanuGamma);
  if (column === 'summary.vanishingGuaranteed.top') return nul(run.summary?.vanishingGuaranteed?.at(-1));
  return nul((run as unknown as Record<string, Cell>)[column]);
}
