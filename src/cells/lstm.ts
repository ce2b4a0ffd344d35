import { defineCell } from './spec.ts';

/** torch.nn.LSTM, gate order i, f, g, o: c' = f c + i g, h' = o tanh(c'). */
export const LSTM = defineCell('lstm', {
  title: 'torch.nn.LSTM',
  gates: ['i', 'f', 'g', 'o'],
  recurrent: 'matrix',
  cellState: true,
  saved: ['i', 'f', 'g', 'o', 'tc'],
  forward: [
    ['i', 'sigmoid(xi_i + hh_i)'],
    ['f', 'sigmoid(xi_f + hh_f)'],
    ['g', 'tanh(xi_g + hh_g)'],
    ['o', 'sigmoid(xi_o + hh_o)'],
    ['c_next', 'f * c + i * g'],
    ['tc', 'tanh(c_next)'],
    ['h_next', 'o * tc'],
  ],
  backward: [
    ['dct', 'dc + dh * o * (1 + tc) * (1 - tc)'],
    ['dxi_i', 'dct * g * i * (1 - i)'],
    ['dxi_f', 'dct * c * f * (1 - f)'],
    ['dxi_g', 'dct * i * (1 + g) * (1 - g)'],
    ['dxi_o', 'dh * tc * o * (1 - o)'],
    ['dhh_i', 'dxi_i'],
    ['dhh_f', 'dxi_f'],
    ['dhh_g', 'dxi_g'],
    ['dhh_o', 'dxi_o'],
    ['dc_prev', 'dct * f'],
  ],
});
