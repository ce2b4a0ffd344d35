import type { CellSpec } from '../cells/spec.ts';
import type { Rng } from '../tensor/rng.ts';
import { spectralRadius } from './spectralRadius.ts';

/**
 * Weight initialisers. Each returns row-major float64 values for a [rows, cols] matrix, drawn in
 * row-major order from the given generator, so a seed fixes every weight.
 */
export const INIT_SCHEMES = ['pytorch', 'xavier_uniform', 'xavier_normal', 'orthogonal', 'identity', 'scaled_normal', 'sparse'] as const;
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

/**
 * Non-zero incoming weights per unit of the sparse init: Pascanu, Mikolov & Bengio 2013 ("On the
 * difficulty of training recurrent neural networks", ICML), following Martens & Sutskever 2011
 * and Sutskever et al. 2013, draw W_hh with 15 non-zero N(0, 1) weights per unit and rescale it
 * to spectral radius 0.95.
 */
export const SPARSE_NONZEROS_PER_UNIT = 15;

/**
 * Sparse init (Pascanu et al. 2013) of one square [n, n] recurrent block: row i holds unit i's
 * incoming weights (h_t = W h_{t-1}); each row gets min(SPARSE_NONZEROS_PER_UNIT, n) non-zero
 * N(0, 1) values at distinct columns chosen uniformly at random, then the whole block is scaled
 * so its spectral radius (largest |eigenvalue|) is `radius`.
 *
 * Draw order (so a seed fixes everything): row by row; within a row, for each of its k non-zeros
 * in turn, first its column by one partial Fisher-Yates step over 0..n-1 (restarted from the
 * identity order for every row: step j swaps position j with j + rng.int(n - j)), then its value
 * by rng.normal(). The scaling uses no draws.
 *
 * The radius is as accurate as spectralRadius (Gelfand's formula), which overestimates ρ by a
 * factor of at most (√n κ(V))^{2^-16} (κ(V): the eigenvector condition number), so the block's
 * spectral radius is `radius` or up to ~3e-4 relative below it (1e-6 to 3e-5 measured against
 * numpy for H = 2..512). That check costs 2·16·n³ flops per gate block: ~0.3 s at H = 256, ~4 s
 * at H = 512, ~20 s at H = 1024.
 *
 * A non-square block is refused: spectral radius is defined only for a square matrix, and it is
 * what matters only for the matrix applied at every step (W_hh). Scaling an input block to its
 * largest singular value instead would give layer 0's [H, I] blocks a different meaning of `gain`
 * than layer 1's square [H, H] ones, so initProblem refuses 'sparse' for inputWeights altogether.
 */
export function sparseInit(rows: number, cols: number, radius: number, rng: Rng): Float64Array {
  if (rows !== cols) {
    throw new Error(`sparse init: a [${rows}, ${cols}] block is not square, so it has no spectral radius to scale to ${radius}; sparse is for recurrentWeights only (Pascanu et al. 2013), use another scheme for inputWeights`);
  }
  const n = rows;
  const k = Math.min(SPARSE_NONZEROS_PER_UNIT, n);
  const out = new Float64Array(n * n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < n; c++) order[c] = c;
    for (let j = 0; j < k; j++) {
      const p = j + rng.int(n - j);
      const col = order[p];
      order[p] = order[j];
      order[j] = col;
      out[i * n + col] = rng.normal();
    }
  }
  const rho = spectralRadius(out, n);
  // N(0, 1) draws on a pattern with a cycle give rho > 0 almost surely; every n <= 15 block is
  // dense. A zero rho (a nilpotent draw) cannot be scaled to `radius`.
  if (!(rho > 0)) throw new Error(`sparse init: the drawn ${n}x${n} block has spectral radius ${rho} and cannot be scaled to ${radius}; try another seed`);
  const s = radius / rho;
  for (let i = 0; i < out.length; i++) out[i] *= s;
  return out;
}

export interface RecurrentInit {
  /** Scheme for weight_ih_l{k}; default 'pytorch'. */
  inputWeights?: InitScheme;
  /** Scheme for weight_hh_l{k}; default 'pytorch'. */
  recurrentWeights?: InitScheme;
  /** Gain for xavier/orthogonal, diagonal for identity, radius for scaled_normal, and for sparse
   * the spectral radius (largest |eigenvalue|) each [H, H] gate block of W_hh is scaled to
   * (Pascanu et al. 2013 use 0.95; pass it explicitly, as the default stays 1). Default 1. */
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
      : scheme === 'sparse' ? sparseInit(hidden, cols, gain, rng)
      : scaledNormal(hidden, cols, gain, rng);
    out.set(block, g * hidden * cols);
  }
  return out;
}

/**
 * A diagonal recurrence's weight vector (IndRNN's u, one weight per unit and gate): 'pytorch'
 * draws U(-1/sqrt(H), 1/sqrt(H)) as for a matrix; 'identity' sets every weight to `gain`
 * (u = 1: each unit carries its state unchanged, IRNN's idea per unit). The matrix schemes
 * (xavier, orthogonal, scaled normal, sparse) have no meaning for a vector and are refused.
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
    case 'sparse':
      throw new Error(`init.recurrentWeights: ${scheme} needs a matrix, but this cell's weight_hh is a vector; use pytorch or identity`);
  }
}

/**
 * What is wrong with an init for a cell, or null: the one check behind RecurrentNet.create's
 * error and the experiment validation (which reports it before the first step). A forget-gate
 * bias needs a gate named f; a vector W_hh (a diagonal recurrence) has no matrix scheme; 'sparse'
 * sets a spectral radius, which only W_hh (applied at every step) has a use for, so it is refused
 * for the input weights (see sparseInit).
 */
export function initProblem(spec: CellSpec, init: RecurrentInit): string | null {
  if (init.forgetBias !== undefined && !spec.gates.includes('f')) {
    return `init.forgetBias: ${spec.kind} has no forget gate (only lstm has); remove it`;
  }
  if (init.inputWeights === 'sparse') {
    return 'init.inputWeights: sparse scales a block to a spectral radius, which only the recurrent weight_hh has a use for (a non-square [H, inputSize] block has none); use sparse for recurrentWeights and another scheme for inputWeights';
  }
  const scheme = init.recurrentWeights ?? 'pytorch';
  if (spec.recurrent === 'diagonal' && scheme !== 'pytorch' && scheme !== 'identity') {
    return `init.recurrentWeights: ${scheme} needs a matrix, but ${spec.kind}'s weight_hh is a vector; use pytorch or identity`;
  }
  return null;
}
