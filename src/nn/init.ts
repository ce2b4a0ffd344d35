import type { CellSpec } from '../cells/spec.ts';
import type { Rng } from '../tensor/rng.ts';

/**
 * Weight initialisers. Each returns row-major float64 values for a [rows, cols] matrix, drawn in
 * row-major order from the given generator, so a seed fixes every weight.
 */
export const INIT_SCHEMES = ['pytorch', 'xavier_uniform', 'xavier_normal', 'orthogonal', 'identity', 'scaled_normal'] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

/** torch's default for nn.RNN/LSTM/GRU and nn.Linear: U(-1/sqrt(H), 1/sqrt(H)), H = hidden
 * size for the recurrent weights and fan-in for Linear. */
export function uniformInit(count: number, bound: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: count }, () => rng.uniformIn(-bound, bound));
}

/** Glorot & Bengio 2010 uniform: U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform(rows: number, cols: number, gain: number, rng: Rng): Float64Array {
  return uniformInit(rows * cols, gain * Math.sqrt(6 / (rows + cols)), rng);
}

/** Glorot & Bengio 2010 normal: N(0, gain² 2 / (fan_in + fan_out)). */
export function xavierNormal(rows: number, cols: number, gain: number, rng: Rng): Float64Array {
  const std = gain * Math.sqrt(2 / (rows + cols));
  return Float64Array.from({ length: rows * cols }, () => std * rng.normal());
}

/** N(0, scale² / cols): for a square matrix the spectral radius is close to `scale` (circular
 * law), which is how the exploding/vanishing experiments dial sigma_max. */
export function scaledNormal(rows: number, cols: number, scale: number, rng: Rng): Float64Array {
  const std = scale / Math.sqrt(cols);
  return Float64Array.from({ length: rows * cols }, () => std * rng.normal());
}

/** scale * I (IRNN, Le et al. 2015); non-square matrices get ones on the leading diagonal. */
export function identityInit(rows: number, cols: number, scale: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) out[i * cols + i] = scale;
  return out;
}

/**
 * Saxe et al. 2014 / torch.nn.init.orthogonal_: the Q of a Gaussian matrix's QR, with the sign
 * fixed so R has a positive diagonal (modified Gram-Schmidt gives that directly), times gain.
 * Rows are orthonormal when rows <= cols, columns otherwise.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float64Array {
  const tall = rows >= cols;
  const [n, m] = tall ? [rows, cols] : [cols, rows]; // orthonormalise m vectors of length n
  const a = Float64Array.from({ length: rows * cols }, () => rng.normal());
  // Column j of the tall matrix is row j of `a` transposed when wide; gather vectors first.
  const vecs = Array.from({ length: m }, (_, j) =>
    Float64Array.from({ length: n }, (_, i) => (tall ? a[i * cols + j] : a[j * cols + i])),
  );
  for (let j = 0; j < m; j++) {
    const v = vecs[j];
    // Two projection passes ("twice is enough", Giraud et al. 2005): one pass loses
    // orthogonality in proportion to the draws' condition number.
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vecs[p][i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= dot * vecs[p][i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) v[i] /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      if (tall) out[i * cols + j] = gain * vecs[j][i];
      else out[j * cols + i] = gain * vecs[j][i];
    }
  }
  return out;
}

export interface RecurrentInit {
  /** Scheme for weight_ih_l{k}; default 'pytorch'. */
  inputWeights?: InitScheme;
  /** Scheme for weight_hh_l{k}; default 'pytorch'. */
  recurrentWeights?: InitScheme;
  /** Gain for xavier/orthogonal, diagonal for identity, radius for scaled_normal. Default 1. */
  gain?: number;
  /** LSTM only: the forget gate's total bias (b_ih + b_hh) starts here (Gers et al. 2000;
   * Jozefowicz et al. 2015 recommend 1). Unset keeps the scheme's bias. */
  forgetBias?: number;
  /** Biases: torch's U(-1/sqrt(H), 1/sqrt(H)) (default) or zeros (IRNN uses zeros). */
  biases?: 'pytorch' | 'zeros';
}

/**
 * Values for one [G*H, cols] weight matrix. Non-default schemes are applied per gate block
 * ([H, cols] each), so every gate's matrix has the intended spectrum (an orthogonal W_hh means
 * each of W_hi, W_hf, ... is orthogonal, as in Saxe et al. and Le et al.).
 */
export function initWeight(scheme: InitScheme, gates: number, hidden: number, cols: number, gain: number, rng: Rng): Float64Array {
  if (scheme === 'pytorch') return uniformInit(gates * hidden * cols, 1 / Math.sqrt(hidden), rng);
  const out = new Float64Array(gates * hidden * cols);
  for (let g = 0; g < gates; g++) {
    const block =
      scheme === 'xavier_uniform' ? xavierUniform(hidden, cols, gain, rng)
      : scheme === 'xavier_normal' ? xavierNormal(hidden, cols, gain, rng)
      : scheme === 'orthogonal' ? orthogonal(hidden, cols, gain, rng)
      : scheme === 'identity' ? identityInit(hidden, cols, gain)
      : scaledNormal(hidden, cols, gain, rng);
    out.set(block, g * hidden * cols);
  }
  return out;
}

/**
 * A diagonal recurrence's weight vector (IndRNN's u, one weight per unit and gate): 'pytorch'
 * draws U(-1/sqrt(H), 1/sqrt(H)) as for a matrix; 'identity' sets every weight to `gain`
 * (u = 1: each unit carries its state unchanged, IRNN's idea per unit). The matrix schemes
 * (xavier, orthogonal, scaled normal) have no meaning for a vector and are refused.
 */
export function initRecurrentVector(scheme: InitScheme, count: number, hidden: number, gain: number, rng: Rng): Float64Array {
  switch (scheme) {
    case 'pytorch':
      return uniformInit(count, 1 / Math.sqrt(hidden), rng);
    case 'identity':
      return new Float64Array(count).fill(gain);
    case 'xavier_uniform':
    case 'xavier_normal':
    case 'orthogonal':
    case 'scaled_normal':
      throw new Error(`init.recurrentWeights: ${scheme} needs a matrix, but this cell's weight_hh is a vector; use pytorch or identity`);
  }
}

/**
 * What is wrong with an init for a cell, or null: the one check behind RecurrentNet.create's
 * error and the experiment validation (which reports it before the first step). A forget-gate
 * bias needs a gate named f; a vector W_hh (a diagonal recurrence) has no matrix scheme.
 */
export function initProblem(spec: CellSpec, init: RecurrentInit): string | null {
  if (init.forgetBias !== undefined && !spec.gates.includes('f')) {
    return `init.forgetBias: ${spec.kind} has no forget gate (only lstm has); remove it`;
  }
  const scheme = init.recurrentWeights ?? 'pytorch';
  if (spec.recurrent === 'diagonal' && scheme !== 'pytorch' && scheme !== 'identity') {
    return `init.recurrentWeights: ${scheme} needs a matrix, but ${spec.kind}'s weight_hh is a vector; use pytorch or identity`;
  }
  return null;
}
