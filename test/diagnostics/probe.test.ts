import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/index.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import { parseExpression } from '../../src/cells/expression.ts';
import { defineCell, type CellSpec } from '../../src/cells/spec.ts';
import { CELL_KINDS, cellSpec } from '../../src/cells/table.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { gateActivations, probeGradients, probeModel, probeNet, saturated, saturatedHigh, type ProbeBatch, type ProbeNumerics, type ProbeSettings } from '../../src/diagnostics/probe.ts';
import { hiddenGradNorms } from '../../src/diagnostics/hiddenGradNorms.ts';
import { RecurrentNet, type RecurrentNetConfig } from '../../src/nn/recurrentNet.ts';
import { crossEntropyLoss, mseLoss } from '../../src/ops/index.ts';
import { tensor } from '../../src/tensor/create.ts';
import { expectClose } from '../helpers/expectClose.ts';
import { fcParams } from '../helpers/fc.ts';
import { caseValues, netCaseArb, type NetCase } from './../nn/netCases.ts';

/**
 * The probe's per-step views, each held against a quantity computed by another path: dL/dh_t
 * against the sequence kernels' retained totals, the per-gate pre-activation gradients against
 * the sequence kernels' bias gradients (the bias gradient of gate block k is the sum over t and
 * batch of dL/d(pre-activation of gate k)), and dL/dc_t, dL/dh_t against the gradient of c0, h0
 * of the same net restarted at t. All in float64: both sides are the same sums in another order,
 * so 1e-10 of the largest magnitude leaves four orders over rounding (test/helpers/expectClose.ts).
 */

const settings = (c: NetCase): ProbeSettings & ProbeNumerics => ({ loss: c.loss, target: 'last', sample: null, dtype: 'float64', backend: cpu });
const netOf = (v: ReturnType<typeof caseValues>) => RecurrentNet.fromValues(v.config, v.params, { dtype: 'float64', backend: cpu });

function batchOf(c: NetCase, v: ReturnType<typeof caseValues>): ProbeBatch {
  return {
    x: v.x, xShape: [c.batch, c.steps, c.input], y: v.target, yShape: c.loss === 'mse' ? [c.batch, v.config.outputSize] : [c.batch],
    h0: v.h0, c0: v.c0,
  };
}


/** The sequence path's loss, bias gradients and dL/dh_t norms of a case. */
async function sequencePath(c: NetCase, v: ReturnType<typeof caseValues>) {
  const net = RecurrentNet.fromValues(v.config, v.params, { dtype: 'float64', backend: cpu });
  const t = (a: Float64Array, shape: number[]) => tensor(a, shape, { dtype: 'float64', backend: cpu });
  const stateShape = [c.layers, c.batch, c.hidden];
  const out = net.forward(t(v.x, [c.batch, c.steps, c.input]), {
    h0: v.h0 ? t(v.h0, stateShape) : undefined, c0: v.c0 ? t(v.c0, stateShape) : undefined, path: 'sequence',
  });
  const y = t(v.target, c.loss === 'mse' ? [c.batch, v.config.outputSize] : [c.batch]);
  const loss = c.loss === 'mse' ? mseLoss(out.output, y) : crossEntropyLoss(out.output, y);
  backward(loss);
  return { net, dLdh: await hiddenGradNorms(out.hidden) };
}

const cases = () => fc.oneof(...CELL_KINDS.map((cell) => netCaseArb(cell, { batch: 3, steps: 6, input: 3, hidden: 4, layers: 3 })));

describe('gradlab probe: per-step gradients', () => {
  it('names each gate\'s activation as torch computes it', () => {
    const of = (cell: (typeof CELL_KINDS)[number]) => gateActivations(cellSpec(cell)).map((a) => `${a.gate}:${a.activation}`).join(' ');
    expect(of('lstm')).toBe('i:sigmoid f:sigmoid g:tanh o:sigmoid');
    expect(of('gru')).toBe('r:sigmoid z:sigmoid n:tanh');
    expect(of('rnn_tanh')).toBe('h:tanh');
    expect(of('rnn_relu')).toBe('h:relu');
    expect(of('indrnn')).toBe('h:relu');
  });

  it('refuses a cell with no activation on a gate\'s input projection, naming the gate', () => {
    // The activation applies to an intermediate, not to an expression reading xi_h itself.
    const indirect = defineCell('indirect_test', {
      title: 'test cell', gates: ['h'], recurrent: 'matrix', cellState: false, saved: ['a'],
      forward: [['a', 'xi_h + hh_h'], ['h_next', 'tanh(a)']],
      backward: [['dxi_h', 'dh * (1 + h_next) * (1 - h_next)'], ['dhh_h', 'dxi_h']],
    });
    expect(() => gateActivations(indirect)).toThrow(/^indirect_test: no activation statement reads xi_h$/);
    // ifpos is a derivative's helper, not an activation (defineCell keeps it out of forwards).
    const withIfpos: CellSpec = { ...cellSpec('rnn_relu'), forwardStatements: [{ name: 'h_next', expr: parseExpression('ifpos(xi_h, hh_h)') }] };
    expect(() => gateActivations(withIfpos)).toThrow(/^rnn_relu: no activation statement reads xi_h$/);
  });

  it('reports sigma_max(W_hh) per layer unless told not to', async () => {
    const config: RecurrentNetConfig = { cell: 'gru', inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 1 };
    const net = RecurrentNet.create(config, Rng.seeded(2), { dtype: 'float64' });
    const batch: ProbeBatch = { x: Float64Array.from([1, -1, 0.5, 2]), xShape: [1, 2, 2], y: Float64Array.from([0.5]), yShape: [1, 1], h0: null, c0: null };
    const s: ProbeSettings = { loss: 'mse', target: 'last', sample: null };
    const shown = await probeNet(net, batch, s);
    expect(shown.layers.map((l) => typeof l.sigmaMaxWhh)).toEqual(['number', 'number']);
    expect(shown.layers.every((l) => l.sigmaMaxWhh! > 0)).toBe(true);
    const skipped = await probeNet(net, batch, s, { sigmaMax: false });
    expect(skipped.layers.map((l) => l.sigmaMaxWhh)).toEqual([null, null]);
  });

  it('counts saturation at the stated thresholds (both sides of each)', () => {
    expect([0.0499, 0.05, 0.95, 0.9501].map((v) => saturated('sigmoid', v))).toEqual([true, false, false, true]);
    expect([-0.9001, -0.9, 0.9, 0.9001].map((v) => saturated('tanh', v))).toEqual([true, false, false, true]);
    expect([0, 1e-300, -0].map((v) => saturated('relu', v))).toEqual([true, false, true]);
    expect([0.01, 0.95, 0.9501].map((v) => saturatedHigh('sigmoid', v))).toEqual([false, false, true]);
    expect([-0.95, 0.9, 0.9001].map((v) => saturatedHigh('tanh', v))).toEqual([false, false, true]);
    expect(saturatedHigh('relu', 0)).toBe(false);
  });

  it('dL/dh_t equals the sequence kernels\' totals, and the per-gate gradients sum to their bias gradients', async () => {
    await fc.assert(fc.asyncProperty(cases(), async (c) => {
      const v = caseValues(c);
      const probe = await probeGradients(netOf(v), batchOf(c, v), settings(c));
      const other = await sequencePath(c, v);
      const G = cellSpec(c.cell).gates.length;
      const H = c.hidden;
      for (const [l, g] of probe.layers.entries()) {
        const norms = g.dh.map((d) => Math.sqrt(d.reduce((s, x) => s + x * x, 0)));
        expectClose(norms, other.dLdh[l], `${c.cell} layer ${l} dL/dh`);
        const summed = new Float64Array(G * H);
        for (const d of g.dxi) for (let b = 0; b < c.batch; b++) for (let j = 0; j < G * H; j++) summed[j] += d[b * G * H + j];
        expectClose(summed, other.net.param(`rnn.bias_ih_l${l}`).grad!.toFloat64Array(), `${c.cell} layer ${l} Σ dL/d(pre-activation) vs dL/db_ih`);
      }
    }), fcParams(40));
  });

  // One layer: restarted at t, the net's h0 and c0 are separate leaves, so h0's gradient is the
  // total dL/dh_t, and dL/dc_t is c0's gradient plus what reaches c_t through h_t = o ⊙ tanh(c_t).
  // (With layers above, h_t also feeds the layer above at step t, which the restart leaves out;
  // the multi-layer totals are held against the sequence kernels above and against torch.)
  it('dL/dh_t and dL/dc_t of a one-layer LSTM equal the gradients of h0, c0 of the same net restarted at t', async () => {
    await fc.assert(fc.asyncProperty(netCaseArb('lstm', { batch: 3, steps: 6, input: 3, hidden: 4, layers: 1 }), fc.nat(), async (c0case, pick) => {
      const c: NetCase = { ...c0case, steps: Math.max(2, c0case.steps) };
      const v = caseValues(c);
      const probe = await probeGradients(netOf(v), batchOf(c, v), settings(c));
      const t = 1 + (pick % (c.steps - 1)); // restart after step t, 1 <= t < T
      // The states at t, from the traced forward of the whole sequence.
      const net = RecurrentNet.fromValues(v.config, v.params, { dtype: 'float64', backend: cpu });
      const mk = (a: Float64Array | number[], shape: number[], grad = false) => tensor(a, shape, { dtype: 'float64', backend: cpu, requiresGrad: grad });
      const stateShape = [c.layers, c.batch, c.hidden];
      const full = net.forward(mk(v.x, [c.batch, c.steps, c.input]), {
        h0: v.h0 ? mk(v.h0, stateShape) : undefined, c0: v.c0 ? mk(v.c0, stateShape) : undefined, trace: true,
      });
      const hT = full.hidden.flatMap((layer) => Array.from(layer[t - 1].toFloat64Array()));
      const cT = full.trace!.flatMap((layer) => Array.from(layer[t - 1].values.get('c_next')!.toFloat64Array()));
      const xs = new Float64Array(c.batch * (c.steps - t) * c.input);
      for (let b = 0; b < c.batch; b++) xs.set(v.x.subarray((b * c.steps + t) * c.input, (b + 1) * c.steps * c.input), b * (c.steps - t) * c.input);
      const h0 = mk(hT, stateShape, true);
      const cc = mk(cT, stateShape, true);
      const out = net.forward(mk(xs, [c.batch, c.steps - t, c.input]), { h0, c0: cc, path: 'reference' });
      const y = mk(v.target, c.loss === 'mse' ? [c.batch, v.config.outputSize] : [c.batch]);
      backward(c.loss === 'mse' ? mseLoss(out.output, y) : crossEntropyLoss(out.output, y));
      const dh = h0.grad!.toFloat64Array();
      const o = full.trace![0][t - 1].values.get('o')!.toFloat64Array();
      const tc = full.trace![0][t - 1].values.get('tc')!.toFloat64Array();
      const dc = cc.grad!.toFloat64Array().map((g, k) => g + dh[k] * o[k] * (1 - tc[k] * tc[k]));
      expectClose(probe.layers[0].dh[t - 1], dh, `dL/dh_${t}`);
      expectClose(probe.layers[0].dc![t - 1], dc, `dL/dc_${t}`);
    }), fcParams(25));
  });

  it('the per-gate norms\' squares add up to the whole pre-activation gradient\'s, and per-sample squares to the batch\'s', async () => {
    await fc.assert(fc.asyncProperty(cases(), async (c) => {
      const v = caseValues(c);
      const batch = batchOf(c, v);
      const whole = await probeModel(v.config, v.params, batch, settings(c));
      const raw = await probeGradients(netOf(v), batch, settings(c));
      const perSample = await Promise.all(Array.from({ length: c.batch }, (_, k) => probeModel(v.config, v.params, batch, { ...settings(c), sample: k })));
      for (const [l, layer] of whole.layers.entries()) {
        const gateSquares = raw.layers[l].dxi.map((_, t) => layer.gates.reduce((s, g) => s + g.gradNorm[t]! ** 2, 0));
        const direct = raw.layers[l].dxi.map((d) => d.reduce((s, x) => s + x * x, 0));
        expectClose(gateSquares, direct, `${c.cell} layer ${l} Σ_g ||dL/d pre_g||²`);
        const sampleSquares = layer.dLdh.map((_, t) => perSample.reduce((s, p) => s + p.layers[l].dLdh[t]! ** 2, 0));
        expectClose(sampleSquares, layer.dLdh.map((n) => n! ** 2), `${c.cell} layer ${l} Σ_k ||dL/dh_t[k]||²`);
      }
    }), fcParams(20));
  });

  it('reads saturation off the activations: a forget bias of 20 saturates f everywhere, zero weights saturate nothing', async () => {
    const config: RecurrentNetConfig = { cell: 'lstm', inputSize: 1, hiddenSize: 2, numLayers: 1, outputSize: 1 };
    const zeros = (n: number) => new Float64Array(n);
    const values = new Map([
      ['rnn.weight_ih_l0', zeros(8)], ['rnn.weight_hh_l0', zeros(16)],
      ['rnn.bias_ih_l0', Float64Array.from([0, 0, 20, 20, 0, 0, 0, 0])], ['rnn.bias_hh_l0', zeros(8)],
      ['head.weight', Float64Array.from([1, 1])], ['head.bias', zeros(1)],
    ]);
    const batch: ProbeBatch = { x: Float64Array.from([1, 2, 3]), xShape: [1, 3, 1], y: Float64Array.from([1]), yShape: [1, 1], h0: null, c0: null };
    const r = await probeModel(config, values, batch, { loss: 'mse', target: 'last', sample: null, dtype: 'float64', backend: cpu });
    const sat = Object.fromEntries(r.layers[0].gates.map((g) => [g.name, g.saturation]));
    expect(sat).toEqual({ i: [0, 0, 0], f: [1, 1, 1], g: [0, 0, 0], o: [0, 0, 0] });
    expect(r.layers[0].gates[1].saturationHigh).toEqual([1, 1, 1]);
    // Zero recurrent weights: dL/dh_t reaches earlier steps only through c (f = σ(20) ≈ 1).
    expect(r.layers[0].dLdc![0]).toBeGreaterThan(0);
  });
});
