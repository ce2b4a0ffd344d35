import { gradientReach } from '../../src/diagnostics/gradientReach.ts';
import { PROBE_SCHEMA, type ProbeGate, type ProbeLayer, type ProbeResults } from '../../src/records/probe.ts';
import type { Num } from '../../src/records/results.ts';

/** Hand-made `gradlab probe` results for the probe report's tests (no model is run). */

export const HOSTILE_FILE = '<img src=x onerror=alert(1)>.safetensors';
export const HOSTILE_DATA = 'batch </script><script>alert(2)</script> & "q".safetensors';
export const HOSTILE_KEY = 'decoder.<b>weight</b>';

/** A norm falling `decay` decades per step going back from t = T, with a small ripple. */
function profile(T: number, scale: number, decay: number, phase = 0): number[] {
  return Array.from({ length: T }, (_, i) => scale * 10 ** (-decay * (T - 1 - i) + 0.05 * Math.sin(i + phase)));
}

function gate(name: string, activation: ProbeGate['activation'], T: number, scale: number, decay: number, sat: number): ProbeGate {
  const saturation = Array.from({ length: T }, (_, i) => Math.min(1, Math.max(0, sat + 0.1 * Math.sin(i / 3))));
  return {
    name, activation,
    gradNorm: profile(T, scale, decay, name.charCodeAt(0)),
    saturation,
    // Most of a forget or update gate's saturation near 1, the other gates' split evenly.
    saturationHigh: saturation.map((s) => (name === 'f' || name === 'z' ? 0.9 * s : s / 2)),
  };
}

function layer(l: number, T: number, cell: 'lstm' | 'gru', decay: number): ProbeLayer {
  const dLdh: Num[] = profile(T, 0.3, decay, l);
  const dLdc: Num[] | null = cell === 'lstm' ? profile(T, 0.2, decay / 4, l + 1) : null;
  const gates = cell === 'lstm'
    ? [gate('i', 'sigmoid', T, 0.05, decay, 0.2), gate('f', 'sigmoid', T, 0.02, decay, 0.85), gate('g', 'tanh', T, 0.1, decay, 0.4), gate('o', 'sigmoid', T, 0.04, decay, 0.1)]
    : [gate('r', 'sigmoid', T, 0.03, decay, 0.3), gate('z', 'sigmoid', T, 0.06, decay, 0.7), gate('n', 'tanh', T, 0.1, decay, 0.5)];
  return {
    layer: l, dLdh, dLdc, gates,
    sigmaMaxWhh: 1.3 - 0.2 * l,
    reach: gradientReach(dLdh),
    reachC: dLdc ? gradientReach(dLdc) : null,
  };
}

export function probeResults(cell: 'lstm' | 'gru', numLayers: number, opts: { T?: number; H?: number } = {}): ProbeResults {
  const T = opts.T ?? 40;
  const H = opts.H ?? 16;
  const layers = Array.from({ length: numLayers }, (_, l) => layer(l, T, cell, 0.08 + 0.04 * l));
  const unitRows = (scale: number, decay: number): Num[][] =>
    Array.from({ length: H }, (_, u) => profile(T, scale * (1 + u / H), decay * (u % 3 === 0 ? 0.2 : 1), u));
  return {
    schema: PROBE_SCHEMA,
    model: { cell, inputSize: 3, hiddenSize: H, numLayers, outputSize: 1 },
    source: { weights: HOSTILE_FILE, data: HOSTILE_DATA, prefix: 'rnn', head: 'head', ignoredKeys: [] },
    loss: { kind: 'mse', target: 'last', value: 0.0421 },
    batch: { size: 32, steps: T },
    sample: null,
    dtype: 'float64',
    layers,
    units: { dLdh: unitRows(0.05, 0.1), dLdc: cell === 'lstm' ? unitRows(0.04, 0.03) : null },
    env: { gradlab: '0.1.0', node: 'v20.20.2', backend: 'cpu', startedAt: '2026-01-02T03:04:05.000Z', durationMs: 1234, command: `gradlab probe --weights '${HOSTILE_FILE}' --data x.safetensors` },
  };
}

/** A two-layer LSTM with NaN/Inf (null) and underflow (0) in its top layer, and unused keys. */
export function lstmProbe(): ProbeResults {
  const r = probeResults('lstm', 2);
  const top = r.layers[1];
  top.dLdh[0] = null;
  top.dLdh[1] = null;
  top.dLdh[2] = 0;
  top.reach = gradientReach(top.dLdh);
  top.gates[1].gradNorm[5] = null;
  r.units.dLdh[0][0] = null;
  r.units.dLdh[1][0] = 0;
  r.source.ignoredKeys = [HOSTILE_KEY, ...Array.from({ length: 8 }, (_, i) => `decoder.layer${i}.bias`)];
  return r;
}

/** A one-layer GRU, no head, one sequence of the batch, loss at every step. */
export function gruProbe(): ProbeResults {
  const r = probeResults('gru', 1, { T: 25, H: 8 });
  r.model.outputSize = null;
  r.source.head = null;
  r.source.prefix = '';
  r.loss = { kind: 'cross_entropy', target: 'every', value: 1.234 };
  r.sample = 3;
  r.dtype = 'float32';
  return r;
}
