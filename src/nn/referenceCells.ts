import type { CellWeights } from '../backends/backend.ts';
import type { CellKind } from '../cells/table.ts';
import { add, chunk, linear, mul, relu, sigmoid, sub, tanh } from '../ops/index.ts';
import type { CellState } from '../ops/cellReference.ts';
import type { Tensor } from '../tensor/tensor.ts';

/**
 * The reference path: torch's cells written from differentiable ops, line for line as torch
 * documents them — written independently of the cell specs (src/cells), so that the kernels
 * generated from a spec are held against a second, readable rendering of the same equations.
 * Gradient-checked by finite differences and compared with PyTorch itself. A cell that has no
 * entry here (IndRNN) runs its spec read as ops (src/ops/cellReference.ts).
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

export type ReferenceStep = (x: Tensor, state: CellState, w: CellWeights) => CellState;

/** The hand-written references, by cell. */
export const REFERENCE_CELLS: Partial<Record<CellKind, ReferenceStep>> = {
  rnn_tanh: (x, s, w) => ({ h: rnnCell('tanh', x, s.h, w), c: null }),
  rnn_relu: (x, s, w) => ({ h: rnnCell('relu', x, s.h, w), c: null }),
  lstm: (x, s, w) => {
    if (!s.c) throw new Error('lstm needs a cell state c');
    return lstmCell(x, s.h, s.c, w);
  },
  gru: (x, s, w) => ({ h: gruCell(x, s.h, w), c: null }),
};
