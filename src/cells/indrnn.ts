import { RNN_RELU } from './rnn.ts';
import { defineCell } from './spec.ts';

/**
 * IndRNN (Li, Li, Cook, Zhu & Gao 2018, "Independently Recurrent Neural Network"):
 * h_t = relu(W x_t + b_ih + u ⊙ h_{t-1} + b_hh), each unit with its own recurrent weight u_j
 * (`weight_hh_l{k}` is the vector u, [H]). Not in torch; the names follow torch's nn.RNN. A unit's
 * gradient through time is a product of u_j times the ReLU's 0/1 derivatives, so |u_j| ≤ 1 keeps
 * it from exploding and |u_j| near 1 keeps it from vanishing — the paper's point. Pointwise it is
 * the ReLU RNN; only the recurrence differs (diagonal instead of a matrix).
 */
export const INDRNN = defineCell('indrnn', {
  ...RNN_RELU,
  title: 'IndRNN (Li et al. 2018), relu',
  recurrent: 'diagonal',
});
