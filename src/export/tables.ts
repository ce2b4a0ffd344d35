import type { GradientReach, LogEntry, RunResult } from '../records/results.ts';
import { maxLayers, runIdentities } from './identity.ts';
import { ExportInputError, type ExportInput } from './input.ts';
import type { Cell, Column, ExportWhat, RowGroup, Table } from './table.ts';

/**
 * results.json as long tables. Column names follow results.json: a field keeps its name there
 * (gradNorm, stepsRun), a nested field is its path joined with dots (optimizer.lr,
 * metrics.mse, paramGradNorms.rnn.weight_hh_l0), an entry of a per-layer list is `.l<layer>`
 * (sigmaMaxWhh.l0, layer 0 = the input layer, as in PyTorch's weight_hh_l0), and the summary's
 * top-layer entry is `.top`. Each table starts with the identity and settings columns
 * (identity.ts); each run's rows are one group sharing them.
 */

const int = (name: string): Column => ({ name, type: 'int' });
const double = (name: string): Column => ({ name, type: 'double' });
const bool = (name: string): Column => ({ name, type: 'bool' });
const string = (name: string): Column => ({ name, type: 'string' });

/** A value results.json may lack (an optional field) as a cell. */
const orNull = <T extends Cell>(v: T | undefined): T | null => v ?? null;

/** Names in order of first appearance. */
function union(lists: Iterable<Iterable<string>>): string[] {
  const seen = new Set<string>();
  for (const l of lists) for (const k of l) seen.add(k);
  return [...seen];
}

function* entries(results: ExportInput): Iterable<LogEntry> {
  for (const r of results.runs) yield* r.log;
}

/**
 * A table with a group of rows per run, after the identity and settings columns. Its names must
 * be unique: a variant setting named like a measured column (only a hand-edited config has one)
 * would make two columns one in every format.
 */
function perRun(results: ExportInput, measured: Column[], rowsOfRun: (run: RunResult) => Iterable<Cell[]>): Table {
  const id = runIdentities(results);
  const columns = [...id.columns, ...measured];
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new ExportInputError(`two columns would be named "${c.name}" (a variant setting named like a measured column); rename it in results.config.variants`);
    seen.add(c.name);
  }
  return {
    columns,
    *groups(): Iterable<RowGroup> {
      for (const [i, run] of results.runs.entries()) yield { shared: id.cellsOf(i), rows: rowsOfRun(run) };
    },
  };
}

/** One row per (run, logged step): the step's scalars, σ_max(W_hh) per layer and each
 * parameter's gradient norm. */
export function stepsTable(results: ExportInput): Table {
  // A loop, not Math.max(...list): a long experiment logs more entries than a call takes arguments.
  let layers = maxLayers(results.config);
  for (const e of entries(results)) layers = Math.max(layers, e.sigmaMaxWhh?.length ?? 0);
  const params = union([...entries(results)].map((e) => Object.keys(e.paramGradNorms)));
  const measured = [
    int('step'), double('loss'), double('valLoss'), double('gradNorm'), bool('clipped'), double('clipFactor'),
    double('lr'), double('updateRatio'),
    ...Array.from({ length: layers }, (_, l) => double(`sigmaMaxWhh.l${l}`)),
    ...params.map((p) => double(`paramGradNorms.${p}`)),
  ];
  return perRun(results, measured, function* rows(run) {
    for (const e of run.log) {
      yield [
        e.step, e.loss, orNull(e.valLoss), e.gradNorm, e.clipped, orNull(e.clipFactor), orNull(e.lr), orNull(e.updateRatio),
        ...Array.from({ length: layers }, (_, l) => orNull(e.sigmaMaxWhh?.[l])),
        ...params.map((p) => orNull(e.paramGradNorms[p])),
      ];
    }
  });
}

/** One row per (run, logged step, layer, t) of ||dL/dh_t||; t counts from 1 as in the log. */
export function dldhTable(results: ExportInput): Table {
  return perRun(results, [int('step'), int('layer'), int('t'), double('dLdh')], function* rows(run) {
    for (const e of run.log) {
      for (const [layer, profile] of e.dLdh.entries()) {
        for (const [k, value] of profile.entries()) yield [e.step, layer, k + 1, value];
      }
    }
  });
}

const REACH_FIELDS = ['decadesPerStep', 'reach', 'firstToLast'] as const;

function reachCells(list: GradientReach[] | undefined): Cell[] {
  const top = list?.[list.length - 1];
  return REACH_FIELDS.map((f) => orNull(top?.[f]));
}

/** One row per run: its outcome, every metric and the summary of its top layer. */
export function runsTable(results: ExportInput): Table {
  const metrics = union(results.runs.map((r) => Object.keys(r.metrics)));
  const errors = union(results.runs.map((r) => Object.keys(r.metricErrors ?? {})));
  const reachColumns = (at: string): Column[] => [
    double(`summary.${at}.top.decadesPerStep`), int(`summary.${at}.top.reach`), double(`summary.${at}.top.firstToLast`),
  ];
  const measured = [
    int('stepsRun'), double('durationMs'), int('divergedAtStep'), bool('earlyStopped'), string('error'),
    ...metrics.map((m) => double(`metrics.${m}`)),
    ...errors.map((m) => double(`metricErrors.${m}`)), int('testSize'),
    ...reachColumns('reachAtStart'), ...reachColumns('reachAtEnd'),
    double('summary.pascanuGamma'), bool('summary.vanishingGuaranteed.top'),
  ];
  return perRun(results, measured, function* rows(run) {
    const s: RunResult['summary'] | undefined = run.summary;
    const vanishing = s?.vanishingGuaranteed;
    yield [
      run.stepsRun, run.durationMs, orNull(run.divergedAtStep), orNull(run.earlyStopped), orNull(run.error),
      ...metrics.map((m) => orNull(run.metrics[m])),
      ...errors.map((m) => orNull(run.metricErrors?.[m])), orNull(run.testSize),
      ...reachCells(s?.reachAtStart), ...reachCells(s?.reachAtEnd),
      orNull(s?.pascanuGamma), orNull(vanishing?.[vanishing.length - 1]),
    ];
  });
}

export function buildTable(results: ExportInput, what: ExportWhat): Table {
  switch (what) {
    case 'steps': return stepsTable(results);
    case 'dldh': return dldhTable(results);
    case 'runs': return runsTable(results);
  }
}
