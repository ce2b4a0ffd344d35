/**
 * results.json of `gradlab probe`, schema "gradlab.probe/1": the diagnostics of ONE model on ONE
 * batch (a researcher's own weights, or a run's saved weights). These types are its
 * documentation. Norms that were NaN or Infinity are written as null.
 *
 * Every per-timestep array is indexed t = 1..T (index 0 is t = 1), as in results.json's dLdh.
 */
import type { GradientReach, Num } from './results.ts';

export const PROBE_SCHEMA = 'gradlab.probe/1';

/** How a gate's activation counts as saturated (its derivative is small):
 * sigmoid: σ < 0.05 or σ > 0.95; tanh: |tanh| > 0.9 (the same rule, as tanh(x) = 2σ(2x) − 1);
 * relu: exactly 0 (no gradient passes). */
export type Activation = 'sigmoid' | 'tanh' | 'relu';

export interface ProbeGate {
  /** The gate's name in torch's order: i, f, g, o (LSTM); r, z, n (GRU); h (RNN, IndRNN). */
  name: string;
  activation: Activation;
  /** ||dL/d(pre-activation of this gate)_t|| over the batch (or the sample) and units: for the
   * LSTM and RNN the pre-activation is W_i x + b_i + W_h h + b_h; for the GRU's n it is
   * W_in x + b_in + r ⊙ (W_hn h + b_hn), as torch computes it. */
  gradNorm: Num[];
  /** Share of (sequence, unit) pairs whose activation is saturated at t, in [0, 1]. */
  saturation: number[];
  /** The part of `saturation` at the top: σ > 0.95, tanh > 0.9 (never for relu). A forget gate
   * saturated high keeps dL/dc_t; one saturated low cuts it. */
  saturationHigh: number[];
}

export interface ProbeLayer {
  layer: number;
  /** ||dL/dh_t|| (the total derivative, as torch's retained grad of h_t). */
  dLdh: Num[];
  /** ||dL/dc_t|| for cells with a cell state (LSTM); null otherwise. */
  dLdc: Num[] | null;
  gates: ProbeGate[];
  /** Largest singular value of the layer's W_hh (all gates' blocks together, [G·H, H]); for a
   * diagonal recurrence (IndRNN), max |u|. */
  sigmaMaxWhh: Num;
  /** The reach/decay summary of dLdh (the same rule as an experiment's). */
  reach: GradientReach;
  /** The same summary of dLdc (LSTM only). */
  reachC: GradientReach | null;
}

export interface ProbeResults {
  schema: typeof PROBE_SCHEMA;
  model: {
    cell: string;
    inputSize: number;
    hiddenSize: number;
    numLayers: number;
    /** The head's output width; null when the file has no head (the loss then reads the top
     * layer's h directly). */
    outputSize: number | null;
  };
  source: {
    /** As given on the command line. */
    weights: string;
    data: string;
    /** The key prefix of the recurrent module's tensors ('' for a bare nn.LSTM state dict). */
    prefix: string;
    /** The head's key prefix, or null without a head. */
    head: string | null;
    /** Tensors in the weights file that the model did not use. */
    ignoredKeys: string[];
  };
  loss: { kind: 'mse' | 'cross_entropy'; target: 'last' | 'every'; value: Num };
  batch: { size: number; steps: number };
  /** The sequence the norms are taken over; null: the whole batch. */
  sample: number | null;
  dtype: 'float64' | 'float32';
  layers: ProbeLayer[];
  /** The top layer per unit: [unit][t] = ||dL/dh_t[:, unit]|| over the batch (or |.| of the
   * sample), and the same for dL/dc_t (LSTM). */
  units: { dLdh: Num[][]; dLdc: Num[][] | null };
  env: { gradlab: string; node: string; backend: string; startedAt: string; durationMs: number; command: string };
}
