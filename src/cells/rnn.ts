import { defineCell } from './spec.ts';

/** torch.nn.RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh). */

export const RNN_TANH = defineCell('rnn_tanh', {
  title: "torch.nn.RNN(nonlinearity='tanh')",
  gates: ['h'],
  recurrent: 'matrix',
  cellState: false,
  saved: [],
  forward: [['h_next', 'tanh(xi_h + hh_h)']],
  backward: [
    // (1 + y)(1 - y) rather than 1 - y²: exact where tanh saturates, where vanishing gradients live.
    ['dxi_h', 'dh * (1 + h_next) * (1 - h_next)'],
    ['dhh_h', 'dxi_h'],
  ],
});

export const RNN_RELU = defineCell('rnn_relu', {
  title: "torch.nn.RNN(nonlinearity='relu')",
  gates: ['h'],
  recurrent: 'matrix',
  cellState: false,
  saved: [],
  forward: [['h_next', 'relu(xi_h + hh_h)']],
  backward: [
    // h' > 0 exactly where the pre-activation is > 0 (torch's gradient at 0 is 0).
    ['dxi_h', 'ifpos(h_next, dh)'],
    ['dhh_h', 'dxi_h'],
  ],
});
