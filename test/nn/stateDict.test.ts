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
