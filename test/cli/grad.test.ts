import { describe, expect, it, type ExpectStatic } from 'vitest';
import { GRAD_CASE_LIMITS } from '../../src/cli/gradCase.ts';
import { parameterShapes, type RecurrentNetConfig } from '../../src/nn/recurrentNet.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gradlabAsync } from '../helpers/cli.ts';
import { runMain } from '../helpers/inProcess.ts';

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

/** Exit code 2, nothing on stdout, one line on stderr matching `message` (the binary's and main()'s
 * results alike; `check` is the test's own expect, as concurrent tests need). */
function expectOneLineRefusal(check: ExpectStatic, code: number | null, out: { stdout: string; stderr: string }, message: RegExp): void {
  check(code).toBe(2);
  check(out.stdout).toBe('');
  check(out.stderr.trim().split('\n')).toHaveLength(1);
  check(out.stderr).toMatch(message);
}

describe('gradlab grad', () => {
  // The tests through the binary run side by side (a start-up is ~1 s of mostly one core).
  it.concurrent('prints loss, grads shaped like params, and T dL/dh_t entries per layer', async ({ expect }) => {
    const r = await gradlabAsync(['grad', '--case', '-'], { input: JSON.stringify(validCase()) });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { loss: number; grads: Record<string, unknown>; dLdh: number[][] };
    expect(Number.isFinite(out.loss) && out.loss > 0).toBe(true);
    for (const [name, shape] of parameterShapes(model)) expect(shapeOf(out.grads[name]), name).toEqual(shape);
    expect(Object.keys(out.grads).sort()).toEqual([...parameterShapes(model).keys()].sort());
    expect(out.dLdh.map((layer) => layer.length)).toEqual([5, 5]);
    expect(out.dLdh.flat().every((v) => v > 0)).toBe(true);
  });

  it.concurrent('float32 agrees with float64 to float32 precision', async ({ expect }) => {
    const c = JSON.stringify(validCase());
    const [a, b] = (await Promise.all([
      gradlabAsync(['grad', '--case', '-'], { input: c }),
      gradlabAsync(['grad', '--case', '-', '--dtype', 'float32'], { input: c }),
    ])).map((r) => JSON.parse(r.stdout) as { loss: number });
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
    ['c0 for a gru', (c) => (c.c0 = [[[0]]]), /c0 is only for cells with a cell state \(lstm\), not gru/],
  ];
  // In this process (main() is what the binary runs; reading the case from stdin is tested below).
  it.each(malformed)('%s: exits 2 with one line naming the field', async (_what, mutate, message) => {
    const c = validCase();
    mutate(c);
    const file = join(mkdtempSync(join(tmpdir(), 'gradlab-case-')), 'case.json');
    writeFileSync(file, JSON.stringify(c));
    const r = await runMain(['grad', '--case', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  // Size limits: a small file can claim any size, so these must be refused from the claim
  // alone, before anything that size is built. Each runs under a timeout well below what the
  // unchecked work would take (the 10M-layer case used to run 27 s into a RangeError): hitting
  // it fails the test with status null.
  const LIMIT_TIMEOUT_MS = 20_000;

  /** Every key the model takes, each with a placeholder value: the limits are checked before
   * any value is read. */
  function placeholderParams(m: RecurrentNetConfig): Record<string, unknown> {
    return Object.fromEntries([...parameterShapes(m).keys()].map((name) => [name, 0]));
  }

  /** x with B rows whose first row has T steps of I inputs; the other rows are placeholders
   * (B and T are read from the first elements, and the limits come before the full walk). */
  function claimedX(B: number, T: number, I: number): unknown[] {
    const first = Array.from({ length: T }, () => new Array<number>(I).fill(0));
    return [first, ...new Array<number>(B - 1).fill(0)];
  }

  const limits: [string, () => Record<string, unknown>, RegExp][] = [
    ['numLayers 10,000,000 with the params of 2 layers', () => {
      const c = validCase();
      (c.model as Record<string, unknown>).numLayers = 10_000_000;
      return c;
    }, /model\.numLayers is 10000000, but params has 10 key\(s\), enough for at most 2 layer\(s\)/],
    ['numLayers over the limit, with a key for every layer', () => {
      const m = { ...model, numLayers: GRAD_CASE_LIMITS.numLayers + 1 };
      return { ...validCase(), model: m, params: placeholderParams(m) };
    }, new RegExp(`model\\.numLayers is ${GRAD_CASE_LIMITS.numLayers + 1}; at most ${GRAD_CASE_LIMITS.numLayers} is allowed`)],
    ['hiddenSize over the width limit', () => {
      const c = validCase();
      (c.model as Record<string, unknown>).hiddenSize = 1_000_000_000;
      return c;
    }, new RegExp(`model\\.hiddenSize is 1000000000; at most ${GRAD_CASE_LIMITS.width} is allowed`)],
    ['inputSize over the width limit', () => {
      const c = validCase();
      (c.model as Record<string, unknown>).inputSize = GRAD_CASE_LIMITS.width + 1;
      return c;
    }, /model\.inputSize is 100001; at most 100000 is allowed/],
    ['outputSize over the width limit', () => {
      const c = validCase();
      (c.model as Record<string, unknown>).outputSize = 2 ** 40;
      return c;
    }, /model\.outputSize is 1099511627776; at most 100000 is allowed/],
    // gru (3 gates), H = 2000: 6000 * (3 + 2000 + 2) + 6000 * (2000 + 2000 + 2) + 2 * 2001.
    ['too many parameters (hiddenSize 2000, 2 layers)', () => {
      const m = { ...model, hiddenSize: 2000 };
      return { ...validCase(), model: m, params: placeholderParams(m) };
    }, new RegExp(`has 36046002 parameters; at most ${GRAD_CASE_LIMITS.parameters} are allowed`)],
    // 2e6 * 5 * 3 (x) + 2 * 2e6 * 5 * 4 (states) + 2e6 * 2 (head).
    ['too many activations (B = 2,000,000 claimed by x)', () => ({ ...validCase(), x: claimedX(2_000_000, 5, 3) }),
      new RegExp(`x of shape \\[2000000, 5, 3\\].*needs 114000000 activation values.*at most ${GRAD_CASE_LIMITS.activations} are allowed`)],
    ['too many layer-steps (2 layers, T = 500,001)', () => ({ ...validCase(), x: claimedX(1, 500_001, 3) }),
      new RegExp(`T = 500001 steps and model\\.numLayers is 2, so numLayers\\*T = 1000002 layer-steps; at most ${GRAD_CASE_LIMITS.layerSteps}`)],
  ];
  // The same checks in this process (main() is what the binary runs), each time-boxed by the
  // test's timeout.
  it.each(limits)('%s: exits 2 with one line naming the field and the limit', async (_what, build, message) => {
    const file = join(mkdtempSync(join(tmpdir(), 'gradlab-case-')), 'case.json');
    writeFileSync(file, JSON.stringify(build()));
    const r = await runMain(['grad', '--case', file]);
    expectOneLineRefusal(expect, r.code, r, message);
  }, LIMIT_TIMEOUT_MS);

  it.concurrent('the 10M-layer case through the binary: exits 2 with one line, at once', async ({ expect }) => {
    const [, build, message] = limits[0];
    const r = await gradlabAsync(['grad', '--case', '-'], { input: JSON.stringify(build()), timeoutMs: LIMIT_TIMEOUT_MS });
    expectOneLineRefusal(expect, r.status, r, message);
  }, LIMIT_TIMEOUT_MS);

  it.concurrent('refuses an unreadable file and non-JSON with exit 2', async ({ expect }) => {
    const [unreadable, r] = await Promise.all([
      gradlabAsync(['grad', '--case', '/nonexistent/case.json']),
      gradlabAsync(['grad', '--case', '-'], { input: '{not json' }),
    ]);
    expect(unreadable.status).toBe(2);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON/);
  });
});
