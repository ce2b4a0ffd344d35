import { record } from '../autograd/graph.ts';
import type { CellGrads, CellWeights, RnnActivation } from '../backends/backend.ts';
import type { Tensor } from '../tensor/tensor.ts';

/**
 * The fast path: one backend kernel for a timestep's forward and one for its backward, recorded
 * as a single graph node. Same signatures and results as referenceCells.ts (tests prove it).
 */

function weightList(w: CellWeights): Tensor[] {
  return [w.wIh, w.wHh, w.bIh, w.bHh];
}

function weightGrads(g: CellGrads, needs: readonly boolean[], first: number): (Tensor | null)[] {
  return [g.dWIh, g.dWHh, g.dBIh, g.dBHh].map((t, i) => (needs[first + i] ? t : null));
}

export function rnnCellFused(act: RnnActivation, x: Tensor, h: Tensor, w: CellWeights): Tensor {
  const k = x.backend;
  const hNext = k.rnnCellForward(act, x, h, w);
  return record(`rnn_${act}_step`, [x, h, ...weightList(w)], [hNext], ([dh], needs) => {
    if (!dh) return [null, null, null, null, null, null];
    const g = k.rnnCellBackward(act, x, h, hNext, dh, w);
    return [needs[0] ? g.dx : null, needs[1] ? g.dh : null, ...weightGrads(g, needs, 2)];
  })[0];
}

export function lstmCellFused(x: Tensor, h: Tensor, c: Tensor, w: CellWeights): { h: Tensor; c: Tensor } {
  const k = x.backend;
  const out = k.lstmCellForward(x, h, c, w);
  const [hNext, cNext] = record('lstm_step', [x, h, c, ...weightList(w)], [out.h, out.c], ([dh, dc], needs) => {
    const g = k.lstmCellBackward(x, h, c, out.c, out.gates, dh, dc, w);
    return [needs[0] ? g.dx : null, needs[1] ? g.dh : null, needs[2] ? g.dc : null, ...weightGrads(g, needs, 3)];
  });
  return { h: hNext, c: cNext };
}

export function gruCellFused(x: Tensor, h: Tensor, w: CellWeights): Tensor {
  const k = x.backend;
  const out = k.gruCellForward(x, h, w);
  return record('gru_step', [x, h, ...weightList(w)], [out.h], ([dh], needs) => {
    if (!dh) return [null, null, null, null, null, null];
    const g = k.gruCellBackward(x, h, out.gates, out.hn, dh, w);
    return [needs[0] ? g.dx : null, needs[1] ? g.dh : null, ...weightGrads(g, needs, 2)];
  })[0];
}
