import { describe, expect, it } from 'vitest';
import { parameterShapes } from '../../src/nn/recurrentNet.ts';
import { gradlab } from '../helpers/cli.ts';

function shapeOf(v: unknown): number[] {
  return Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : [];
}

const model = { cell: 'gru', inputSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 2 } as const;

function validCase(): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  let k = 0;
  const fill = (shape: readonly number[]): unknown =>
    shape.length === 0 ? Math.sin(++k) * 0.5 : Array.from({ length: shape[0] }, () => fill(shape.slice(1)));
  for (const [name, shape] of parameterShapes(model)) params[name] = fill(shape);
  return { model: { ...model }, params, x: fill([2, 5, 3]), y: fill([2, 2]), loss: 'mse' };
}

describe('gradlab grad', () => {
  it('prints loss, grads shaped like params, and T dL/dh_t entries per layer', () => {
    const r = gradlab(['grad', '--case', '-'], { input: JSON.stringify(validCase()) });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { loss: number; grads: Record<string, unknown>; dLdh: number[][] };
    expect(Number.isFinite(out.loss) && out.loss > 0).toBe(true);
    for (const [name, shape] of parameterShapes(model)) expect(shapeOf(out.grads[name]), name).toEqual(shape);
    expect(Object.keys(out.grads).sort()).toEqual([...parameterShapes(model).keys()].sort());
    expect(out.dLdh.map((layer) => layer.length)).toEqual([5, 5]);
    expect(out.dLdh.flat().every((v) => v > 0)).toBe(true);
  });

  it('float32 agrees with float64 to float32 precision', () => {
    const c = JSON.stringify(validCase());
    const a = JSON.parse(gradlab(['grad', '--case', '-'], { input: c }).stdout) as { loss: number };
    const b = JSON.parse(gradlab(['grad', '--case', '-', '--dtype', 'float32'], { input: c }).stdout) as { loss: number };
    // ~40 float32 roundings in sequence on O(1) values: 1e-5 relative is ~80 ulps of headroom.
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * a.loss);
  });

  const malformed: [string, (c: Record<string, unknown>) => void, RegExp][] = [
    ['missing key', (c) => delete c.loss, /loss/],
    ['unknown cell', (c) => ((c.model as Record<string, unknown>).cell = 'transformer'), /model\.cell.*rnn_tanh.*lstm.*gru/],
    ['wrong weight shape', (c) => ((c.params as Record<string, unknown[][]>)['rnn.weight_hh_l1'][0].pop()), /params\["rnn\.weight_hh_l1"\]\[0\].*length 4.*\[12, 4\]/],
    ['missing parameter', (c) => delete (c.params as Record<string, unknown>)['head.bias'], /missing "head\.bias" of shape \[2\]/],
    ['unknown parameter', (c) => ((c.params as Record<string, unknown>)['rnn.weight_ih_l2'] = [[1]]), /unknown key "rnn\.weight_ih_l2"/],
    ['wrong y shape', (c) => (c.y = [[1, 2, 3], [4, 5, 6]]), /y\[0\].*length 2.*\[2, 2\]/],
    ['bad class index', (c) => { c.loss = 'cross_entropy'; c.y = [0, 7]; }, /y\[1\].*class index.*\[0, 2\)/],
    ['c0 for a gru', (c) => (c.c0 = [[[0]]]), /c0 is only for cell lstm/],
  ];
  it.each(malformed)('%s: exits 2 with one line naming the field', (_what, mutate, message) => {
    const c = validCase();
    mutate(c);
    const r = gradlab(['grad', '--case', '-'], { input: JSON.stringify(c) });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('refuses an unreadable file and non-JSON with exit 2', () => {
    expect(gradlab(['grad', '--case', '/nonexistent/case.json']).status).toBe(2);
    const r = gradlab(['grad', '--case', '-'], { input: '{not json' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON/);
  });
});
