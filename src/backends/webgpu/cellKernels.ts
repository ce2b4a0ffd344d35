import type { Kernel } from './runtime.ts';
import { elementwise } from './wgsl.ts';

/**
 * The pointwise halves of the fused cells (torch's equations, as src/backends/cpu/cells.ts);
 * the affine halves are GEMMs. One invocation per (batch row, unit): P: n = B*H, H.
 */

/** out[b, j] = v[j] for every row b: a bias broadcast over the batch. P: n, width. */
export const rowBroadcast: Kernel = elementwise([['V', 'read'], ['out', 'read_write']], '  out[i] = V[i % P[1]];');

/** out[b, j] = u[j] + v[j]: b_ih + b_hh over the batch. P: n, width. */
export const rowBroadcastSum: Kernel = elementwise(
  [['U', 'read'], ['V', 'read'], ['out', 'read_write']],
  '  let j = i % P[1];\n  out[i] = U[j] + V[j];',
);

/** Vanilla RNN: dPre from h' and dL/dh' (relu: h' > 0 exactly where the pre-activation is). */
export const rnnGrad = (relu: boolean): Kernel =>
  elementwise(
    [['Y', 'read'], ['DY', 'read'], ['dPre', 'read_write']],
    relu ? '  dPre[i] = select(0.0, DY[i], Y[i] > 0.0);' : '  let y = Y[i];\n  dPre[i] = DY[i] * (1.0 + y) * (1.0 - y);',
  );
export const RNN_GRAD = { tanh: rnnGrad(false), relu: rnnGrad(true) };

/** LSTM step, gate order i, f, g, o: c' = f c + i g, h' = o tanh(c'). */
export const lstmForward: Kernel = elementwise(
  [['pre', 'read'], ['C', 'read'], ['gates', 'read_write'], ['cOut', 'read_write'], ['hOut', 'read_write']],
  `  let H = P[1];
  let b = i / H;
  let j = i % H;
  let g0 = b * 4u * H;
  let ig = sigmoid_s(pre[g0 + j]);
  let fg = sigmoid_s(pre[g0 + H + j]);
  let gg = tanh_s(pre[g0 + 2u * H + j]);
  let og = sigmoid_s(pre[g0 + 3u * H + j]);
  gates[g0 + j] = ig;
  gates[g0 + H + j] = fg;
  gates[g0 + 2u * H + j] = gg;
  gates[g0 + 3u * H + j] = og;
  let cn = fg * C[i] + ig * gg;
  cOut[i] = cn;
  hOut[i] = og * tanh_s(cn);`,
);

/** LSTM step backward: dL/dpre for all four gates and dL/dc. */
export const lstmBackward: Kernel = elementwise(
  [['gates', 'read'], ['C', 'read'], ['cNext', 'read'], ['DH', 'read'], ['DC', 'read'], ['dPre', 'read_write'], ['dcOut', 'read_write']],
  `  let H = P[1];
  let b = i / H;
  let j = i % H;
  let g0 = b * 4u * H;
  let ig = gates[g0 + j];
  let fg = gates[g0 + H + j];
  let gg = gates[g0 + 2u * H + j];
  let og = gates[g0 + 3u * H + j];
  let tc = tanh_s(cNext[i]);
  let dh = DH[i];
  let dct = DC[i] + dh * og * (1.0 + tc) * (1.0 - tc);
  dPre[g0 + j] = dct * gg * ig * (1.0 - ig);
  dPre[g0 + H + j] = dct * C[i] * fg * (1.0 - fg);
  dPre[g0 + 2u * H + j] = dct * ig * (1.0 + gg) * (1.0 - gg);
  dPre[g0 + 3u * H + j] = dh * tc * og * (1.0 - og);
  dcOut[i] = dct * fg;`,
);

/** GRU step, gate order r, z, n: n = tanh(gi_n + r * (W_hn h + b_hn)), h' = (1 - z) n + z h. */
export const gruForward: Kernel = elementwise(
  [['GI', 'read'], ['GH', 'read'], ['Hp', 'read'], ['gates', 'read_write'], ['hn', 'read_write'], ['hOut', 'read_write']],
  `  let H = P[1];
  let b = i / H;
  let j = i % H;
  let g0 = b * 3u * H;
  let r = sigmoid_s(GI[g0 + j] + GH[g0 + j]);
  let z = sigmoid_s(GI[g0 + H + j] + GH[g0 + H + j]);
  let hnv = GH[g0 + 2u * H + j];
  let n = tanh_s(GI[g0 + 2u * H + j] + r * hnv);
  gates[g0 + j] = r;
  gates[g0 + H + j] = z;
  gates[g0 + 2u * H + j] = n;
  hn[i] = hnv;
  hOut[i] = (1.0 - z) * n + z * Hp[i];`,
);

/** GRU step backward: dL/d(input-side pre), dL/d(hidden-side pre) and the direct z h path. */
export const gruBackward: Kernel = elementwise(
  [['gates', 'read'], ['hn', 'read'], ['Hp', 'read'], ['DH', 'read'], ['dGi', 'read_write'], ['dGh', 'read_write'], ['direct', 'read_write']],
  `  let H = P[1];
  let b = i / H;
  let j = i % H;
  let g0 = b * 3u * H;
  let r = gates[g0 + j];
  let z = gates[g0 + H + j];
  let n = gates[g0 + 2u * H + j];
  let dh = DH[i];
  let dPreN = dh * (1.0 - z) * (1.0 + n) * (1.0 - n);
  let dPreZ = dh * (Hp[i] - n) * z * (1.0 - z);
  let dPreR = dPreN * hn[i] * r * (1.0 - r);
  dGi[g0 + j] = dPreR;
  dGh[g0 + j] = dPreR;
  dGi[g0 + H + j] = dPreZ;
  dGh[g0 + H + j] = dPreZ;
  dGi[g0 + 2u * H + j] = dPreN;
  dGh[g0 + 2u * H + j] = dPreN * r;
  direct[i] = dh * z;`,
);
