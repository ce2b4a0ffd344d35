/**
 * Weight initialisation (src/nn/init.ts, RecurrentNet.create) and the parameter names/shapes.
 *
 * Statistical checks use a tolerance of 5 standard errors of the estimated quantity: a correct
 * initialiser fails one such check with probability ~6e-7, while a wrong formula (sqrt(6) vs
 * sqrt(2), fan_in vs fan_in + fan_out, uniform vs normal) is off by tens to hundreds of
 * standard errors at these sample sizes (>= 20k values).
 *
 * The torch cross-check runs /usr/bin/python3 with torch (Debian: python3-torch). Without it
 * the test FAILS with the install command: a missing reference must never pass as success.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELL_KINDS, cellSpec, gateCount, type CellKind } from '../../src/cells/table.ts';

/** The cells whose W_hh is a matrix (IndRNN's is a vector). */
const MATRIX_CELLS = CELL_KINDS.filter((k) => cellSpec(k).recurrent === 'matrix');
import {
  identityInit, INIT_SCHEMES, initRecurrentVector, initWeight, orthogonal, scaledNormal, SPARSE_NONZEROS_PER_UNIT, sparseInit, xavierNormal,
  xavierUniform, type InitScheme, type RecurrentInit,
} from '../../src/nn/init.ts';
import { parameterShapes, RecurrentNet, type RecurrentNetConfig } from '../../src/nn/recurrentNet.ts';
import { spectralRadiusErrorBound } from '../../src/nn/spectralRadius.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';
import { runPython } from '../helpers/python.ts';

// ---- small dense helpers over row-major Float64Arrays ----

/** op(A)ᵀ op(A)-style Gram matrix of the rows (byRows) or columns of a [rows, cols] matrix. */
function gram(a: Float64Array, rows: number, cols: number, byRows: boolean): Float64Array {
  const n = byRows ? rows : cols;
  const len = byRows ? cols : rows;
  const at = (v: number, i: number): number => (byRows ? a[v * cols + i] : a[i * cols + v]);
  const g = new Float64Array(n * n);
  for (let p = 0; p < n; p++) {
    for (let q = 0; q < n; q++) {
      let s = 0;
      for (let i = 0; i < len; i++) s += at(p, i) * at(q, i);
      g[p * n + q] = s;
    }
  }
  return g;
}

function maxDeviationFromScaledIdentity(g: Float64Array, n: number, diag: number): number {
  let worst = 0;
  for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) worst = Math.max(worst, Math.abs(g[p * n + q] - (p === q ? diag : 0)));
  return worst;
}

function stats(v: Float64Array): { mean: number; meanSquare: number; maxAbs: number } {
  let s = 0;
  let s2 = 0;
  let m = 0;
  for (const x of v) {
    s += x;
    s2 += x * x;
    m = Math.max(m, Math.abs(x));
  }
  return { mean: s / v.length, meanSquare: s2 / v.length, maxAbs: m };
}

/** |estimate - expected| <= 5 standard errors, with a message that shows the numbers. */
function expectWithin5Se(estimate: number, expected: number, se: number, what: string): void {
  const z = (estimate - expected) / se;
  if (!(Math.abs(z) <= 5)) throw new Error(`${what}: ${estimate} vs expected ${expected} is ${z.toFixed(1)} standard errors off (se ${se})`);
}

/** U(-a, a): every value within ±a, the range filled, mean 0 and E[x²] = a²/3 within 5 se. */
function expectUniform(v: Float64Array, a: number, what: string): void {
  const n = v.length;
  const { mean, meanSquare, maxAbs } = stats(v);
  expect(maxAbs, `${what}: a value beyond the bound ${a}`).toBeLessThanOrEqual(a);
  // P(max |x| < a (1 - 20/n)) = (1 - 20/n)^n ≈ e^-20: the bound is not narrower than it says.
  expect(maxAbs, `${what}: the values do not reach the bound ${a}`).toBeGreaterThan(a * (1 - 20 / n));
  expectWithin5Se(mean, 0, a / Math.sqrt(3 * n), `${what} mean`);
  // Var(x²) = E[x⁴] - E[x²]² = a⁴/5 - a⁴/9 = 4a⁴/45.
  expectWithin5Se(meanSquare, (a * a) / 3, Math.sqrt((4 * a ** 4) / 45 / n), `${what} E[x²]`);
}

/** N(0, σ²): mean 0, E[x²] = σ² and P(|x| <= σ) = 0.6827 (which a uniform of the same
 * variance fails: 1/√3 = 0.577), each within 5 se. */
function expectNormal(v: Float64Array, sigma: number, what: string): void {
  const n = v.length;
  const { mean, meanSquare } = stats(v);
  expectWithin5Se(mean, 0, sigma / Math.sqrt(n), `${what} mean`);
  // Var(x²) = 2σ⁴ for a normal.
  expectWithin5Se(meanSquare, sigma * sigma, sigma * sigma * Math.sqrt(2 / n), `${what} E[x²]`);
  const p = 0.6826894921370859; // erf(1/√2)
  const inside = v.reduce((c, x) => c + (Math.abs(x) <= sigma ? 1 : 0), 0) / n;
  expectWithin5Se(inside, p, Math.sqrt((p * (1 - p)) / n), `${what} P(|x| <= σ)`);
}

const seedArb = fc.integer({ min: 0, max: 0x7fffffff });

// ---- orthogonal ----

describe('orthogonal (Saxe et al. 2014 / torch.nn.init.orthogonal_)', () => {
  /**
   * 1e-12: an orthogonalisation that is backward stable (Householder QR, as torch uses) leaves
   * |W Wᵀ - I| at a small multiple of n * 2^-53 ≈ 3e-15 for n <= 24, independent of the random
   * matrix. Scaled by gain².
   */
  const TOL = 1e-12;

  const shapeArb = fc.record({ rows: fc.integer({ min: 1, max: 24 }), cols: fc.integer({ min: 1, max: 24 }), gain: fc.double({ min: 0.1, max: 3, noNaN: true }), seed: seedArb });

  it('W Wᵀ = gain² I when rows <= cols, Wᵀ W = gain² I when rows >= cols, to 1e-12 * gain²', () => {
    fc.assert(fc.property(shapeArb, ({ rows, cols, gain, seed }) => {
      const w = orthogonal(rows, cols, gain, Rng.seeded(seed));
      expect(w).toHaveLength(rows * cols);
      const byRows = rows <= cols;
      const n = byRows ? rows : cols;
      const dev = maxDeviationFromScaledIdentity(gram(w, rows, cols, byRows), n, gain * gain);
      expect(dev, `${rows}x${cols} gain ${gain} seed ${seed}`).toBeLessThanOrEqual(TOL * gain * gain);
    }), fcParams(100));
  });

  it('stays orthogonal to 1e-12 when the Gaussian draws are badly conditioned (6x6 Hilbert matrix)', () => {
    // orthogonal_'s contract is an orthogonal matrix whatever was drawn. Householder QR (torch)
    // delivers |QᵀQ - I| ~ n * 2^-53 independently of the draws; single-pass modified
    // Gram-Schmidt loses orthogonality in proportion to their condition number (Björck 1967),
    // which for Gaussian draws is occasionally large (e.g. 3e-11 for orthogonal(6, 6, 1,
    // Rng.seeded(6983)) at the time of writing). The Hilbert matrix (condition number 1.5e7)
    // makes that deterministic and independent of the generator's stream.
    const n = 6;
    const hilbert = Array.from({ length: n * n }, (_, k) => 1 / (Math.floor(k / n) + (k % n) + 1));
    let next = 0;
    const draws = { normal: () => hilbert[next++] } as unknown as Rng;
    const w = orthogonal(n, n, 1, draws);
    expect(next).toBe(n * n);
    expect(maxDeviationFromScaledIdentity(gram(w, n, n, false), n, 1)).toBeLessThanOrEqual(TOL);
  });

  it('is the Q of the QR of the same Gaussian draws, with R having a positive diagonal (torch\'s sign fix)', () => {
    fc.assert(fc.property(shapeArb, ({ rows, cols, gain, seed }) => {
      const w = orthogonal(rows, cols, gain, Rng.seeded(seed));
      // The same normals, drawn row-major from the same seed, as orthogonal() draws them.
      const replay = Rng.seeded(seed);
      const a = Float64Array.from({ length: rows * cols }, () => replay.normal());
      // torch: tall (rows >= cols): A = Q R, W = gain Q. Wide: Aᵀ = Q R, W = gain Qᵀ.
      // Either way R = (W/gain)ᵀ A (tall) or (W/gain) Aᵀ (wide) must be upper triangular.
      const tall = rows >= cols;
      const m = tall ? cols : rows;
      const len = tall ? rows : cols;
      const q = (i: number, j: number): number => (tall ? w[i * cols + j] : w[j * cols + i]) / gain; // Q[i, j], i < len, j < m
      const av = (i: number, j: number): number => (tall ? a[i * cols + j] : a[j * cols + i]); // (A or Aᵀ)[i, j]
      let scale = 0;
      for (const x of a) scale = Math.max(scale, Math.abs(x));
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < m; c++) {
          let s = 0;
          for (let i = 0; i < len; i++) s += q(i, r) * av(i, c);
          if (r === c) expect(s, `R[${r},${r}]`).toBeGreaterThan(0);
          if (r > c) expect(Math.abs(s), `R[${r},${c}] below the diagonal`).toBeLessThanOrEqual(TOL * Math.sqrt(len) * scale);
        }
      }
    }), fcParams(60));
  });

  it('RecurrentNet.create applies it per gate block: each [H, H] block of W_hh is gain × orthogonal', () => {
    for (const cell of MATRIX_CELLS) {
      const H = 5;
      const gain = 1.3;
      const net = RecurrentNet.create({ cell, inputSize: 3, hiddenSize: H, numLayers: 2, outputSize: 1 }, Rng.seeded(4), {
        dtype: 'float64', init: { recurrentWeights: 'orthogonal', inputWeights: 'orthogonal', gain },
      });
      for (let l = 0; l < 2; l++) {
        const whh = net.param(`rnn.weight_hh_l${l}`).toFloat64Array();
        const wih = net.param(`rnn.weight_ih_l${l}`).toFloat64Array();
        const cols = l === 0 ? 3 : H;
        for (let g = 0; g < gateCount(cell); g++) {
          const block = whh.subarray(g * H * H, (g + 1) * H * H);
          expect(maxDeviationFromScaledIdentity(gram(block, H, H, true), H, gain * gain)).toBeLessThanOrEqual(TOL * gain * gain);
          // [H, I] input block, tall when I < H: orthonormal columns.
          const ib = wih.subarray(g * H * cols, (g + 1) * H * cols);
          const byRows = H <= cols;
          expect(maxDeviationFromScaledIdentity(gram(ib, H, cols, byRows), byRows ? H : cols, gain * gain)).toBeLessThanOrEqual(TOL * gain * gain);
        }
      }
    }
  });
});

// ---- xavier, scaled normal ----

describe('xavier (Glorot & Bengio 2010) and scaled normal', () => {
  const bigShape = fc.record({
    rows: fc.integer({ min: 100, max: 300 }), cols: fc.integer({ min: 100, max: 300 }),
    gain: fc.double({ min: 0.25, max: 4, noNaN: true }), seed: seedArb,
  });

  it('xavier_uniform: U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)); variance gain² 2 / (fan_in + fan_out)', () => {
    fc.assert(fc.property(bigShape, ({ rows, cols, gain, seed }) => {
      const v = xavierUniform(rows, cols, gain, Rng.seeded(seed));
      expect(v).toHaveLength(rows * cols);
      const a = gain * Math.sqrt(6 / (rows + cols));
      expect((a * a) / 3).toBeCloseTo((gain * gain * 2) / (rows + cols), 12);
      expectUniform(v, a, `xavier_uniform ${rows}x${cols} gain ${gain}`);
    }), fcParams(5));
  });

  it('xavier_normal: N(0, gain² 2 / (fan_in + fan_out))', () => {
    fc.assert(fc.property(bigShape, ({ rows, cols, gain, seed }) => {
      const v = xavierNormal(rows, cols, gain, Rng.seeded(seed));
      expect(v).toHaveLength(rows * cols);
      expectNormal(v, gain * Math.sqrt(2 / (rows + cols)), `xavier_normal ${rows}x${cols} gain ${gain}`);
    }), fcParams(5));
  });

  it('scaled_normal: N(0, scale² / cols)', () => {
    fc.assert(fc.property(bigShape, ({ rows, cols, gain, seed }) => {
      const v = scaledNormal(rows, cols, gain, Rng.seeded(seed));
      expect(v).toHaveLength(rows * cols);
      expectNormal(v, gain / Math.sqrt(cols), `scaled_normal ${rows}x${cols} scale ${gain}`);
    }), fcParams(5));
  });

  it('initWeight per gate block: xavier_normal is gain sqrt(2 / (H + cols)) times the draws, scaled_normal gain / sqrt(cols)', () => {
    // A non-square block: for a square one the two schemes have the same standard deviation.
    const [H, cols, gain, gates] = [3, 7, 1.5, 2];
    for (const [scheme, std] of [['xavier_normal', gain * Math.sqrt(2 / (H + cols))], ['scaled_normal', gain / Math.sqrt(cols)]] as const) {
      const w = initWeight(scheme, gates, H, cols, gain, Rng.seeded(21));
      const replay = Rng.seeded(21);
      w.forEach((v, i) => expect(v / replay.normal(), `${scheme} [${i}]`).toBeCloseTo(std, 14));
    }
  });

  it('RecurrentNet.create uses each gate block\'s own fans [H, cols] for xavier', () => {
    const H = 4;
    const I = 3;
    const gain = 2;
    for (const cell of ['lstm', 'gru'] as const) {
      const net = RecurrentNet.create({ cell, inputSize: I, hiddenSize: H, numLayers: 1, outputSize: 1 }, Rng.seeded(9), {
        dtype: 'float64', init: { inputWeights: 'xavier_uniform', recurrentWeights: 'xavier_uniform', gain },
      });
      const ih = stats(net.param('rnn.weight_ih_l0').toFloat64Array()).maxAbs;
      const hh = stats(net.param('rnn.weight_hh_l0').toFloat64Array()).maxAbs;
      expect(ih).toBeLessThanOrEqual(gain * Math.sqrt(6 / (H + I)));
      expect(hh).toBeLessThanOrEqual(gain * Math.sqrt(6 / (H + H)));
      // Fans of the whole [G*H, cols] matrix would give a bound this small; the values exceed it.
      expect(hh).toBeGreaterThan(gain * Math.sqrt(6 / (gateCount(cell) * H + H)));
    }
  });
});

// ---- torch's default, identity, biases, forget bias ----

describe('RecurrentNet.create', () => {
  it("default ('pytorch'): every parameter U(-1/sqrt(H), 1/sqrt(H)) (head: Linear's 1/sqrt(fan_in), fan_in = H)", () => {
    for (const cell of CELL_KINDS) {
      const H = 64;
      const net = RecurrentNet.create({ cell, inputSize: 20, hiddenSize: H, numLayers: 2, outputSize: 3 }, Rng.seeded(1), { dtype: 'float64' });
      const bound = 1 / Math.sqrt(H);
      const all: number[] = [];
      for (const [name, p] of net.params) {
        const v = p.toFloat64Array();
        expect(stats(v).maxAbs, name).toBeLessThanOrEqual(bound);
        all.push(...v);
      }
      expectUniform(Float64Array.from(all), bound, `${cell} default init, all parameters`);
    }
  });

  it('identity: every gate block of W_hh is exactly gain × I (gain × 1 for a vector W_hh); zero biases are exactly zero', () => {
    for (const cell of CELL_KINDS) {
      for (const gain of [1, 0.5]) {
        const H = 3;
        const net = RecurrentNet.create({ cell, inputSize: 2, hiddenSize: H, numLayers: 2, outputSize: 1 }, Rng.seeded(2), {
          dtype: 'float64', init: { recurrentWeights: 'identity', inputWeights: 'identity', gain, biases: 'zeros' },
        });
        const G = gateCount(cell);
        const eye = cellSpec(cell).recurrent === 'diagonal'
          ? new Array(G * H).fill(gain) // IndRNN's u: every unit carries its state unchanged
          : Array.from({ length: G }, () => Array.from({ length: H * H }, (_, k) => (k % (H + 1) === 0 ? gain : 0))).flat();
        for (let l = 0; l < 2; l++) {
          expect(Array.from(net.param(`rnn.weight_hh_l${l}`).toFloat64Array())).toEqual(eye);
          expect(Array.from(net.param(`rnn.bias_ih_l${l}`).toFloat64Array())).toEqual(new Array(G * H).fill(0));
          expect(Array.from(net.param(`rnn.bias_hh_l${l}`).toFloat64Array())).toEqual(new Array(G * H).fill(0));
        }
        // [H, I] = [3, 2] input blocks of layer 0: ones on the leading diagonal.
        const block = [gain, 0, 0, gain, 0, 0];
        expect(Array.from(net.param('rnn.weight_ih_l0').toFloat64Array())).toEqual(Array.from({ length: G }, () => block).flat());
      }
    }
    expect(Array.from(identityInit(2, 4, 3))).toEqual([3, 0, 0, 0, 0, 3, 0, 0]);
    expect(Array.from(identityInit(3, 1, 2))).toEqual([2, 0, 0]);
  });

  it('forgetBias (LSTM): b_ih[H:2H] = forgetBias, b_hh[H:2H] = 0, every other value as without it', () => {
    const H = 4;
    const config: RecurrentNetConfig = { cell: 'lstm', inputSize: 2, hiddenSize: H, numLayers: 3, outputSize: 2 };
    for (const forgetBias of [1, -0.5, 0]) {
      for (const init of [{}, { recurrentWeights: 'orthogonal' as const, biases: 'zeros' as const }]) {
        const plain = RecurrentNet.create(config, Rng.seeded(3), { dtype: 'float64', init });
        const withBias = RecurrentNet.create(config, Rng.seeded(3), { dtype: 'float64', init: { ...init, forgetBias } });
        for (const [name, p] of withBias.params) {
          const got = Array.from(p.toFloat64Array());
          const want = Array.from(plain.param(name).toFloat64Array());
          if (name.includes('bias_ih')) want.fill(forgetBias, H, 2 * H);
          if (name.includes('bias_hh')) want.fill(0, H, 2 * H);
          expect(got, name).toEqual(want);
        }
      }
    }
  });

  it('forgetBias is refused by the cells without a forget gate (a setting that would do nothing is a mistake)', () => {
    for (const cell of CELL_KINDS.filter((k) => k !== 'lstm')) {
      const config: RecurrentNetConfig = { cell, inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 1 };
      expect(() => RecurrentNet.create(config, Rng.seeded(8), { dtype: 'float64', init: { forgetBias: 1 } })).toThrow(`init.forgetBias: ${cell} has no forget gate`);
    }
  });

  it('a vector W_hh (IndRNN) refuses the matrix schemes, naming the fix', () => {
    for (const recurrentWeights of ['xavier_uniform', 'xavier_normal', 'orthogonal', 'scaled_normal'] as const) {
      const config: RecurrentNetConfig = { cell: 'indrnn', inputSize: 2, hiddenSize: 3, numLayers: 1, outputSize: 1 };
      expect(() => RecurrentNet.create(config, Rng.seeded(8), { init: { recurrentWeights } })).toThrow(/needs a matrix.*use pytorch or identity/);
    }
  });

  const initArb: fc.Arbitrary<RecurrentInit> = fc.record({
    inputWeights: fc.constantFrom<InitScheme>(...INIT_SCHEMES),
    recurrentWeights: fc.constantFrom<InitScheme>(...INIT_SCHEMES),
    gain: fc.double({ min: 0.1, max: 3, noNaN: true }),
    biases: fc.constantFrom<'pytorch' | 'zeros'>('pytorch', 'zeros'),
  }, { requiredKeys: [] });

  const configArb: fc.Arbitrary<RecurrentNetConfig> = fc.record({
    cell: fc.constantFrom<CellKind>(...CELL_KINDS),
    inputSize: fc.integer({ min: 1, max: 6 }),
    hiddenSize: fc.integer({ min: 1, max: 6 }),
    numLayers: fc.integer({ min: 1, max: 3 }),
    outputSize: fc.integer({ min: 1, max: 3 }),
  });

  it('the same seed gives bitwise-identical weights (float64 and float32); another seed other weights', () => {
    const fits = (config: RecurrentNetConfig, init: RecurrentInit): boolean =>
      init.inputWeights !== 'sparse' // a recurrent-only scheme (see the sparse tests below)
      && (cellSpec(config.cell).recurrent === 'matrix' || ['pytorch', 'identity', undefined].includes(init.recurrentWeights));
    fc.assert(fc.property(configArb, initArb, seedArb, ({ ...config }, init, seed) => {
      fc.pre(fits(config, init));
      for (const dtype of ['float64', 'float32'] as const) {
        const a = RecurrentNet.create(config, Rng.seeded(seed), { dtype, init });
        const b = RecurrentNet.create(config, Rng.seeded(seed), { dtype, init });
        expect([...b.params.keys()]).toEqual([...a.params.keys()]);
        for (const [name, p] of a.params) {
          expect(b.param(name).dtype).toBe(dtype);
          const x = p.toFloat64Array();
          const y = b.param(name).toFloat64Array();
          for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) throw new Error(`${name}[${i}]: ${x[i]} vs ${y[i]}`);
        }
      }
      // The head is always drawn from the generator, so another seed must change something.
      const c = RecurrentNet.create(config, Rng.seeded(seed), { dtype: 'float64', init });
      const d = RecurrentNet.create(config, Rng.seeded(seed + 1), { dtype: 'float64', init });
      const differs = [...c.params].some(([name, p]) => {
        const x = p.toFloat64Array();
        const y = d.param(name).toFloat64Array();
        return x.some((v, i) => !Object.is(v, y[i]));
      });
      expect(differs).toBe(true);
    }), fcParams(40));
  });
});

// ---- names and shapes: torch's state dict ----

const PYTHON = '/usr/bin/python3';
const INSTALL_HINT = 'apt-get install python3-torch';

/** A Module with `.rnn` (nn.RNN/LSTM/GRU, batch_first) and `.head` (nn.Linear): its state dict
 * keys and shapes, in torch's order, one dict per config. */
const TORCH_STATE_DICT_SCRIPT = `
import json, sys, torch
def module(c):
    m = torch.nn.Module()
    kind, I, H, L = c['cell'], c['inputSize'], c['hiddenSize'], c['numLayers']
    if kind == 'lstm': rnn = torch.nn.LSTM(I, H, num_layers=L, batch_first=True)
    elif kind == 'gru': rnn = torch.nn.GRU(I, H, num_layers=L, batch_first=True)
    else: rnn = torch.nn.RNN(I, H, num_layers=L, batch_first=True, nonlinearity=kind[4:])
    m.add_module('rnn', rnn)
    m.add_module('head', torch.nn.Linear(H, c['outputSize']))
    return {k: list(v.shape) for k, v in m.state_dict().items()}
print(json.dumps([module(c) for c in json.loads(sys.argv[1])]))
`;

const TORCH_CONFIGS: RecurrentNetConfig[] = [
  { cell: 'lstm', inputSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 1 },
  { cell: 'gru', inputSize: 5, hiddenSize: 2, numLayers: 3, outputSize: 3 },
  { cell: 'rnn_tanh', inputSize: 1, hiddenSize: 6, numLayers: 1, outputSize: 2 },
  { cell: 'rnn_relu', inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 1 },
  { cell: 'lstm', inputSize: 7, hiddenSize: 1, numLayers: 3, outputSize: 4 },
];

describe("parameter names and shapes are torch's state-dict keys", () => {
  let torchShapes: Record<string, number[]>[] | null = null;
  let torchError = '';

  beforeAll(() => {
    try {
      torchShapes = JSON.parse(runPython(['-c', TORCH_STATE_DICT_SCRIPT, JSON.stringify(TORCH_CONFIGS)], '', 60_000)) as Record<string, number[]>[];
    } catch (e) {
      torchError = `${PYTHON} with torch is needed for this cross-check (${(e as Error).message}); install it with: ${INSTALL_HINT}`;
    }
  });

  it.each(TORCH_CONFIGS.map((c, i) => [`${c.cell} I=${c.inputSize} H=${c.hiddenSize} L=${c.numLayers} O=${c.outputSize}`, i] as const))(
    '%s: same keys, same order, same shapes (parameterShapes and the params of a created net)',
    (_label, i) => {
      if (!torchShapes) throw new Error(torchError);
      const expected = Object.entries(torchShapes[i]);
      const config = TORCH_CONFIGS[i];
      expect([...parameterShapes(config)].map(([k, s]) => [k, [...s]])).toEqual(expected);
      const net = RecurrentNet.create(config, Rng.seeded(0), { dtype: 'float64' });
      expect([...net.params].map(([k, t]) => [k, [...t.shape]])).toEqual(expected);
      for (const [k, t] of net.params) expect(t.name).toBe(k);
      expect([...net.params.values()].every((t) => t.requiresGrad)).toBe(true);
    },
  );
});

// ---- sparse (Pascanu, Mikolov & Bengio 2013) ----

describe('sparse (Pascanu, Mikolov & Bengio 2013): 15 non-zero N(0, 1) weights per unit, scaled to spectral radius gain', () => {
  /** The documented draws of one [n, n] block, unscaled: row by row, per non-zero a partial
   * Fisher-Yates step (restarted per row) for its column, then rng.normal() for its value. */
  function replayBlock(n: number, rng: Rng): Float64Array {
    const k = Math.min(15, n);
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const order = Array.from({ length: n }, (_, c) => c);
      for (let j = 0; j < k; j++) {
        const p = j + rng.int(n - j);
        [order[j], order[p]] = [order[p], order[j]];
        out[i * n + order[j]] = rng.normal();
      }
    }
    return out;
  }

  function nonZerosPerRow(block: Float64Array, n: number): number[] {
    return Array.from({ length: n }, (_, i) => block.subarray(i * n, (i + 1) * n).reduce((c, x) => c + (x !== 0 ? 1 : 0), 0));
  }

  it('is a scheme, with the paper\'s 15 non-zeros per unit', () => {
    expect(INIT_SCHEMES).toContain('sparse');
    expect(SPARSE_NONZEROS_PER_UNIT).toBe(15);
  });

  it('every gate block is the documented draws times one positive factor: min(15, H) non-zeros per row, at distinct columns', () => {
    for (const H of [1, 2, 14, 15, 16, 40]) {
      for (const gates of [1, 3, 4]) {
        const seed = 100 * H + gates;
        const w = initWeight('sparse', gates, H, H, 0.95, Rng.seeded(seed));
        const replay = Rng.seeded(seed);
        for (let g = 0; g < gates; g++) {
          const block = w.subarray(g * H * H, (g + 1) * H * H);
          const drawn = replayBlock(H, replay);
          // Exactly min(15, H) per row: a repeated column would have left fewer.
          expect(nonZerosPerRow(block, H), `H ${H} block ${g}`).toEqual(new Array(H).fill(Math.min(15, H)));
          const s = block.find((x) => x !== 0)! / drawn.find((x) => x !== 0)!;
          expect(s).toBeGreaterThan(0);
          for (let i = 0; i < H * H; i++) {
            if (drawn[i] === 0) expect(block[i]).toBe(0);
            else expect(Math.abs(block[i] / drawn[i] / s - 1), `H ${H} block ${g} [${i}]`).toBeLessThan(1e-15);
          }
        }
      }
    }
  });

  it('RecurrentNet.create: every [H, H] gate block of every layer\'s W_hh has min(15, H) non-zeros per row; W_ih as asked', () => {
    for (const cell of MATRIX_CELLS) {
      for (const H of [3, 20]) {
        const net = RecurrentNet.create({ cell, inputSize: 2, hiddenSize: H, numLayers: 2, outputSize: 1 }, Rng.seeded(5), {
          dtype: 'float64', init: { recurrentWeights: 'sparse', gain: 0.95 },
        });
        for (let l = 0; l < 2; l++) {
          const whh = net.param(`rnn.weight_hh_l${l}`).toFloat64Array();
          for (let g = 0; g < gateCount(cell); g++) {
            expect(nonZerosPerRow(whh.subarray(g * H * H, (g + 1) * H * H), H), `${cell} H ${H} layer ${l} gate ${g}`).toEqual(new Array(H).fill(Math.min(15, H)));
          }
          // The input weights keep torch's default (every entry drawn, none zero).
          expect(net.param(`rnn.weight_ih_l${l}`).toFloat64Array().every((x) => x !== 0)).toBe(true);
        }
      }
    }
  });

  it('the columns are uniform: each of 40 columns is chosen by 15/40 of the rows, within 5 standard errors', () => {
    const H = 40;
    const seeds = 50;
    const counts = new Array<number>(H).fill(0);
    for (let seed = 0; seed < seeds; seed++) {
      const w = sparseInit(H, H, 1, Rng.seeded(seed));
      for (let k = 0; k < H * H; k++) if (w[k] !== 0) counts[k % H]++;
    }
    // Each row picks a column with probability p = 15/40, independently across rows.
    const rows = seeds * H;
    const p = 15 / H;
    counts.forEach((c, col) => expectWithin5Se(c / rows, p, Math.sqrt((p * (1 - p)) / rows), `column ${col}`));
  });

  it('each gate block\'s spectral radius (numpy.linalg.eigvals) is gain, from below by at most the stated ~3e-4', () => {
    // spectralRadius overestimates ρ by a factor in [1, 1 + spectralRadiusErrorBound(H, κ(V))],
    // so the scaled block's true radius is in [gain / (1 + bound), gain]; slack 1e-9 for rounding
    // in the scaling and in LAPACK (κ(V) <= 1e3 here: κ H 2^-53 < 1e-10).
    const cases: { label: string; gain: number; n: number; values: Float64Array }[] = [];
    for (const [H, gates, gain] of [[1, 1, 0.95], [2, 4, 0.95], [15, 1, 0.95], [16, 3, 1.5], [40, 4, 0.95], [100, 1, 0.95], [200, 1, 0.5]]) {
      const w = initWeight('sparse', gates, H, H, gain, Rng.seeded(H));
      for (let g = 0; g < gates; g++) cases.push({ label: `H ${H} gate ${g} gain ${gain}`, gain, n: H, values: w.slice(g * H * H, (g + 1) * H * H) });
    }
    const net = RecurrentNet.create({ cell: 'rnn_tanh', inputSize: 3, hiddenSize: 64, numLayers: 2, outputSize: 1 }, Rng.seeded(11), {
      dtype: 'float64', init: { recurrentWeights: 'sparse', gain: 0.95 },
    });
    for (let l = 0; l < 2; l++) cases.push({ label: `rnn_tanh H 64 layer ${l}`, gain: 0.95, n: 64, values: net.param(`rnn.weight_hh_l${l}`).toFloat64Array() });
    const script = `
import json, sys, numpy as np
out = []
for c in json.load(sys.stdin):
    n = c['n']; a = np.array(c['values'], dtype=np.float64).reshape(n, n)
    out.append({'rho': float(np.max(np.abs(np.linalg.eigvals(a)))), 'kappa': float(np.linalg.cond(np.linalg.eig(a)[1]))})
print(json.dumps(out))
`;
    const ref = JSON.parse(runPython(['-c', script], JSON.stringify(cases.map((c) => ({ n: c.n, values: Array.from(c.values) }))))) as { rho: number; kappa: number }[];
    let worst = 0;
    cases.forEach((c, i) => {
      const { rho, kappa } = ref[i];
      expect(kappa, c.label).toBeLessThan(1e3);
      const rel = rho / c.gain - 1;
      const bound = spectralRadiusErrorBound(c.n, kappa);
      if (!(rel <= 1e-9 && rel >= -bound - 1e-9)) throw new Error(`${c.label}: spectral radius ${rho}, ${rel.toExponential(2)} relative to gain ${c.gain}, outside [${-bound}, 0]`);
      worst = Math.max(worst, -rel);
    });
    // The documented accuracy (init.ts): at most ~3e-4 below gain; measured ~1e-5 here.
    expect(worst).toBeLessThan(3e-4);
  });

  it('the same seed gives bitwise-identical blocks, another seed other ones', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 4 }), seedArb, (H, gates, seed) => {
      const a = initWeight('sparse', gates, H, H, 0.95, Rng.seeded(seed));
      const b = initWeight('sparse', gates, H, H, 0.95, Rng.seeded(seed));
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`H ${H} seed ${seed} [${i}]: ${a[i]} vs ${b[i]}`);
      // H = 1: each block is ±gain (a 1x1 matrix with spectral radius gain), so two seeds may agree.
      if (H === 1) {
        for (const x of a) expect(Math.abs(x)).toBeCloseTo(0.95, 14);
        return;
      }
      const c = initWeight('sparse', gates, H, H, 0.95, Rng.seeded(seed + 1));
      expect(a.some((x, i) => !Object.is(x, c[i]))).toBe(true);
    }), fcParams(50));
  });

  it('is refused where there is no square matrix to give a spectral radius: a vector W_hh, the input weights', () => {
    const indrnn: RecurrentNetConfig = { cell: 'indrnn', inputSize: 2, hiddenSize: 3, numLayers: 1, outputSize: 1 };
    expect(() => RecurrentNet.create(indrnn, Rng.seeded(8), { init: { recurrentWeights: 'sparse', gain: 0.95 } }))
      .toThrow("init.recurrentWeights: sparse needs a matrix, but indrnn's weight_hh is a vector; use pytorch or identity");
    for (const scheme of ['xavier_uniform', 'xavier_normal', 'orthogonal', 'scaled_normal', 'sparse'] as const) {
      expect(() => initRecurrentVector(scheme, 3, 3, 0.95, Rng.seeded(8))).toThrow(`init.recurrentWeights: ${scheme} needs a matrix, but this cell's weight_hh is a vector; use pytorch or identity`);
    }
    // Input weights: refused for every cell, even where the [H, H] blocks of layer >= 1 are square.
    for (const cell of CELL_KINDS) {
      const config: RecurrentNetConfig = { cell, inputSize: 3, hiddenSize: 3, numLayers: 2, outputSize: 1 };
      expect(() => RecurrentNet.create(config, Rng.seeded(8), { init: { inputWeights: 'sparse' } }))
        .toThrow(/^init\.inputWeights: sparse scales a block to a spectral radius, .*use sparse for recurrentWeights and another scheme for inputWeights$/);
    }
    expect(() => sparseInit(3, 2, 1, Rng.seeded(1))).toThrow('sparse init: a [3, 2] block is not square, so it has no spectral radius to scale to 1');
    // A block with spectral radius 0 cannot be scaled to any radius (draws of exactly 0 here:
    // with N(0, 1) draws a dense block has rho > 0 almost surely).
    const zeros = { int: () => 0, normal: () => 0 } as unknown as Rng;
    expect(() => sparseInit(3, 3, 1, zeros)).toThrow(/^sparse init: the drawn 3x3 block has spectral radius 0 and cannot be scaled to 1; try another seed$/);
  });
});
