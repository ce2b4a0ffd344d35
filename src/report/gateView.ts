import type { GateLog, Num, RunResult } from '../records/results.ts';
import { gateColor } from './palette.ts';
import { median, positive, sig } from './stats.ts';

/**
 * The experiment report's gate charts: LogEntry.gates, recorded at a run's first and last step
 * (one extra forward/backward in eval mode), as medians over seeds per timestep t = 1..T. Read
 * defensively: a malformed or missing entry is left out, never thrown on.
 */

export interface GateSeries {
  /** The gate's name (i, f, g, o; r, z, n; h): plain text, escaped by the page. */
  name: string;
  activation: string;
  color: string;
  /** Median over seeds of ||dL/d(pre-activation)_t||, positive or null (a log axis). */
  gradNorm: Num[];
  /** Median over seeds of the saturated share, in [0, 1]. */
  saturation: Num[];
  /** Median over seeds of the part saturated high; null when no seed recorded it. */
  saturationHigh: Num[] | null;
}

export interface GateLayerView {
  /** Median over seeds of ||dL/dc_t|| (positive or null); null without a cell state. */
  dLdc: Num[] | null;
  gates: GateSeries[];
}

export interface GatePoint {
  label: 'start' | 'end';
  /** The training steps the seeds recorded it at (one, unless runs ended at different steps). */
  steps: number[];
  /** Seeds that recorded it. */
  n: number;
  layers: GateLayerView[];
}

export interface GateView {
  /** Timesteps of the longest recorded series. */
  T: number;
  /** 'start' (each run's first recorded step) and 'end' (its last, when later than its first). */
  points: GatePoint[];
  numLayers: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const numAt = (v: unknown, t: number): Num => {
  const x = arr(v)[t];
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
};

/** Median over rows at each t of 0..T-1; `log`: positive values only. */
function medianRows(rows: readonly unknown[], T: number, log: boolean): Num[] {
  const out: Num[] = [];
  for (let t = 0; t < T; t++) {
    const vs = rows.map((r) => numAt(r, t));
    out.push(sig(median(log ? vs.map(positive) : vs)));
  }
  return out;
}

function aggregate(label: GatePoint['label'], picked: { step: number; gates: GateLog[] }[], T: number): GatePoint {
  const L = Math.max(0, ...picked.map((p) => p.gates.length));
  const layers: GateLayerView[] = [];
  for (let l = 0; l < L; l++) {
    const logs = picked.map((p) => p.gates[l]).filter(isRecord) as unknown as GateLog[];
    const cells = logs.map((g) => g.dLdc).filter((c) => Array.isArray(c));
    const names: { name: string; activation: string }[] = [];
    for (const g of logs) {
      for (const gate of arr(g.gates)) {
        if (!isRecord(gate) || typeof gate.name !== 'string' || names.some((x) => x.name === gate.name)) continue;
        names.push({ name: gate.name, activation: typeof gate.activation === 'string' ? gate.activation : '' });
      }
    }
    const gates = names.map(({ name, activation }, i): GateSeries => {
      const of = logs.map((g) => arr(g.gates).find((x) => isRecord(x) && x.name === name)).filter(isRecord);
      const high = of.filter((g) => Array.isArray(g.saturationHigh));
      return {
        name, activation, color: gateColor(name, i),
        gradNorm: medianRows(of.map((g) => g.gradNorm), T, true),
        saturation: medianRows(of.map((g) => g.saturation), T, false),
        saturationHigh: high.length > 0 ? medianRows(high.map((g) => g.saturationHigh), T, false) : null,
      };
    });
    layers.push({ dLdc: cells.length > 0 ? medianRows(cells, T, true) : null, gates });
  }
  const steps = [...new Set(picked.map((p) => p.step))].sort((a, b) => a - b);
  return { label, steps, n: picked.length, layers };
}

/** A variant's gate view from its runs, or null when none recorded gates. */
export function buildGateView(runs: readonly RunResult[]): GateView | null {
  const start: { step: number; gates: GateLog[] }[] = [];
  const end: { step: number; gates: GateLog[] }[] = [];
  let T = 0;
  for (const run of runs) {
    const logged = arr(run.log).filter((e): e is { step: number; gates: GateLog[] } =>
      isRecord(e) && typeof e.step === 'number' && Array.isArray(e.gates) && e.gates.length > 0);
    if (logged.length === 0) continue;
    for (const e of logged) {
      for (const g of e.gates) {
        if (!isRecord(g)) continue;
        T = Math.max(T, arr(g.dLdc).length);
        for (const gate of arr(g.gates)) if (isRecord(gate)) T = Math.max(T, arr(gate.gradNorm).length, arr(gate.saturation).length);
      }
    }
    start.push(logged[0]);
    // A run that diverged or stopped early has no end point: its first is not its end.
    if (logged.length > 1) end.push(logged[logged.length - 1]);
  }
  if (start.length === 0 || T === 0) return null;
  const points = [aggregate('start', start, T)];
  if (end.length > 0) points.push(aggregate('end', end, T));
  return { T, points, numLayers: Math.max(...points.map((p) => p.layers.length)) };
}
