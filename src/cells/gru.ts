import { defineCell } from './spec.ts';

/**
 * torch.nn.GRU, gate order r, z, n. The reset gate multiplies the whole hidden side of n,
 * bias included (W_hn h + b_hn), as torch does; h' = (1 - z) n + z h is computed as torch's
 * kernel computes it, n + z (h - n).
 */
export const GRU = defineCell('gru', {
  title: 'torch.nn.GRU',
  gates: ['r', 'z', 'n'],
  recurrent: 'matrix',
  cellState: false,
  saved: ['r', 'z', 'n', 'hn'],
  forward: [
    ['r', 'sigmoid(xi_r + hh_r)'],
    ['z', 'sigmoid(xi_z + hh_z)'],
    ['hn', 'hh_n'],
    ['n', 'tanh(xi_n + r * hn)'],
    ['h_next', 'n + z * (h - n)'],
  ],
  backward: [
    ['dxi_n', 'dh * (1 - z) * (1 + n) * (1 - n)'],
    ['dxi_z', 'dh * (h - n) * z * (1 - z)'],
    ['dxi_r', 'dxi_n * hn * r * (1 - r)'],
    ['dhh_r', 'dxi_r'],
    ['dhh_z', 'dxi_z'],
    ['dhh_n', 'dxi_n * r'],
    ['dh_direct', 'dh * z'],
  ],
});
