import { describe, expect, it } from 'vitest';
import { REFERENCE_CELLS } from '../../src/nn/referenceCells.ts';
import { parameterShapes, RecurrentNet, type CellPath, type RecurrentNetConfig } from '../../src/nn/recurrentNet.ts';
import { randn, tensor, zeros } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';

/**
 * What RecurrentNet.forward computes around the cells, held against a plain-JavaScript float64
 * rendering of the documented equations (not against another path of the same code, which
 * would agree with a connection left out): residual connections (GNMT: layer l+1 reads
 * x^l_t + h^l_t, through `residual.weight` when I != H), temporal skips
 * (h_t = cell(x_t, h_{t-1}) + W_skip h_{t-d} for t > d), dropout on every layer's output but
 * the last, and the net's refusals.
 */

type Vec = number[];
const matVec = (w: Float64Array, rows: number, cols: number, v: Vec): Vec =>
  Array.from({ length: rows }, (_, r) => v.reduce((s, x, c) => s + w[r * cols + c] * x, 0));
const plus = (...vs: Vec[]): Vec => vs[0].map((_, i) => vs.reduce((s, v) => s + v[i], 0));

/** The documented forward of an rnn_tanh stack, sample by sample, head on h_T. */
function plainForward(config: RecurrentNetConfig, net: RecurrentNet, x: Vec[][]): Vec[] {
  const { inputSize: I, hiddenSize: H, numLayers, outputSize: O, residual, skipDelay } = config;
  const p = (name: string): Float64Array => net.param(name).toFloat64Array();
  return x.map((sample) => {
    let inputs = sample;
    for (let l = 0; l < numLayers; l++) {
      const width = l === 0 ? I : H;
      const hs: Vec[] = [];
      let h: Vec = new Array<number>(H).fill(0);
      inputs.forEach((xt, t) => {
        const pre = plus(matVec(p(`rnn.weight_ih_l${l}`), H, width, xt), [...p(`rnn.bias_ih_l${l}`)], matVec(p(`rnn.weight_hh_l${l}`), H, H, h), [...p(`rnn.bias_hh_l${l}`)]);
        h = pre.map(Math.tanh);
        // hs[t] is h_{t+1}: the skip reaches h_{t+1-d} for t + 1 > d.
        if (skipDelay && t + 1 > skipDelay) h = plus(h, matVec(p(`rnn.weight_skip_l${l}`), H, H, hs[t - skipDelay]));
        hs.push(h);
      });
      inputs = residual
        ? hs.map((ht, t) => plus(ht, l === 0 && I !== H ? matVec(p('residual.weight'), H, I, inputs[t]) : inputs[t]))
        : hs;
    }
    return plus(matVec(p('head.weight'), O, H, inputs[inputs.length - 1]), [...p('head.bias')]);
  });
}

const CONFIGS: [string, RecurrentNetConfig][] = [
  ['residual with the input projection (I != H) and a skip of 2', { cell: 'rnn_tanh', inputSize: 2, hiddenSize: 3, numLayers: 3, outputSize: 2, residual: true, skipDelay: 2 }],
  ['residual without a projection (I = H)', { cell: 'rnn_tanh', inputSize: 3, hiddenSize: 3, numLayers: 2, outputSize: 1, residual: true }],
  ['a skip of 1, no residual', { cell: 'rnn_tanh', inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 1, skipDelay: 1 }],
];

describe('RecurrentNet: the connections around the cells', () => {
  it.each(CONFIGS)('%s: every path equals the equations written out in plain JavaScript', (_what, config) => {
    const net = RecurrentNet.create(config, Rng.seeded(3), { dtype: 'float64' });
    const B = 2;
    const T = 6;
    const x = randn([B, T, config.inputSize], Rng.seeded(4), { dtype: 'float64' });
    const values = x.toFloat64Array();
    const xs = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from({ length: config.inputSize }, (_, i) => values[(b * T + t) * config.inputSize + i])));
    const want = plainForward(config, net, xs).flat();
    for (const path of ['reference', 'fused', 'sequence'] as CellPath[]) {
      const got = net.forward(x, { path }).output.toFloat64Array();
      // Both float64, the same sums in another order: values of size ~1 after ~40 roundings
      // each, so they agree to ~1e-14; 1e-12 leaves a factor of 100.
      want.forEach((w, i) => expect(Math.abs(got[i] - w), `${path} output ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(1e-12));
    }
  });

  it('with a temporal skip the sequence path runs the fused per-step kernels (one graph node per step)', () => {
    const config: RecurrentNetConfig = { cell: 'lstm', inputSize: 2, hiddenSize: 3, numLayers: 1, outputSize: 1, skipDelay: 2 };
    const net = RecurrentNet.create(config, Rng.seeded(1), { dtype: 'float64' });
    const { hidden } = net.forward(randn([1, 4, 2], Rng.seeded(2), { dtype: 'float64' }), { path: 'sequence' });
    // h_1, h_2 come straight from the step (the skip starts at t = 3), the others from its add.
    expect(hidden[0].map((h) => h.node?.op)).toEqual(['lstm_step', 'lstm_step', 'add', 'add']);
  });

  it('parameter names and shapes: a skip weight per layer, the residual projection only when residual and I != H', () => {
    const base = { cell: 'gru' as const, inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 1 };
    const layers = (l: number, width: number): [string, number[]][] => [
      [`rnn.weight_ih_l${l}`, [9, width]], [`rnn.weight_hh_l${l}`, [9, 3]], [`rnn.bias_ih_l${l}`, [9]], [`rnn.bias_hh_l${l}`, [9]],
    ];
    const head: [string, number[]][] = [['head.weight', [1, 3]], ['head.bias', [1]]];
    expect([...parameterShapes({ ...base, residual: true, skipDelay: 3 })]).toEqual([
      ...layers(0, 2), ...layers(1, 3), ['rnn.weight_skip_l0', [3, 3]], ['rnn.weight_skip_l1', [3, 3]], ['residual.weight', [3, 2]], ...head,
    ]);
    expect([...parameterShapes({ ...base, residual: false })]).toEqual([...layers(0, 2), ...layers(1, 3), ...head]);
    expect([...parameterShapes({ ...base, inputSize: 3, residual: true })]).toEqual([...layers(0, 3), ...layers(1, 3), ...head]);
  });

  it('skip and residual weights start U(-1/sqrt(H), 1/sqrt(H)), as the head does', () => {
    const H = 16;
    const net = RecurrentNet.create({ cell: 'rnn_tanh', inputSize: 5, hiddenSize: H, numLayers: 1, outputSize: 1, residual: true, skipDelay: 1 }, Rng.seeded(7), { dtype: 'float64' });
    for (const name of ['rnn.weight_skip_l0', 'residual.weight']) {
      const v = net.param(name).toFloat64Array();
      const maxAbs = v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      expect(maxAbs, name).toBeLessThanOrEqual(1 / Math.sqrt(H));
      // 80 or 256 uniform draws all inside half the bound: probability 2^-80 at most.
      expect(maxAbs, name).toBeGreaterThan(0.5 / Math.sqrt(H));
    }
  });
});

describe('RecurrentNet: dropout', () => {
  const config: RecurrentNetConfig = { cell: 'gru', inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 1, dropout: 0.5 };
  const B = 2;
  const T = 4;

  it('drops on every layer\'s output but the last: one mask of B·T·H draws for two layers, none for one', () => {
    const net = RecurrentNet.create(config, Rng.seeded(1), { dtype: 'float64' });
    const x = randn([B, T, 2], Rng.seeded(2), { dtype: 'float64' });
    const rng = Rng.seeded(9);
    net.forward(x, { dropoutRng: rng });
    const replay = Rng.seeded(9);
    for (let k = 0; k < B * T * 3; k++) replay.uniform();
    expect(rng.uniform()).toBe(replay.uniform());

    const one = RecurrentNet.create({ ...config, numLayers: 1 }, Rng.seeded(1), { dtype: 'float64' });
    const untouched = Rng.seeded(9);
    const dropped = one.forward(x, { dropoutRng: untouched }).output.toFloat64Array();
    expect(untouched.uniform()).toBe(Rng.seeded(9).uniform());
    expect([...dropped]).toEqual([...one.forward(x).output.toFloat64Array()]);
  });
});

describe('RecurrentNet: its refusals and defaults', () => {
  const config: RecurrentNetConfig = { cell: 'lstm', inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 1 };
  const net = RecurrentNet.create(config, Rng.seeded(1), { dtype: 'float64' });
  const x = zeros([4, 5, 2], { dtype: 'float64' });

  it('float32 parameters unless asked; the net reports its dtype', () => {
    const values = new Map([...net.params].map(([name, t]) => [name, t.toFloat64Array()]));
    const f32 = RecurrentNet.fromValues(config, values);
    expect([...f32.params.values()].every((t) => t.dtype === 'float32')).toBe(true);
    expect(f32.dtype).toBe('float32');
    expect(net.dtype).toBe('float64');
  });

  it('names what is missing or misshapen', () => {
    const values = new Map([...net.params].map(([name, t]) => [name, t.toFloat64Array()]));
    values.delete('rnn.weight_hh_l1');
    expect(() => RecurrentNet.fromValues(config, values)).toThrow(/^missing parameter rnn\.weight_hh_l1 \[12, 3\]$/);
    expect(() => net.param('rnn.weight_skip_l0')).toThrow(/^no parameter rnn\.weight_skip_l0$/);
    expect(() => net.forward(zeros([4, 5], { dtype: 'float64' }))).toThrow(/^input must have shape \[B, T, 2\], got \[4, 5\]$/);
    expect(() => net.forward(zeros([4, 5, 3], { dtype: 'float64' }))).toThrow(/^input must have shape \[B, T, 2\], got \[4, 5, 3\]$/);
    expect(() => net.forward(zeros([4, 5, 2, 1], { dtype: 'float64' }))).toThrow(/^input must have shape \[B, T, 2\], got \[4, 5, 2, 1\]$/);
    expect(() => net.forward(x, { h0: zeros([1, 4, 3], { dtype: 'float64' }) })).toThrow(/^h0 must have shape \[2, 4, 3\], got \[1, 4, 3\]$/);
    expect(() => net.forward(x, { c0: zeros([2, 4, 2], { dtype: 'float64' }) })).toThrow(/^c0 must have shape \[2, 4, 3\], got \[2, 4, 2\]$/);
    const gru = RecurrentNet.create({ ...config, cell: 'gru' }, Rng.seeded(1), { dtype: 'float64' });
    expect(() => gru.forward(x, { c0: zeros([2, 4, 3], { dtype: 'float64' }) })).toThrow(/^c0 is only for cells with a cell state \(lstm\), not gru$/);
  });

  it('the hand-written LSTM reference step refuses a missing c', () => {
    const w = net.layerWeights(0);
    const h = zeros([4, 3], { dtype: 'float64' });
    expect(() => REFERENCE_CELLS.lstm!(zeros([4, 2], { dtype: 'float64' }), { h, c: null }, w)).toThrow(/^lstm needs a cell state c$/);
  });

  it('h0 and c0 given are used, layer by layer (zeros given equal none given)', () => {
    const y = tensor(Array.from({ length: 40 }, (_, i) => Math.sin(i)), [4, 5, 2], { dtype: 'float64' });
    const none = net.forward(y).output.toFloat64Array();
    const given = net.forward(y, { h0: zeros([2, 4, 3], { dtype: 'float64' }), c0: zeros([2, 4, 3], { dtype: 'float64' }) }).output.toFloat64Array();
    expect([...given]).toEqual([...none]);
    const h0 = tensor(Array.from({ length: 24 }, (_, i) => (i < 12 ? 0 : 0.5)), [2, 4, 3], { dtype: 'float64' });
    const top = net.forward(y, { h0 }).output.toFloat64Array();
    expect([...top]).not.toEqual([...none]);
  });
});
