import { describe, expect, it } from 'vitest';
import { modelFromStateDict, StateDictError, type NamedArray } from '../../src/nn/stateDict.ts';

/** A tensor of the given shape whose values are 1, 2, 3, ... (so a mix-up of keys shows). */
function t(shape: number[], start = 1): NamedArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float64Array.from({ length: n }, (_, i) => start + i) };
}

/** torch's state-dict keys of an L-layer module with G gate blocks of H units, under `prefix`. */
function layers(prefix: string, G: number, I: number, H: number, L: number, bias = true): [string, NamedArray][] {
  const out: [string, NamedArray][] = [];
  for (let l = 0; l < L; l++) {
    out.push([`${prefix}weight_ih_l${l}`, t([G * H, l === 0 ? I : H])], [`${prefix}weight_hh_l${l}`, t([G * H, H])]);
    if (bias) out.push([`${prefix}bias_ih_l${l}`, t([G * H], 100)], [`${prefix}bias_hh_l${l}`, t([G * H], 200)]);
  }
  return out;
}

const dict = (...entries: [string, NamedArray][][]) => new Map(entries.flat());
const fails = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StateDictError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected a StateDictError');
};

describe('a torch state dict read as a model', () => {
  it('reads a module attribute `rnn` with a `head`: cell, sizes and layers from the shapes', () => {
    const m = modelFromStateDict(dict(layers('rnn.', 4, 3, 5, 2), [['head.weight', t([2, 5])], ['head.bias', t([2])]]));
    expect(m.config).toEqual({ cell: 'lstm', inputSize: 3, hiddenSize: 5, numLayers: 2, outputSize: 2 });
    expect(m.prefix).toBe('rnn.');
    expect(m.head).toBe('head');
    expect(m.ignoredKeys).toEqual([]);
    expect(m.values.get('rnn.bias_hh_l1')![0]).toBe(200);
  });

  it('reads a bare nn.GRU state dict (prefix "") without a head as an identity head over h', () => {
    const m = modelFromStateDict(dict(layers('', 3, 2, 4, 1)));
    expect(m.config).toEqual({ cell: 'gru', inputSize: 2, hiddenSize: 4, numLayers: 1, outputSize: 4 });
    expect(m.prefix).toBe('');
    expect(m.head).toBeNull();
    expect(Array.from(m.values.get('head.weight')!)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(Array.from(m.values.get('rnn.weight_ih_l0')!.slice(0, 3))).toEqual([1, 2, 3]);
  });

  it('finds a nested prefix, lists what it did not use, and takes --head for another Linear', () => {
    const extra: [string, NamedArray][] = [['embed.weight', t([7, 2])], ['fc.weight', t([1, 4])], ['fc.bias', t([1])]];
    const m = modelFromStateDict(dict(layers('encoder.lstm.', 4, 2, 4, 1), extra));
    expect(m.prefix).toBe('encoder.lstm.');
    expect(m.ignoredKeys).toEqual(['embed.weight', 'fc.weight', 'fc.bias']);
    const withHead = modelFromStateDict(dict(layers('encoder.lstm.', 4, 2, 4, 1), extra), { head: 'fc' });
    expect(withHead.config.outputSize).toBe(1);
    expect(withHead.ignoredKeys).toEqual(['embed.weight']);
    expect(modelFromStateDict(dict(layers('encoder.lstm.', 4, 2, 4, 1), extra), { head: 'fc.' }).head).toBe('fc');
  });

  it('reads bias=False layers as zero biases, and a half pair of biases as a broken file', () => {
    const m = modelFromStateDict(dict(layers('rnn.', 1, 2, 3, 1, false)), { cell: 'rnn_tanh' });
    expect(Array.from(m.values.get('rnn.bias_ih_l0')!)).toEqual([0, 0, 0]);
    const half = dict(layers('rnn.', 1, 2, 3, 1, false), [['rnn.bias_ih_l0', t([3])]]);
    expect(fails(() => modelFromStateDict(half, { cell: 'rnn_tanh' }))).toBe('tensor "rnn.bias_hh_l0" of shape [3] is missing for a 1-layer rnn_tanh with inputSize 2 and hiddenSize 3');
  });

  it('names the key and the expected shape when a tensor does not fit', () => {
    const d = dict(layers('rnn.', 4, 3, 5, 2));
    d.set('rnn.weight_hh_l1', t([20, 4]));
    expect(fails(() => modelFromStateDict(d))).toBe('tensor "rnn.weight_hh_l1" has shape [20, 4]; a 2-layer lstm with inputSize 3 and hiddenSize 5 expects [20, 5]');
  });

  it('asks for --cell where the shapes cannot tell, and refuses a --cell they contradict', () => {
    expect(fails(() => modelFromStateDict(dict(layers('', 1, 2, 3, 1))))).toBe('the weights fit rnn_tanh and rnn_relu alike: pass --cell rnn_tanh or --cell rnn_relu');
    expect(modelFromStateDict(dict(layers('', 1, 2, 3, 1)), { cell: 'rnn_relu' }).config.cell).toBe('rnn_relu');
    expect(fails(() => modelFromStateDict(dict(layers('', 4, 2, 3, 1)), { cell: 'gru' }))).toContain('--cell gru does not fit "weight_hh_l0" of shape [12, 3]');
    // What gradlab recorded when it saved the weights decides too.
    expect(modelFromStateDict(dict(layers('', 1, 2, 3, 1)), { saved: { cell: 'rnn_relu' } }).config.cell).toBe('rnn_relu');
  });

  it('reads a diagonal recurrence (IndRNN) from a one-dimensional W_hh', () => {
    const d = dict([['rnn.weight_ih_l0', t([3, 2])], ['rnn.weight_hh_l0', t([3])], ['rnn.bias_ih_l0', t([3])], ['rnn.bias_hh_l0', t([3])]]);
    expect(modelFromStateDict(d).config).toEqual({ cell: 'indrnn', inputSize: 2, hiddenSize: 3, numLayers: 1, outputSize: 3 });
  });

  it('refuses what it cannot follow: bidirectional, proj_size, two recurrent modules, no recurrent module', () => {
    expect(fails(() => modelFromStateDict(dict(layers('rnn.', 4, 2, 3, 1), [['rnn.weight_ih_l0_reverse', t([12, 2])]])))).toContain('bidirectional');
    expect(fails(() => modelFromStateDict(dict(layers('rnn.', 4, 2, 3, 1), [['rnn.weight_hr_l0', t([2, 3])]])))).toContain('proj_size');
    expect(fails(() => modelFromStateDict(dict(layers('a.', 4, 2, 3, 1), layers('b.', 4, 2, 3, 1))))).toBe('several recurrent modules ("a.", "b."): pass --prefix to choose one');
    expect(modelFromStateDict(dict(layers('a.', 4, 2, 3, 1), layers('b.', 3, 2, 3, 1)), { prefix: 'b' }).config.cell).toBe('gru');
    expect(fails(() => modelFromStateDict(dict([['w', t([2])]])))).toBe('no recurrent layer: no tensor name ends in "weight_ih_l0" (torch\'s nn.RNN/LSTM/GRU names); found "w"');
    expect(fails(() => modelFromStateDict(dict(layers('rnn.', 4, 2, 3, 1)), { prefix: 'lstm' }))).toBe('--prefix "lstm": there is no tensor "lstm.weight_ih_l0"; recurrent modules found at prefix "rnn."');
  });
});

describe('a torch state dict: every refusal word for word, and the edges of each rule', () => {
  const lstm = (): Map<string, NamedArray> => dict(layers('rnn.', 4, 2, 3, 1));

  it('--prefix with or without its dot, or empty for a bare module', () => {
    expect(modelFromStateDict(lstm(), { prefix: 'rnn.' }).prefix).toBe('rnn.');
    expect(modelFromStateDict(lstm(), { prefix: 'rnn' }).prefix).toBe('rnn.');
    expect(modelFromStateDict(dict(layers('', 4, 2, 3, 1)), { prefix: '' }).prefix).toBe('');
    expect(fails(() => modelFromStateDict(dict([['w', t([2])]]), { prefix: 'x' }))).toBe('--prefix "x": there is no tensor "x.weight_ih_l0"');
  });

  it('lists at most six tensor names when there is no recurrent layer', () => {
    const named = (n: number) => dict(Array.from({ length: n }, (_, i): [string, NamedArray] => [`k${i}`, t([1])]));
    expect(fails(() => modelFromStateDict(new Map()))).toMatch(/; found no tensors$/);
    expect(fails(() => modelFromStateDict(named(6)))).toMatch(/; found "k0", "k1", "k2", "k3", "k4", "k5"$/);
    expect(fails(() => modelFromStateDict(named(8)))).toMatch(/; found "k0", "k1", "k2", "k3", "k4", "k5" and 2 more$/);
  });

  it('refuses a W_hh or W_ih of the wrong rank, a missing W_hh, and shapes that fit no cell', () => {
    const d = lstm();
    d.set('rnn.weight_hh_l0', t([12, 3, 1]));
    expect(fails(() => modelFromStateDict(d))).toBe('tensor "rnn.weight_hh_l0" has shape [12, 3, 1]; W_hh is [gates·H, H] (or [gates·H] for a diagonal recurrence)');
    d.delete('rnn.weight_hh_l0');
    expect(fails(() => modelFromStateDict(d))).toBe('tensor "rnn.weight_hh_l0" is missing (every layer has weight_ih, weight_hh and, with biases, bias_ih and bias_hh)');
    const flatIh = lstm();
    flatIh.set('rnn.weight_ih_l0', t([12]));
    expect(fails(() => modelFromStateDict(flatIh))).toBe('tensor "rnn.weight_ih_l0" has shape [12]; W_ih is [gates·H, input]');
    // Each of the rule's conditions on its own: W_hh rows, W_ih rows, H >= 1.
    const shapes = (hh: number[], ih: number[]) => dict([['rnn.weight_hh_l0', t(hh)], ['rnn.weight_ih_l0', t(ih)]]);
    expect(fails(() => modelFromStateDict(shapes([5, 3], [3, 2])))).toBe('tensor "rnn.weight_hh_l0" of shape [5, 3] and weight_ih of shape [3, 2] fit no cell (gates·H rows: lstm 4, gru 3, rnn 1)');
    expect(fails(() => modelFromStateDict(shapes([3, 3], [5, 2])))).toBe('tensor "rnn.weight_hh_l0" of shape [3, 3] and weight_ih of shape [5, 2] fit no cell (gates·H rows: lstm 4, gru 3, rnn 1)');
    expect(fails(() => modelFromStateDict(shapes([0, 0], [0, 2])))).toBe('tensor "rnn.weight_hh_l0" of shape [0, 0] and weight_ih of shape [0, 2] fit no cell (gates·H rows: lstm 4, gru 3, rnn 1)');
  });

  it('a --cell the shapes contradict: what it fits, if anything', () => {
    expect(fails(() => modelFromStateDict(lstm(), { cell: 'gru' }))).toBe('--cell gru does not fit "rnn.weight_hh_l0" of shape [12, 3] with weight_ih of shape [12, 2] (it fits lstm)');
    expect(fails(() => modelFromStateDict(dict(layers('rnn.', 1, 2, 3, 1)), { cell: 'lstm' }))).toBe('--cell lstm does not fit "rnn.weight_hh_l0" of shape [3, 3] with weight_ih of shape [3, 2] (it fits rnn_tanh or rnn_relu)');
    const none = dict([['rnn.weight_hh_l0', t([5, 3])], ['rnn.weight_ih_l0', t([3, 2])]]);
    expect(fails(() => modelFromStateDict(none, { cell: 'gru' }))).toBe('--cell gru does not fit "rnn.weight_hh_l0" of shape [5, 3] with weight_ih of shape [3, 2]');
  });

  it('heads: found by name, chosen by --head, switched off by --head none, refused when absent or misshapen, bias optional', () => {
    const withHead = dict(layers('rnn.', 4, 2, 3, 1), [['head.weight', t([2, 3])], ['head.bias', t([2])]]);
    expect(modelFromStateDict(withHead).head).toBe('head');
    expect(modelFromStateDict(withHead).config.outputSize).toBe(2);
    const off = modelFromStateDict(withHead, { head: 'none' });
    expect(off.head).toBeNull();
    expect(off.config.outputSize).toBe(3);
    expect(Array.from(off.values.get('head.weight')!)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(fails(() => modelFromStateDict(withHead, { head: 'fc' }))).toBe('--head "fc": there is no tensor "fc.weight"');
    const flat = dict(layers('rnn.', 4, 2, 3, 1), [['fc.weight', t([3])]]);
    expect(fails(() => modelFromStateDict(flat, { head: 'fc' }))).toBe('tensor "fc.weight" has shape [3]; a Linear head\'s weight is [output, 3]');
    // Linear(bias=False): zero biases.
    const noBias = modelFromStateDict(dict(layers('rnn.', 4, 2, 3, 1), [['fc.weight', t([2, 3])]]), { head: 'fc.' });
    expect(Array.from(noBias.values.get('head.bias')!)).toEqual([0, 0]);
  });

  it('what gradlab saved adds its residual and skip weights, under the module\'s prefix', () => {
    const d = dict(layers('net.', 1, 2, 3, 1), [['net.weight_skip_l0', t([3, 3], 50)], ['residual.weight', t([3, 2], 70)]]);
    const m = modelFromStateDict(d, { cell: 'rnn_tanh', saved: { residual: true, skipDelay: 2 } });
    expect(m.config).toMatchObject({ residual: true, skipDelay: 2 });
    expect(Array.from(m.values.get('rnn.weight_skip_l0')!)).toEqual([50, 51, 52, 53, 54, 55, 56, 57, 58]);
    expect(Array.from(m.values.get('residual.weight')!)).toEqual([70, 71, 72, 73, 74, 75]);
    expect(modelFromStateDict(d, { cell: 'rnn_tanh' }).config).not.toHaveProperty('residual');
  });

  it('half a pair of biases is a broken file whichever half is there', () => {
    const onlyHh = dict(layers('rnn.', 1, 2, 3, 1, false), [['rnn.bias_hh_l0', t([3])]]);
    expect(fails(() => modelFromStateDict(onlyHh, { cell: 'rnn_tanh' }))).toBe('tensor "rnn.bias_ih_l0" of shape [3] is missing for a 1-layer rnn_tanh with inputSize 2 and hiddenSize 3');
  });

  it('bias=False holds past layer 9 (two-digit layer numbers)', () => {
    const m = modelFromStateDict(dict(layers('rnn.', 1, 2, 3, 11, false)), { cell: 'rnn_tanh' });
    expect(m.config.numLayers).toBe(11);
    expect(Array.from(m.values.get('rnn.bias_hh_l10')!)).toEqual([0, 0, 0]);
  });
});

