import type { LogEntry, Num, Results, RunResult } from '../records/results.ts';
import { gradientReach, REACH_THRESHOLD } from '../diagnostics/gradientReach.ts';
import { buildGateView, type GateView } from './gateView.ts';
import { PALETTE } from './palette.ts';
import { maxOf, median, minOf, positive, sig } from './stats.ts';

/**
 * The report's chart data, computed here (typed and tested) and embedded next to the raw
 * results; the page's script only hands it to Plotly. Aggregates over seeds align runs by
 * training step: at each logged step, the seeds that logged it (a diverged run stops early).
 */

export { PALETTE } from './palette.ts';

/** A series over training steps: median and min..max over seeds, with how many seeds. */
export interface Band {
  x: number[];
  median: Num[];
  lo: Num[];
  hi: Num[];
  n: number[];
}

export interface FlowProfile {
  /** 'start' | 'middle' | 'end' of training. */
  label: string;
  step: number;
  /** Seeds that logged this step. */
  n: number;
  /** Per layer: ||dL/dh_t|| over t = 1..T (absolute), and relative to ||dL/dh_T|| per seed. */
  abs: { median: Num[]; lo: Num[]; hi: Num[] }[];
  rel: { median: Num[]; lo: Num[]; hi: Num[] }[];
}

/** One parameter's gradient norm over training: the median over seeds at each logged step. */
export interface ParamSeries {
  name: string;
  /** The same colour for the same kind of tensor in every layer (weight_hh_l0, weight_hh_l1). */
  color: string;
  /** Plotly's line dash by layer: solid for layer 0, then dash, dot, ... */
  dash: string;
  x: number[];
  median: Num[];
  n: number[];
}

export interface ClipPoint {
  step: number;
  gradNorm: number;
  seed: number;
}

export interface VariantView {
  index: number;
  name: string;
  description: string;
  cell: string | null;
  color: string;
  numLayers: number;
  /** Sequence length of the dL/dh profiles (the longest logged). */
  T: number;
  seeds: number[];
  /** maxNorm when clipping by norm, else null. */
  clipNorm: number | null;
  /** clipValue when clipping element-wise, else null. */
  clipValue: number | null;
  /** Pascanu's gamma (from the runs' summaries); null when no run has one. */
  gamma: number | null;
  heat: {
    steps: number[];
    /** Seeds that logged each step. */
    n: number[];
    /** [layer][step][t]: log10 of the median over seeds of ||dL/dh_t||; null = no finite value. */
    z: Num[][][];
    /** [layer][step]: timesteps back from T that the median profile stays above 1e-6 of its
     * value at T (gradientReach); null when that value is not finite and positive. */
    reach: (number | null)[][];
  };
  flow: FlowProfile[];
  loss: Band;
  valLoss: Band;
  gradNorm: Band;
  clipped: ClipPoint[];
  /** Per layer. */
  sigma: Band[];
  /** ||dL/dθ|| per parameter tensor (LogEntry.paramGradNorms), in first-logged order. */
  params: ParamSeries[];
  /** ||Δθ|| / ||θ|| of each logged step's update (empty when never logged). */
  updateRatio: Band;
  /** Gate diagnostics at the runs' first and last step (LogEntry.gates); null when no run of
   * the variant logged them (older results). */
  gates: GateView | null;
}

export interface ReportView {
  variants: VariantView[];
  /** Most layers of any variant (the layer selector's options). */
  maxLayers: number;
  /** The shared colour scale of every heatmap (log10 ||dL/dh_t||). */
  zmin: number | null;
  zmax: number | null;
  /** Some median was exactly 0 (underflow): drawn at zmin. */
  hasZeros: boolean;
  /** Baselines for the loss, drawn on the loss chart. */
  lossBaselines: { value: number; note: string }[];
  /** REACH_THRESHOLD (relative to ||dL/dh_T||), so the page draws the threshold the numbers use. */
  reachThreshold: number;
}

/** What the report needs from a variant in results.config (a ResolvedExperiment), read defensively. */
export interface VariantConfig {
  name: string;
  description: string;
  cell: string | null;
  numLayers: number | null;
  clip: { kind: string; maxNorm?: number; clipValue?: number } | null;
  hiddenSize: number | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function configVariants(config: unknown): VariantConfig[] {
  if (!isRecord(config) || !Array.isArray(config.variants)) return [];
  const out: VariantConfig[] = [];
  for (const v of config.variants) {
    if (!isRecord(v) || typeof v.name !== 'string') continue;
    const clip = isRecord(v.clip) && typeof v.clip.kind === 'string'
      ? { kind: v.clip.kind, maxNorm: num(v.clip.maxNorm) ?? undefined, clipValue: num(v.clip.clipValue) ?? undefined }
      : null;
    out.push({
      name: v.name,
      description: str(v.description) ?? '',
      cell: str(v.cell),
      numLayers: num(v.numLayers),
      clip,
      hiddenSize: num(v.hiddenSize),
    });
  }
  return out;
}

/** Variant names in the config's order, then any that only appear in runs. */
export function variantNames(results: Results): string[] {
  const names = configVariants(results.config).map((v) => v.name);
  for (const r of results.runs) if (!names.includes(r.variant)) names.push(r.variant);
  return names;
}

export function runsOf(results: Results, variant: string): RunResult[] {
  return results.runs.filter((r) => r.variant === variant);
}

/** Steps logged by any of the runs, ascending, each with the entries of the runs that logged it. */
function alignSteps(runs: readonly RunResult[]): { step: number; entries: { entry: LogEntry; seed: number }[] }[] {
  const byStep = new Map<number, { entry: LogEntry; seed: number }[]>();
  for (const run of runs) {
    for (const entry of run.log ?? []) {
      if (typeof entry?.step !== 'number') continue;
      let list = byStep.get(entry.step);
      if (!list) byStep.set(entry.step, (list = []));
      list.push({ entry, seed: run.seed });
    }
  }
  return [...byStep.keys()].sort((a, b) => a - b).map((step) => ({ step, entries: byStep.get(step)! }));
}

function band(points: { step: number; values: Num[] }[], logAxis: boolean): Band {
  const b: Band = { x: [], median: [], lo: [], hi: [], n: [] };
  for (const { step, values } of points) {
    const vs = logAxis ? values.map(positive) : values;
    const n = vs.filter((v) => v !== null).length;
    if (values.length === 0) continue;
    b.x.push(step);
    b.median.push(sig(median(vs)));
    b.lo.push(sig(minOf(vs)));
    b.hi.push(sig(maxOf(vs)));
    b.n.push(n);
  }
  return b;
}

function layerCount(runs: readonly RunResult[], cfg: VariantConfig | undefined): number {
  let n = cfg?.numLayers ?? 0;
  for (const r of runs) for (const e of r.log ?? []) n = Math.max(n, e.dLdh?.length ?? 0, e.sigmaMaxWhh?.length ?? 0);
  return Math.max(n, 1);
}

/** The experiment's `flowSteps`, when its configuration has them. */
export function requestedFlowSteps(results: Results): number[] | null {
  const cfg = results.config;
  if (typeof cfg !== 'object' || cfg === null) return null;
  const steps = (cfg as { flowSteps?: unknown }).flowSteps;
  return Array.isArray(steps) && steps.every((s) => Number.isInteger(s) && s >= 0) ? steps as number[] : null;
}

function seqLen(runs: readonly RunResult[]): number {
  let T = 0;
  for (const r of runs) for (const e of r.log ?? []) for (const row of e.dLdh ?? []) T = Math.max(T, row?.length ?? 0);
  return T;
}

/** The labels of the flow charts, in order (render.ts gives each a figure). */
export const FLOW_LABELS = ['start', 'middle', 'end'] as const;

/** The logged steps nearest the start, the middle and the end of training, or, when the
 * experiment asks for steps (its `flowSteps`), the logged step nearest each of those. */
export function flowSteps(steps: readonly number[], requested: readonly number[] | null = null): { label: string; step: number }[] {
  if (steps.length === 0) return [];
  if (requested && requested.length > 0) {
    return requested.slice(0, FLOW_LABELS.length).map((want, i) => ({
      label: FLOW_LABELS[i],
      step: steps.reduce((best, s) => (Math.abs(s - want) < Math.abs(best - want) ? s : best), steps[0]),
    }));
  }
  const first = steps[0];
  const last = steps[steps.length - 1];
  const mid = (first + last) / 2;
  let middle = first;
  for (const s of steps) if (Math.abs(s - mid) < Math.abs(middle - mid)) middle = s;
  return [
    { label: 'start', step: first },
    { label: 'middle', step: middle },
    { label: 'end', step: last },
  ];
}

function profileStats(rows: Num[][], T: number): { median: Num[]; lo: Num[]; hi: Num[] } {
  const out = { median: [] as Num[], lo: [] as Num[], hi: [] as Num[] };
  for (let t = 0; t < T; t++) {
    const vs = rows.map((row) => positive(row[t] ?? null));
    out.median.push(sig(median(vs)));
    out.lo.push(sig(minOf(vs)));
    out.hi.push(sig(maxOf(vs)));
  }
  return out;
}

/** Parameter names in the order the runs first logged them. */
function paramNames(runs: readonly RunResult[]): string[] {
  const names = new Set<string>();
  for (const r of runs) for (const e of r.log ?? []) for (const k of Object.keys(e.paramGradNorms ?? {})) names.add(k);
  return [...names];
}

type Aligned = ReturnType<typeof alignSteps>;

const DASHES = ['solid', 'dash', 'dot', 'dashdot', 'longdash'];

/** A tensor's kind and layer from torch's naming: rnn.weight_hh_l1 -> (rnn.weight_hh, 1). */
function paramKind(name: string): { kind: string; layer: number } {
  const m = /^(.*)_l(\d+)(_reverse)?$/.exec(name);
  return m ? { kind: m[1] + (m[3] ?? ''), layer: Number(m[2]) } : { kind: name, layer: 0 };
}

function paramSeries(aligned: Aligned, names: readonly string[]): ParamSeries[] {
  const kinds: string[] = [];
  for (const name of names) { const { kind } = paramKind(name); if (!kinds.includes(kind)) kinds.push(kind); }
  return names.map((name) => {
    const { kind, layer } = paramKind(name);
    const { x, median, n } = band(aligned
      .filter(({ entries }) => entries.some(({ entry }) => entry.paramGradNorms && Object.hasOwn(entry.paramGradNorms, name)))
      .map(({ step, entries }) => ({ step, values: entries.map(({ entry }) => entry.paramGradNorms?.[name] ?? null) })), true);
    return { name, color: PALETTE[kinds.indexOf(kind) % PALETTE.length], dash: DASHES[layer % DASHES.length], x, median, n };
  });
}

function gammaOf(runs: readonly RunResult[]): number | null {
  for (const r of runs) {
    const g = r.summary?.pascanuGamma;
    if (typeof g === 'number' && g > 0) return g;
  }
  return null;
}

export function buildView(results: Results): ReportView {
  const cfgs = configVariants(results.config);
  const names = variantNames(results);
  const variants: VariantView[] = [];
  // Heatmap medians in linear space first; the shared scale is fixed once all are known.
  const linear: Num[][][][] = [];
  names.forEach((name, index) => {
    const cfg = cfgs.find((c) => c.name === name);
    const runs = runsOf(results, name);
    const L = layerCount(runs, cfg);
    const T = seqLen(runs);
    const aligned = alignSteps(runs);
    const heatLinear: Num[][][] = [];
    for (let l = 0; l < L; l++) {
      heatLinear.push(aligned.map(({ entries }) => {
        const row: Num[] = [];
        for (let t = 0; t < T; t++) row.push(median(entries.map(({ entry }) => entry.dLdh?.[l]?.[t] ?? null)));
        return row;
      }));
    }
    linear.push(heatLinear);
    const flow: FlowProfile[] = flowSteps(aligned.map((a) => a.step), requestedFlowSteps(results)).map(({ label, step }) => {
      const entries = aligned.find((a) => a.step === step)!.entries;
      const abs: FlowProfile['abs'] = [];
      const rel: FlowProfile['rel'] = [];
      for (let l = 0; l < L; l++) {
        const rows = entries.map(({ entry }) => entry.dLdh?.[l] ?? []);
        abs.push(profileStats(rows, T));
        const relRows = rows.map((row) => {
          const last = positive(row[T - 1] ?? null);
          return row.map((v) => (last === null || v === null ? null : v / last));
        });
        rel.push(profileStats(relRows, T));
      }
      return { label, step, n: entries.length, abs, rel };
    });
    const clipped: ClipPoint[] = [];
    for (const r of runs) {
      for (const e of r.log ?? []) {
        if (e.clipped && typeof e.gradNorm === 'number' && Number.isFinite(e.gradNorm)) clipped.push({ step: e.step, gradNorm: sig(e.gradNorm)!, seed: r.seed });
      }
    }
    const sigma: Band[] = [];
    for (let l = 0; l < L; l++) {
      sigma.push(band(aligned
        .filter(({ entries }) => entries.some(({ entry }) => entry.sigmaMaxWhh !== undefined))
        .map(({ step, entries }) => ({ step, values: entries.map(({ entry }) => entry.sigmaMaxWhh?.[l] ?? null) })), false));
    }
    const clip = cfg?.clip ?? null;
    variants.push({
      index,
      name,
      description: cfg?.description ?? '',
      cell: cfg?.cell ?? null,
      color: PALETTE[index % PALETTE.length],
      numLayers: L,
      T,
      seeds: runs.map((r) => r.seed),
      clipNorm: clip?.kind === 'norm' ? clip.maxNorm ?? null : null,
      clipValue: clip?.kind === 'value' ? clip.clipValue ?? null : null,
      gamma: gammaOf(runs),
      heat: {
        steps: aligned.map((a) => a.step),
        n: aligned.map((a) => a.entries.length),
        z: [],
        reach: heatLinear.map((layer) => layer.map((row) => {
          const last = row[T - 1];
          return T > 0 && last !== null && last > 0 ? gradientReach(row).reach : null;
        })),
      },
      flow,
      loss: band(aligned.map(({ step, entries }) => ({ step, values: entries.map(({ entry }) => entry.loss) })), true),
      valLoss: band(aligned
        .filter(({ entries }) => entries.some(({ entry }) => entry.valLoss !== undefined))
        .map(({ step, entries }) => ({ step, values: entries.filter(({ entry }) => entry.valLoss !== undefined).map(({ entry }) => entry.valLoss ?? null) })), true),
      gradNorm: band(aligned.map(({ step, entries }) => ({ step, values: entries.map(({ entry }) => entry.gradNorm) })), true),
      clipped,
      sigma,
      params: paramSeries(aligned, paramNames(runs)),
      updateRatio: band(aligned
        .filter(({ entries }) => entries.some(({ entry }) => entry.updateRatio !== undefined))
        .map(({ step, entries }) => ({ step, values: entries.map(({ entry }) => entry.updateRatio ?? null) })), true),
      gates: buildGateView(runs),
    });
  });

  let zmin = Infinity;
  let zmax = -Infinity;
  let hasZeros = false;
  for (const heat of linear) {
    for (const layer of heat) {
      for (const row of layer) {
        for (const v of row) {
          if (v === null) continue;
          if (v > 0) {
            const z = Math.log10(v);
            if (z < zmin) zmin = z;
            if (z > zmax) zmax = z;
          } else if (v === 0) hasZeros = true;
        }
      }
    }
  }
  const haveScale = Number.isFinite(zmin) && Number.isFinite(zmax);
  linear.forEach((heat, i) => {
    variants[i].heat.z = heat.map((layer) => layer.map((row) => row.map((v) => {
      if (v === null || !haveScale) return null;
      if (v > 0) return Math.round(Math.log10(v) * 1000) / 1000;
      return v === 0 ? Math.floor(zmin * 1000) / 1000 : null;
    })));
  });

  return {
    variants,
    maxLayers: Math.max(1, ...variants.map((v) => v.numLayers)),
    zmin: haveScale ? Math.floor(zmin * 1000) / 1000 : null,
    zmax: haveScale ? Math.ceil(zmax * 1000) / 1000 : null,
    hasZeros,
    // A baseline of only some variants' tasks (another T) says whose it is.
    lossBaselines: (results.baselines ?? []).filter((b) => b.metric === 'loss' && Number.isFinite(b.value))
      .map((b) => ({ value: b.value, note: b.variants ? `${b.note}; for ${b.variants.join(', ')}` : b.note })),
    reachThreshold: REACH_THRESHOLD,
  };
}
