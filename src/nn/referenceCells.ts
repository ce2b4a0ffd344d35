import type { CellWeights } from '../backends/backend.ts';
import { add, chunk, linear, mul, relu, sigmoid, sub, tanh } from '../ops/index.ts';
import type { Tensor } from '../tensor/tensor.ts';

/**
 * The reference path: each cell written from differentiable ops, line for line as torch
 * documents it. Readable, gradient-checked by finite differences, and the yardstick the fused
 * kernels are tested against.
 */

/** h' = act(W_ih x + b_ih + W_hh h + b_hh) (nn.RNN). */
export function rnnCell(act: 'tanh' | 'relu', x: Tensor, h: Tensor, w: CellWeights): Tensor {
  const pre = add(linear(x, w.wIh, w.bIh), linear(h, w.wHh, w.bHh));
  return act === 'tanh' ? tanh(pre) : relu(pre);
}

/** nn.LSTM, gate order i, f, g, o. */
export function lstmCell(x: Tensor, h: Tensor, c: Tensor, w: CellWeights): { h: Tensor; c: Tensor } {
  const gates = add(linear(x, w.wIh, w.bIh), linear(h, w.wHh, w.bHh));
  const [i, f, g, o] = chunk(gates, 4, 1);
  const cNext = add(mul(sigmoid(f), c), mul(sigmoid(i), tanh(g)));
  return { h: mul(sigmoid(o), tanh(cNext)), c: cNext };
}

/** nn.GRU, gate order r, z, n; the reset gate multiplies (W_hn h + b_hn), as torch does. */
export function gruCell(x: Tensor, h: Tensor, w: CellWeights): Tensor {
  const [ir, iz, inn] = chunk(linear(x, w.wIh, w.bIh), 3, 1);
  const [hr, hz, hn] = chunk(linear(h, w.wHh, w.bHh), 3, 1);
  const r = sigmoid(add(ir, hr));
  const z = sigmoid(add(iz, hz));
  const n = tanh(add(inn, mul(r, hn)));
  // (1 - z) n + z h, written as torch's kernel computes it: n + z (h - n).
  return add(n, mul(z, sub(h, n)));
}
