import type { ProbeResults } from '../records/probe.ts';
import type { Num } from '../records/results.ts';
import { positive, sig } from './stats.ts';
import { gateColor, PALETTE } from './palette.ts';

/**
 * The probe report's chart data, computed here (typed and tested) and embedded in the page; the
 * page's script only hands it to Plotly. Values for log axes are positive or null (a gap);
 * timesteps are t = 1..T as in the results.
 */

export interface ProbeSeries {
  /** A layer ("layer 0") or a gate's name: plain text, escaped by the page. */
  name: string;
  color: string;
  y: Num[];
  /** A companion line (a gate's high-side saturation): dotted, in its gate's legend entry, with
   * `quantity` naming it in the hover. */
  companion?: { quantity: string };
}

export interface ProbeHeat {
  /** [unit][t]: log10 of the value; null where it was NaN/Inf (an exact 0 is drawn at zmin). */
  z: Num[][];
  zmin: number;
  zmax: number;
  hasZeros: boolean;
}

export interface ProbeGateCharts {
  layer: number;
  /** ||dL/d(pre-activation)_t|| per gate. */
  grad: ProbeSeries[];
  /** Saturated share per gate, in [0, 1]; after each gate with it recorded (not ReLU), the part
   * saturated high as a companion line. */
  saturation: ProbeSeries[];
}

export interface ProbeView {
  T: number;
  /** ||dL/dh_t|| per layer. */
  dLdh: ProbeSeries[];
  /** ||dL/dc_t|| per layer (LSTM); null for cells without a cell state. */
  dLdc: ProbeSeries[] | null;
  gates: ProbeGateCharts[];
  /** The top layer per unit; null when there is no finite value to colour. */
  heat: { dLdh: ProbeHeat | null; dLdc: ProbeHeat | null };
}

const logValues = (values: readonly Num[]): Num[] => values.map((v) => sig(positive(v ?? null)));

/** Counts of what a log chart cannot draw: NaN/Inf (null in the results) and exact zeros. */
export function gapCounts(values: readonly Num[]): { nonFinite: number; zeros: number } {
  let nonFinite = 0;
  let zeros = 0;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) nonFinite++;
    else if (v === 0) zeros++;
  }
  return { nonFinite, zeros };
}

/** A per-unit heatmap in log10 colour with its own scale. */
export function heatOf(rows: readonly (readonly Num[])[]): ProbeHeat | null {
  let zmin = Infinity;
  let zmax = -Infinity;
  let hasZeros = false;
  for (const row of rows) {
    for (const v of row) {
      if (v === null || !Number.isFinite(v)) continue;
      if (v > 0) { const z = Math.log10(v); zmin = Math.min(zmin, z); zmax = Math.max(zmax, z); } else if (v === 0) hasZeros = true;
    }
  }
  if (!Number.isFinite(zmin)) return null;
  // A (nearly) constant map gets a decade of scale around its value, so it shows mid-scale.
  const flat = zmax - zmin < 0.01;
  const lo = Math.floor((flat ? zmin - 0.5 : zmin) * 1000) / 1000;
  const hi = Math.ceil((flat ? zmax + 0.5 : zmax) * 1000) / 1000;
  const z = rows.map((row) => row.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    if (v > 0) return Math.round(Math.log10(v) * 1000) / 1000;
    return v === 0 ? lo : null;
  }));
  return { z, zmin: lo, zmax: hi, hasZeros };
}

export function buildProbeView(results: ProbeResults): ProbeView {
  const layerSeries = (pick: (l: ProbeResults['layers'][number]) => readonly Num[]) =>
    results.layers.map((l, i) => ({ name: `layer ${l.layer}`, color: PALETTE[i % PALETTE.length], y: logValues(pick(l)) }));
  const hasC = results.layers.some((l) => l.dLdc !== null);
  return {
    T: results.batch.steps,
    dLdh: layerSeries((l) => l.dLdh),
    dLdc: hasC ? layerSeries((l) => l.dLdc ?? []) : null,
    gates: results.layers.map((l) => ({
      layer: l.layer,
      grad: l.gates.map((g, i) => ({ name: g.name, color: gateColor(g.name, i), y: logValues(g.gradNorm) })),
      saturation: l.gates.flatMap((g, i): ProbeSeries[] => {
        const total = { name: g.name, color: gateColor(g.name, i), y: g.saturation.map((s) => sig(s ?? null)) };
        // Older probe files lack saturationHigh; a ReLU saturates only at 0.
        if (!Array.isArray(g.saturationHigh) || g.activation === 'relu') return [total];
        return [total, { ...total, y: g.saturationHigh.map((s) => sig(s ?? null)), companion: { quantity: 'saturated high' } }];
      }),
    })),
    heat: { dLdh: heatOf(results.units.dLdh), dLdc: results.units.dLdc ? heatOf(results.units.dLdc) : null },
  };
}
