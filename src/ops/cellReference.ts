import type { CellWeights } from '../backends/backend.ts';
import { evaluate, type Algebra } from '../cells/expression.ts';
import type { CellSpec } from '../cells/spec.ts';
import { tensor } from '../tensor/create.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { linear } from './matmul.ts';
import { add, div, mul, neg, relu, sigmoid, sub, tanh } from './pointwise.ts';
import { chunk } from './shape.ts';

/**
 * A cell's spec read as differentiable ops: the forward statements evaluated on [B, H] tensors,
 * with autograd — not the spec's hand-written backward — giving the gradients. This is the path
 * for a backend without fused kernels, and for a cell without a hand-written reference
 * (src/nn/referenceCells.ts); the tests hold the generated kernels' backward against it.
 */

export interface CellState {
  readonly h: Tensor;
  /** c for cells with a cell state, else null. */
  readonly c: Tensor | null;
}

const OPS: Algebra<Tensor> = {
  constant: (v, like) => tensor([v], [], { dtype: like.dtype, backend: like.backend }),
  add,
  sub,
  mul,
  div,
  negate: neg,
  call(fn, args) {
    switch (fn) {
      case 'sigmoid':
        return sigmoid(args[0]);
      case 'tanh':
        return tanh(args[0]);
      case 'relu':
        return relu(args[0]);
      case 'ifpos':
        // defineCell keeps `ifpos` out of forward statements: it is a derivative's helper.
        throw new Error('cell reference: ifpos has no derivative here; it belongs in backward statements');
    }
  },
};

/** What one step computed, for the probe (src/diagnostics/probe.ts): after backward() every
 * tensor here holds its gradient (autograd keeps every intermediate's, as retain_grad would). */
export interface StepTrace {
  /** W_ih x + b_ih of all gates, [B, G·H] in torch's gate order. Its gradient is dL/d(gate
   * pre-activation) of every gate: the hidden side enters each pre-activation additively (and
   * through r ⊙ (W_hn h + b_hn) for the GRU's n, which has the same derivative with respect to
   * the input side). */
  readonly xi: Tensor;
  /** Every forward statement's value by name (the gates' activations, c_next, h_next, ...). */
  readonly values: ReadonlyMap<string, Tensor>;
}

/** The affine inputs xi_g, hh_g of every gate, as ops, and W_ih x + b_ih before its split. */
function affineInputs(spec: CellSpec, x: Tensor, h: Tensor, w: CellWeights): { env: Map<string, Tensor>; xiAll: Tensor } {
  const G = spec.gates.length;
  /** The G gate blocks of a tensor along `axis` (one block needs no split). */
  const blocks = (t: Tensor, axis: number): Tensor[] => (G === 1 ? [t] : chunk(t, G, axis));
  const xiAll = linear(x, w.wIh, w.bIh);
  const xi = blocks(xiAll, 1);
  let hh: Tensor[];
  if (spec.recurrent === 'matrix') {
    hh = blocks(linear(h, w.wHh, w.bHh), 1);
  } else {
    const b = blocks(w.bHh, 0);
    hh = blocks(w.wHh, 0).map((ug, g) => add(mul(h, ug), b[g]));
  }
  const env = new Map<string, Tensor>();
  spec.gates.forEach((g, k) => {
    env.set(`xi_${g}`, xi[k]);
    env.set(`hh_${g}`, hh[k]);
  });
  return { env, xiAll };
}

/** One step of the spec as ops; `trace`, when given, receives what the step computed. */
export function cellReferenceStep(spec: CellSpec, x: Tensor, state: CellState, w: CellWeights, trace?: (step: StepTrace) => void): CellState {
  const { env, xiAll } = affineInputs(spec, x, state.h, w);
  env.set('h', state.h);
  if (spec.cellState) {
    if (!state.c) throw new Error(`${spec.kind} needs a cell state c`);
    env.set('c', state.c);
  }
  for (const s of spec.forwardStatements) env.set(s.name, evaluate(s.expr, env, OPS, state.h));
  trace?.({ xi: xiAll, values: new Map(spec.forwardStatements.map((s) => [s.name, env.get(s.name)!])) });
  return { h: env.get('h_next')!, c: spec.cellState ? env.get('c_next')! : null };
}
