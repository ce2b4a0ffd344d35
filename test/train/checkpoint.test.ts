import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { RecurrentNet } from '../../src/nn/recurrentNet.ts';
import type { DType } from '../../src/tensor/dtype.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { captureCheckpoint, restoreCheckpoint, sameRngState, type TrainCheckpoint } from '../../src/train/checkpoint.ts';
import { baseLearningRate, createOptimizer, type OptimizerConfig } from '../../src/train/optimizers.ts';

/**
 * The checkpoint record field by field, with hand-encoded bytes. Every tensor of a 1-unit
 * rnn_tanh net holds one value, so each encodes to one little-endian IEEE 754 number in base64:
 *   1.5   float32 0x3FC00000 -> 00 00 C0 3F -> "AADAPw==";  float64 0x3FF8000000000000 -> "AAAAAAAA+D8="
 *   0.5   float32 0x3F000000 -> 00 00 00 3F -> "AAAAPw==";  float64 0x3FE0000000000000 -> "AAAAAAAA4D8="
 *   -2.25 float32 0xC0100000 -> 00 00 10 C0 -> "AAAQwA==";  float64 0xC002000000000000 -> "AAAAAAAAAsA="
 * (test/durable/state.test.ts checks the round trip on a 2-layer LSTM with Adam.)
 */
const BASE64: Record<DType, Record<string, string>> = {
  float32: { '1.5': 'AADAPw==', '0.5': 'AAAAPw==', '-2.25': 'AAAQwA==' },
  float64: { '1.5': 'AAAAAAAA+D8=', '0.5': 'AAAAAAAA4D8=', '-2.25': 'AAAAAAAAAsA=' },
};
const DTYPES = ['float32', 'float64'] as const;

/** A 1-unit rnn_tanh net drawn from `seed`: six one-value parameters. */
const oneUnitNet = (dtype: DType, seed: number): RecurrentNet =>
  RecurrentNet.create({ cell: 'rnn_tanh', inputSize: 1, hiddenSize: 1, numLayers: 1, outputSize: 1 }, Rng.seeded(seed), { dtype, backend: cpu });

function tinyNet(dtype: DType): RecurrentNet {
  const net = oneUnitNet(dtype, 3);
  for (const p of net.params.values()) p.data.fill(1.5);
  return net;
}

/** Every parameter at 1.5; one SGD step with momentum where only the first has a gradient (0.5):
 * torch's first step stores the gradient itself as the momentum buffer, and the lr is 0. */
async function checkpointOf(dtype: DType): Promise<{ net: RecurrentNet; c: TrainCheckpoint }> {
  const net = tinyNet(dtype);
  const params = [...net.params.values()];
  const opt = createOptimizer(params, { name: 'sgd', lr: 0, momentum: 0.9 });
  params[0].grad = cpu.full(params[0].shape, dtype, 0.5);
  opt.step(0);
  const clipPerStep = [1, 0.25];
  const c = await captureCheckpoint(net, opt, { step: 3, logCount: 2, elapsedMs: 7, clipPerStep, rngs: { data: Rng.seeded(1), dropout: Rng.seeded(2) } });
  clipPerStep.push(9); // the record keeps its own copy
  return { net, c: JSON.parse(JSON.stringify(c)) as TrainCheckpoint };
}

describe('captureCheckpoint', () => {
  it.each(DTYPES)('%s: every field, each tensor as its little-endian bytes in base64', async (dtype) => {
    const { net, c } = await checkpointOf(dtype);
    const enc = (v: string, shape: number[]) => ({ dtype, shape, base64: BASE64[dtype][v] });
    const names = [...net.params.keys()];
    expect(names).toEqual(['rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0', 'head.weight', 'head.bias']);
    expect(c).toEqual({
      format: 'gradlab.checkpoint/1',
      step: 3,
      logCount: 2,
      elapsedMs: 7,
      clipPerStep: [1, 0.25],
      params: {
        'rnn.weight_ih_l0': enc('1.5', [1, 1]), 'rnn.weight_hh_l0': enc('1.5', [1, 1]), 'rnn.bias_ih_l0': enc('1.5', [1]),
        'rnn.bias_hh_l0': enc('1.5', [1]), 'head.weight': enc('1.5', [1, 1]), 'head.bias': enc('1.5', [1]),
      },
      optimizer: { name: 'sgd', state: [{ steps: 1, buffers: [enc('0.5', [1, 1])] }, null, null, null, null, null] },
      rngs: { data: Rng.seeded(1).saveState(), dropout: Rng.seeded(2).saveState() },
    });
  });
});

describe('restoreCheckpoint', () => {
  it.each(DTYPES)('%s: decodes the bytes into the parameters and optimizer state, and hands back the dropout stream', async (dtype) => {
    const { c } = await checkpointOf(dtype);
    c.params['head.bias'].base64 = BASE64[dtype]['-2.25'];
    const net = oneUnitNet(dtype, 11); // other weights than the checkpoint's
    const opt = createOptimizer([...net.params.values()], { name: 'sgd', lr: 0, momentum: 0.9 });
    const { dropout } = restoreCheckpoint(net, opt, c);
    for (const [name, p] of net.params) expect([...p.data], name).toEqual([name === 'head.bias' ? -2.25 : 1.5]);
    const state = opt.state();
    expect(state.map((s) => s && { steps: s.steps, buffers: s.buffers.map((b) => [b.shape, [...b.data]]) }))
      .toEqual([{ steps: 1, buffers: [[[1, 1], [0.5]]] }, null, null, null, null, null]);
    expect(dropout.saveState()).toEqual(Rng.seeded(2).saveState());
  });

  it('refuses a checkpoint that does not fit, naming what and where', async () => {
    const { c } = await checkpointOf('float32');
    const restore = (edit: (x: TrainCheckpoint) => void, config: OptimizerConfig = { name: 'sgd', lr: 0, momentum: 0.9 }) => {
      const x = structuredClone(c);
      edit(x);
      const net = tinyNet('float32');
      return () => restoreCheckpoint(net, createOptimizer([...net.params.values()], config), x);
    };
    const all = 'rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0, head.weight, head.bias';
    expect(restore((x) => ((x as { format: string }).format = 'gradlab.checkpoint/0')))
      .toThrow(/^checkpoint format is gradlab\.checkpoint\/0, expected gradlab\.checkpoint\/1$/);
    expect(restore((x) => delete x.params['head.bias']))
      .toThrow(`checkpoint holds parameters rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0, head.weight; the model has ${all}`);
    expect(restore((x) => {
      x.params['head.bias_'] = x.params['head.bias'];
      delete x.params['head.bias'];
    })).toThrow(`checkpoint holds parameters rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0, head.weight, head.bias_; the model has ${all}`);
    // Every parameter of the model and one more.
    expect(restore((x) => (x.params['head.extra'] = x.params['head.bias'])))
      .toThrow(`checkpoint holds parameters ${all}, head.extra; the model has ${all}`);
    const notEncoded = 'checkpoint params["head.weight"]: not an encoded tensor';
    expect(restore((x) => ((x.params['head.weight'] as { dtype: string }).dtype = 'float16'))).toThrow(notEncoded);
    expect(restore((x) => ((x.params['head.weight'] as { shape: unknown }).shape = '1,1'))).toThrow(notEncoded);
    expect(restore((x) => ((x.params['head.weight'] as { base64: unknown }).base64 = 5))).toThrow(notEncoded);
    expect(restore((x) => ((x.params as Record<string, unknown>)['head.weight'] = null))).toThrow(notEncoded);
    // Two float32 values where the shape [1, 1] holds one.
    expect(restore((x) => (x.params['head.weight'].base64 = 'AADAPwAAwD8=')))
      .toThrow(/^checkpoint params\["head\.weight"\]: 8 bytes for shape \[1, 1\] float32$/);
    // float64 bytes labelled float32 for a shape that fits them: decoded, then refused on dtype.
    expect(restore((x) => Object.assign(x.params['head.weight'], { shape: [2, 1], base64: BASE64.float64['1.5'] })))
      .toThrow(/^checkpoint params\["head\.weight"\] is float32 \[2, 1\]; the model's is float32 \[1, 1\]$/);
    // The same shape in float64: decoded, then refused on dtype.
    expect(restore((x) => Object.assign(x.params['head.weight'], { dtype: 'float64', base64: BASE64.float64['1.5'] })))
      .toThrow(/^checkpoint params\["head\.weight"\] is float64 \[1, 1\]; the model's is float32 \[1, 1\]$/);
    expect(restore(() => undefined, { name: 'adam' })).toThrow(/^checkpoint optimizer is sgd, the run's is adam$/);
    expect(restore((x) => (x.optimizer.state[0]!.buffers[0].base64 = 'AAA=')))
      .toThrow(/^checkpoint optimizer\.state\[0\]\.buffers\[0\]: 2 bytes for shape \[1, 1\] float32$/);
  });
});

describe('sameRngState', () => {
  it('compares the four words and the spare normal, not the path', () => {
    const a = Rng.seeded(5);
    expect(sameRngState(a.saveState(), Rng.seeded(5).saveState())).toBe(true);
    expect(sameRngState(a.saveState(), Rng.seeded(6).saveState())).toBe(false);
    const s = a.saveState();
    for (let w = 0; w < 4; w++) {
      const other = { ...s, words: s.words.map((x, i) => (i === w ? (x ^ 1) >>> 0 : x)) };
      expect(sameRngState(s, other), `word ${w}`).toBe(false);
    }
    expect(sameRngState(s, { ...s, spareNormal: 0.25 })).toBe(false);
    expect(sameRngState({ ...s, spareNormal: 0.25 }, { ...s, spareNormal: 0.25 })).toBe(true);
    expect(sameRngState(s, { ...s, path: [9, 9] })).toBe(true);
  });
});

describe('optimizer state and learning rates', () => {
  it('baseLearningRate: the config\'s lr, else torch\'s default (Adam 1e-3, RMSprop 1e-2)', () => {
    expect(baseLearningRate({ name: 'sgd', lr: 0.3 })).toBe(0.3);
    expect(baseLearningRate({ name: 'adam' })).toBe(1e-3);
    expect(baseLearningRate({ name: 'adam', lr: 0.05 })).toBe(0.05);
    expect(baseLearningRate({ name: 'rmsprop' })).toBe(1e-2);
    expect(baseLearningRate({ name: 'rmsprop', lr: 0.2 })).toBe(0.2);
  });

  it('state() is null per parameter until its first update, then its steps and buffers (SGD with momentum 1, Adam and RMSprop 2)', () => {
    const configs: [OptimizerConfig, number][] = [[{ name: 'sgd', lr: 0.1, momentum: 0.5 }, 1], [{ name: 'adam' }, 2], [{ name: 'rmsprop' }, 2]];
    for (const [config, buffers] of configs) {
      const params = [...tinyNet('float64').params.values()];
      const opt = createOptimizer(params, config);
      expect(opt.state(), config.name).toEqual([null, null, null, null, null, null]);
      params[1].grad = cpu.full(params[1].shape, 'float64', 0.5);
      opt.step(0.1);
      opt.step(0.1);
      const state = opt.state();
      expect(state.map((s) => s && { steps: s.steps, buffers: s.buffers.length }), config.name)
        .toEqual([null, { steps: 2, buffers }, null, null, null, null]);
    }
  });

  it('loadState refuses a state of the wrong length or buffer size, and puts buffers back in the parameter\'s shape', () => {
    const params = [...tinyNet('float64').params.values()];
    const opt = createOptimizer(params, { name: 'adam' });
    expect(() => opt.loadState([null])).toThrow(/^optimizer state has 1 entries for 6 parameters$/);
    const two = cpu.fromValues([1, 2], [2], 'float64');
    expect(() => opt.loadState([null, null, { steps: 1, buffers: [two, two] }, null, null, null]))
      .toThrow(/^optimizer state 2: a buffer of 2 values for a parameter of 1$/);
    const flat = cpu.fromValues([0.75], [1], 'float64');
    opt.loadState([{ steps: 4, buffers: [flat, flat] }, null, null, null, null, null]);
    const s = opt.state();
    expect(s[0]!.steps).toBe(4);
    expect(s[0]!.buffers.map((b) => [b.shape, [...b.data]])).toEqual([[[1, 1], [0.75]], [[1, 1], [0.75]]]);
    expect(s.slice(1)).toEqual([null, null, null, null, null]);
  });
});
