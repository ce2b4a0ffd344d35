/**
 * Finite-difference gradient checks of the whole RecurrentNet loss, per cell kind, on both
 * paths, with respect to every parameter and to x, h0 (and c0 for the LSTM).
 *
 * gradcheck runs with torch's defaults (float64, central differences, eps 1e-6, atol 1e-5,
 * rtol 1e-3). Two properties per cell:
 *  - small shapes (B <= 2, T <= 3, I <= 2, H <= 3, numLayers <= 2): full mode, every element
 *    of every input perturbed on its own (one forward per element and sign);
 *  - the full range (B 1-4, T 1-12, I 1-5, H 1-6, numLayers 1-3): fast mode (vᵀJu for a random
 *    u), run once per input tensor. One vᵀJu over all inputs at once would let an error in a
 *    small gradient (say dL/dh0, or a bias) hide under the rtol of the big ones; one check per
 *    tensor gives each parameter its own comparison at 3 forwards + 1 backward apiece.
 * Weights are U(-s, s) with s up to 2.5 (see netCases.ts) so gates saturate in many cases.
 *
 * rnn_relu: relu has a kink at 0, where the derivative jumps from 0 to 1. If a pre-activation
 * lies within the finite-difference stencil of 0, the central difference straddles the kink and
 * measures neither one-sided derivative, so the check fails although the code is right. Cases
 * are therefore kept only if every pre-activation keeps its (non-zero) sign when each input
 * tensor in turn is moved by ±1e-5·u, u ~ N(0, I): ten times the stencil of fast mode (eps·u)
 * and more than that of full mode (eps on one element). The pre-activations are recomputed in
 * plain scalar code (netCases.ts), not read from the code under test. In practice this rejects
 * almost nothing: random pre-activations are rarely within ~1e-5 of 0.
 *
 * A final block corrupts a fused backward kernel on purpose (a 1% error in one gradient) and
 * requires both modes to catch it, so a check that silently passes everything cannot go
 * unnoticed.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { gradcheck, GradcheckError } from '../../src/autograd/index.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { CELL_KINDS, type CellKind } from '../../src/cells/table.ts';
import type { CellPath } from '../../src/nn/recurrentNet.ts';
import { Rng } from '../../src/tensor/rng.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { patchKernel, restoreKernels } from '../helpers/patchKernels.ts';
import { fcParams } from '../helpers/fc.ts';
import {
  hasKink,
  buildCase, caseValues, describeCase, gradcheckCase, netCaseArb, preactivations, runLoss, type BuiltCase, type NetCase, type ShapeBounds,
} from './netCases.ts';

const PATHS: readonly CellPath[] = ['reference', 'fused', 'sequence'];
const SMALL: ShapeBounds = { batch: 2, steps: 3, input: 2, hidden: 3, layers: 2 };

/** Runs per property. Measured cost per run (one case, each path), one core: full mode
 * ~5 ms (rnn) to ~20 ms (lstm, gru); fast mode ~20 ms (rnn) to ~50 ms (lstm, gru). The whole
 * file takes ~9 s of CPU; test/nn is budgeted at 40 s on 2 cores. */
const FULL_MODE_RUNS = 40;
const FAST_MODE_RUNS = 50;

/** The relu precondition described above. */
function reluKinksClear(b: BuiltCase, seed: number): boolean {
  const base = preactivations(b);
  if (base.some((p) => p === 0)) return false;
  const rng = Rng.seeded(seed);
  for (const t of b.inputs) {
    const original = t.data.slice();
    const u = Float64Array.from({ length: t.size }, () => rng.normal());
    for (const step of [1e-5, -1e-5]) {
      for (let e = 0; e < t.size; e++) t.data[e] = original[e] + step * u[e];
      const moved = preactivations(b);
      t.data.set(original);
      if (moved.some((p, i) => Math.sign(p) !== Math.sign(base[i]))) return false;
    }
  }
  return true;
}

function checkCase(c: NetCase, mode: 'full' | 'fast'): void {
  const values = caseValues(c);
  if (hasKink(c.cell)) fc.pre(reluKinksClear(buildCase(c, values, 'float64'), c.seed ^ 0x5bd1e995));
  for (const path of PATHS) gradcheckCase(c, values, path, mode);
}

describe.each(CELL_KINDS.map((cell) => [cell] as [CellKind]))('gradcheck of the RecurrentNet loss: %s', (cell) => {
  it(`full Jacobian on small shapes, every path, all parameters and x/h0${cell === 'lstm' ? '/c0' : ''}`, () => {
    fc.assert(fc.property(netCaseArb(cell, SMALL), (c) => checkCase(c, 'full')), fcParams(FULL_MODE_RUNS));
  });

  it('fast mode (vᵀJu per input tensor) over B 1-4, T 1-12, I 1-5, H 1-6, numLayers 1-3, every path', () => {
    fc.assert(fc.property(netCaseArb(cell), (c) => checkCase(c, 'fast')), fcParams(FAST_MODE_RUNS));
  });
});

describe('the gradient checks can fail', () => {
  afterEach(restoreKernels);

  const CASE: NetCase = {
    cell: 'lstm', batch: 2, steps: 3, input: 2, hidden: 2, layers: 2, outputs: 2, loss: 'mse',
    withH0: true, withC0: true, scale: 0.5, seed: 11,
  };

  /** The fused LSTM backward with one gradient scaled by 1.01. */
  function corruptLstmBackward(which: 'dWHh' | 'dc' | 'dBIh'): void {
    patchKernel('cellBackward', (original) => (...args) => {
      const g = original(...args);
      return { ...g, [which]: cpu.scale(g[which]!, 1.01) };
    });
  }

  for (const which of ['dWHh', 'dc', 'dBIh'] as const) {
    it(`full mode catches a 1% error in the fused LSTM's ${which}`, () => {
      corruptLstmBackward(which);
      expect(() => checkCase(CASE, 'full')).toThrow(/fused path.*gradcheck failed/);
    });
    it(`fast mode catches a 1% error in the fused LSTM's ${which}`, () => {
      corruptLstmBackward(which);
      expect(() => checkCase(CASE, 'fast')).toThrow(/fused path.*gradcheck failed/);
    });
  }

  it('rnn_relu: a pre-activation 1e-7 from the kink is rejected by the precondition, and would fail gradcheck', () => {
    const c: NetCase = { ...CASE, cell: 'rnn_relu', layers: 1, withC0: false };
    const values = caseValues(c);
    // Zero weights, so every pre-activation is its bias: 1e-7 for unit 0, 0.5 for unit 1.
    values.params.get('rnn.weight_ih_l0')!.fill(0);
    values.params.get('rnn.weight_hh_l0')!.fill(0);
    values.params.get('rnn.bias_ih_l0')!.set([1e-7, 0.5]);
    values.params.get('rnn.bias_hh_l0')!.fill(0);
    const b = buildCase(c, values, 'float64');
    expect(Math.min(...preactivations(b).map(Math.abs))).toBe(1e-7);
    expect(reluKinksClear(b, 1)).toBe(false);
    // Central differences with eps = 1e-6 straddle the kink: numeric 0.55 against analytic 1.
    expect(() => gradcheck(() => runLoss(b, 'reference').loss, [b.net.param('rnn.bias_ih_l0')])).toThrow(GradcheckError);
  });
});
