/**
 * Hand-computed fixtures: one step of rnn_tanh, LSTM and GRU with H = 2, I = 1, B = 1, and a
 * Linear(2, 1) head, checked against
 *  - torch's equations written out scalar by scalar below (Math.exp / Math.tanh, no library
 *    code), and
 *  - the numbers torch 1.13 printed for the same weights (TORCH_1_13, pasted literally).
 * Every gate block has different weights, h0 and c0 are non-zero and the GRU's b_hn is
 * non-zero, so a wrong gate order (LSTM i, f, g, o; GRU r, z, n), a GRU that applies r outside
 * (W_hn h + b_hn), a swapped z convention or a transposed W_hh cannot match: the last block
 * proves that each such mistake moves the result by more than 1e-3.
 */
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/index.ts';
import { cellSpec, type CellKind, gateCount } from '../../src/cells/table.ts';
import { cellStep } from '../../src/ops/cellStep.ts';
import { RecurrentNet, type CellPath } from '../../src/nn/recurrentNet.ts';
import { gruCell, lstmCell, rnnCell } from '../../src/nn/referenceCells.ts';
import { tensor } from '../../src/tensor/create.ts';

/** One layer's weights in torch's layout, row-major: W_ih [G*2, 1], W_hh [G*2, 2], biases [G*2]. */
interface Fixture {
  wIh: number[];
  wHh: number[][];
  bIh: number[];
  bHh: number[];
}

const X = 0.9;
const H0 = [0.3, -0.6];
const C0 = [0.8, -0.4];
const HEAD_W = [0.5, -1.5];
const HEAD_B = 0.25;

const FIXTURES: Record<'rnn_tanh' | 'lstm' | 'gru', Fixture> = {
  rnn_tanh: { wIh: [0.7, -0.4], wHh: [[0.2, -0.5], [0.6, 0.3]], bIh: [0.1, -0.2], bHh: [0.05, 0.15] },
  lstm: {
    //      i: rows 0-1    f: rows 2-3    g: rows 4-5    o: rows 6-7
    wIh: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8],
    wHh: [[0.15, -0.25], [0.05, 0.2], [-0.3, 0.1], [0.45, -0.05], [0.6, 0.35], [-0.4, 0.25], [-0.12, 0.5], [0.33, -0.6]],
    bIh: [0.01, -0.02, 0.5, 0.25, -0.3, 0.2, 0.1, -0.15],
    bHh: [0.05, 0.07, -0.1, 0.3, 0.12, -0.04, -0.2, 0.08],
  },
  gru: {
    //      r: rows 0-1    z: rows 2-3    n: rows 4-5
    wIh: [0.2, -0.3, 0.5, 0.1, -0.7, 0.4],
    wHh: [[0.25, -0.1], [0.3, 0.15], [-0.45, 0.2], [0.05, -0.35], [0.55, 0.3], [-0.2, 0.65]],
    bIh: [0.1, -0.05, 0.3, -0.2, 0.15, 0.02],
    bHh: [-0.12, 0.08, 0.4, 0.22, -0.3, 0.5],
  },
};

/**
 * Produced once with torch 1.13 (Debian python3-torch 1.13.1, torch.__version__ '1.13.0a0'),
 * float64, by running (one line; the weights are FIXTURES, x = X, h0 = H0, c0 = C0, the head
 * HEAD_W / HEAD_B):
 *
 * /usr/bin/python3 -c "import torch,json;torch.set_grad_enabled(False);T=lambda v:torch.tensor(v,dtype=torch.float64);K=['weight_ih_l0','weight_hh_l0','bias_ih_l0','bias_hh_l0'];S=lambda m,w:(m.double().load_state_dict(dict(zip(K,map(T,w)))),m)[1];x=T([[[0.9]]]);h0=T([[[0.3,-0.6]]]);c0=T([[[0.8,-0.4]]]);hd=torch.nn.Linear(2,1).double();hd.load_state_dict({'weight':T([[0.5,-1.5]]),'bias':T([0.25])});N={'rnn_tanh':S(torch.nn.RNN(1,2,batch_first=True),[[[0.7],[-0.4]],[[0.2,-0.5],[0.6,0.3]],[0.1,-0.2],[0.05,0.15]]),'lstm':S(torch.nn.LSTM(1,2,batch_first=True),[[[0.1],[-0.2],[0.3],[0.4],[-0.5],[0.6],[0.7],[-0.8]],[[0.15,-0.25],[0.05,0.2],[-0.3,0.1],[0.45,-0.05],[0.6,0.35],[-0.4,0.25],[-0.12,0.5],[0.33,-0.6]],[0.01,-0.02,0.5,0.25,-0.3,0.2,0.1,-0.15],[0.05,0.07,-0.1,0.3,0.12,-0.04,-0.2,0.08]]),'gru':S(torch.nn.GRU(1,2,batch_first=True),[[[0.2],[-0.3],[0.5],[0.1],[-0.7],[0.4]],[[0.25,-0.1],[0.3,0.15],[-0.45,0.2],[0.05,-0.35],[0.55,0.3],[-0.2,0.65]],[0.1,-0.05,0.3,-0.2,0.15,0.02],[-0.12,0.08,0.4,0.22,-0.3,0.5]])};O={k:m(x,(h0,c0) if k=='lstm' else h0) for k,m in N.items()};print(torch.__version__);print(json.dumps({k:{'h':o[0].flatten().tolist(),'c':o[1][1].flatten().tolist() if k=='lstm' else None,'y':hd(o[0][:,-1]).flatten().tolist()} for k,o in O.items()}))"
 *
 * json.dumps writes each float64 in Python's shortest round-trip form, so these are torch's
 * exact values. `h` is h_1, `c` is c_1 (LSTM), `y` is head(h_1).
 */
const TORCH_1_13 = {
  rnn_tanh: { h: [0.814414093765686, -0.388472680216061], c: null, y: [1.2399160672069345] },
  lstm: { h: [0.08867316830039715, -0.04961603118526275], c: [0.16314162843699082, -0.11926163233288076], y: [0.3687606309280927] },
  gru: { h: [0.045096261059832776, -0.19061902617905335], c: null, y: [0.5584766697984964] },
} as const;

// ---- torch's equations, scalar by scalar ----

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Row j of block k: W_ih x + b_ih and W_hh h + b_hh, kept apart (the GRU needs them apart). */
function inputPart(f: Fixture, row: number): number {
  return f.wIh[row] * X + f.bIh[row];
}
function hiddenPart(f: Fixture, row: number): number {
  return f.wHh[row][0] * H0[0] + f.wHh[row][1] * H0[1] + f.bHh[row];
}

interface Step {
  h: number[];
  c: number[] | null;
  y: number;
}

const head = (h: number[]): number => HEAD_W[0] * h[0] + HEAD_W[1] * h[1] + HEAD_B;

/** h1 = tanh(W_ih x + b_ih + W_hh h0 + b_hh). */
function rnnTanhByHand(f: Fixture): Step {
  const h = [0, 1].map((j) => Math.tanh(inputPart(f, j) + hiddenPart(f, j)));
  return { h, c: null, y: head(h) };
}

/** i, f, g, o = rows 0-1, 2-3, 4-5, 6-7; c1 = f c0 + i g; h1 = o tanh(c1). */
function lstmByHand(f: Fixture): Step {
  const pre = (gate: number, j: number): number => inputPart(f, 2 * gate + j) + hiddenPart(f, 2 * gate + j);
  const c = [0, 1].map((j) => sigmoid(pre(1, j)) * C0[j] + sigmoid(pre(0, j)) * Math.tanh(pre(2, j)));
  const h = [0, 1].map((j) => sigmoid(pre(3, j)) * Math.tanh(c[j]));
  return { h, c, y: head(h) };
}

/** r, z, n = rows 0-1, 2-3, 4-5; n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h1 = (1 - z) n + z h0. */
function gruByHand(f: Fixture, variant: 'torch' | 'r outside b_hn' | 'z swapped' = 'torch'): Step {
  const h = [0, 1].map((j) => {
    const r = sigmoid(inputPart(f, j) + hiddenPart(f, j));
    const z = sigmoid(inputPart(f, 2 + j) + hiddenPart(f, 2 + j));
    const hn = hiddenPart(f, 4 + j);
    const n = variant === 'r outside b_hn'
      ? Math.tanh(inputPart(f, 4 + j) + r * (hn - f.bHh[4 + j]) + f.bHh[4 + j])
      : Math.tanh(inputPart(f, 4 + j) + r * hn);
    return variant === 'z swapped' ? z * n + (1 - z) * H0[j] : (1 - z) * n + z * H0[j];
  });
  return { h, c: null, y: head(h) };
}

const BY_HAND = { rnn_tanh: rnnTanhByHand, lstm: lstmByHand, gru: (f: Fixture) => gruByHand(f) };

// ---- the library ----

function values(kind: keyof typeof FIXTURES): Map<string, number[]> {
  const f = FIXTURES[kind];
  return new Map([
    ['rnn.weight_ih_l0', f.wIh],
    ['rnn.weight_hh_l0', f.wHh.flat()],
    ['rnn.bias_ih_l0', f.bIh],
    ['rnn.bias_hh_l0', f.bHh],
    ['head.weight', HEAD_W],
    ['head.bias', [HEAD_B]],
  ]);
}

function makeNet(kind: CellKind & keyof typeof FIXTURES): RecurrentNet {
  return RecurrentNet.fromValues({ cell: kind, inputSize: 1, hiddenSize: 2, numLayers: 1, outputSize: 1 }, values(kind), { dtype: 'float64' });
}

/** The library's step through RecurrentNet.forward (h1 and head(h1)) and, for c1, the cells. */
function libraryStep(kind: CellKind & keyof typeof FIXTURES, path: CellPath): Step {
  const net = makeNet(kind);
  const opts = { dtype: 'float64' as const };
  const x = tensor([X], [1, 1, 1], opts);
  const h0 = tensor(H0, [1, 1, 2], opts);
  const c0 = tensor(C0, [1, 1, 2], opts);
  return noGrad(() => {
    const r = net.forward(x, { h0, c0: kind === 'lstm' ? c0 : undefined, path });
    const h = Array.from(r.hidden[0][0].toFloat64Array());
    let c: number[] | null = null;
    if (kind === 'lstm') {
      const x1 = tensor([X], [1, 1], opts);
      const h1 = tensor(H0, [1, 2], opts);
      const c1 = tensor(C0, [1, 2], opts);
      const w = net.layerWeights(0);
      const s = path === 'fused' ? cellStep(cellSpec('lstm'), x1, { h: h1, c: c1 }, w) : lstmCell(x1, h1, c1, w);
      c = Array.from(s.c!.toFloat64Array());
      expect(Array.from(s.h.toFloat64Array())).toEqual(h); // the cell alone agrees with the net
    }
    return { h, c, y: r.output.item() };
  });
}

/**
 * 1e-14: every fixture value is O(1) and takes ~20 floating-point operations, each with a
 * relative error of at most 2^-53 ≈ 1.1e-16, so two correct evaluations (ours, torch's, the
 * hand formulas; Math.tanh/exp and torch's kernels may differ by an ulp) agree to ~2e-15,
 * while any of the mistakes above changes the values by more than 1e-3.
 */
const TOL = 1e-14;

function expectStep(actual: Step, expected: { h: readonly number[]; c: readonly number[] | null; y: number }, what: string): void {
  const close = (a: number, e: number, name: string): void => {
    if (!(Math.abs(a - e) <= TOL)) throw new Error(`${what}: ${name} = ${a}, expected ${e} (diff ${Math.abs(a - e)})`);
  };
  expect(actual.h).toHaveLength(2);
  actual.h.forEach((v, j) => close(v, expected.h[j], `h1[${j}]`));
  if (expected.c) {
    expect(actual.c).not.toBeNull();
    actual.c!.forEach((v, j) => close(v, expected.c![j], `c1[${j}]`));
  }
  close(actual.y, expected.y, 'head(h1)');
}

describe.each(['rnn_tanh', 'lstm', 'gru'] as const)('one %s step, H = 2, I = 1, B = 1', (kind) => {
  it('the weights really have torch shapes for this cell', () => {
    const G = gateCount(kind);
    const f = FIXTURES[kind];
    expect([f.wIh.length, f.wHh.length, f.bIh.length, f.bHh.length]).toEqual([2 * G, 2 * G, 2 * G, 2 * G]);
    expect(makeNet(kind).param('rnn.weight_hh_l0').shape).toEqual([2 * G, 2]);
  });

  it('the hand-written torch equations agree with torch 1.13', () => {
    const t = TORCH_1_13[kind];
    expectStep(BY_HAND[kind](FIXTURES[kind]), { h: t.h, c: t.c, y: t.y[0] }, 'by hand vs torch');
  });

  for (const path of ['reference', 'fused'] as const) {
    it(`the ${path} path matches the hand computation`, () => {
      const hand = BY_HAND[kind](FIXTURES[kind]);
      expectStep(libraryStep(kind, path), hand, `${path} vs by hand`);
    });
    it(`the ${path} path matches torch 1.13`, () => {
      const t = TORCH_1_13[kind];
      expectStep(libraryStep(kind, path), { h: t.h, c: t.c, y: t.y[0] }, `${path} vs torch`);
    });
  }

  // (The LSTM cells are called directly inside libraryStep, for c1.)
  if (kind !== 'lstm') it('the single-step cells, called directly, match the hand computation', () => {
    const net = makeNet(kind);
    const opts = { dtype: 'float64' as const };
    const x = tensor([X], [1, 1], opts);
    const h = tensor(H0, [1, 2], opts);
    const w = net.layerWeights(0);
    const hand = BY_HAND[kind](FIXTURES[kind]).h;
    const outs = noGrad(() => kind === 'gru'
      ? [gruCell(x, h, w), cellStep(cellSpec('gru'), x, { h, c: null }, w).h]
      : [rnnCell('tanh', x, h, w), cellStep(cellSpec('rnn_tanh'), x, { h, c: null }, w).h]);
    for (const o of outs) Array.from(o.toFloat64Array()).forEach((v, j) => expect(Math.abs(v - hand[j])).toBeLessThanOrEqual(TOL));
  });
});

describe('the fixtures discriminate the usual mistakes', () => {
  const distance = (a: Step, b: Step): number => Math.max(
    ...a.h.map((v, j) => Math.abs(v - b.h[j])),
    ...(a.c && b.c ? a.c.map((v, j) => Math.abs(v - b.c![j])) : []),
  );

  /** The fixture with its gate blocks (2 rows each) reordered: new block k = old block perm[k]. */
  function permuted(f: Fixture, perm: number[]): Fixture {
    const rows = <T>(a: T[]): T[] => perm.flatMap((k) => [a[2 * k], a[2 * k + 1]]);
    return { wIh: rows(f.wIh), wHh: rows(f.wHh), bIh: rows(f.bIh), bHh: rows(f.bHh) };
  }

  function permutations(n: number): number[][] {
    if (n === 1) return [[0]];
    return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
  }

  it('every other LSTM gate order (23 of them) moves h1 or c1 by more than 1e-3', () => {
    const right = lstmByHand(FIXTURES.lstm);
    const wrong = permutations(4).filter((p) => p.some((k, i) => k !== i));
    expect(wrong).toHaveLength(23);
    for (const p of wrong) expect(distance(lstmByHand(permuted(FIXTURES.lstm, p)), right), `order ${p}`).toBeGreaterThan(1e-3);
  });

  it('every other GRU gate order, r outside b_hn, and the swapped z convention move h1 by more than 1e-3', () => {
    const right = gruByHand(FIXTURES.gru);
    const wrong = permutations(3).filter((p) => p.some((k, i) => k !== i));
    expect(wrong).toHaveLength(5);
    for (const p of wrong) expect(distance(gruByHand(permuted(FIXTURES.gru, p)), right), `order ${p}`).toBeGreaterThan(1e-3);
    expect(distance(gruByHand(FIXTURES.gru, 'r outside b_hn'), right)).toBeGreaterThan(1e-3);
    expect(distance(gruByHand(FIXTURES.gru, 'z swapped'), right)).toBeGreaterThan(1e-3);
  });

  it("a transposed W_hh, or the two units' b_ih swapped, moves the rnn_tanh h1 by more than 1e-3", () => {
    const f = FIXTURES.rnn_tanh;
    const right = rnnTanhByHand(f);
    const transposed = { ...f, wHh: [[f.wHh[0][0], f.wHh[1][0]], [f.wHh[0][1], f.wHh[1][1]]] };
    expect(distance(rnnTanhByHand(transposed), right)).toBeGreaterThan(1e-3);
    const swappedBias = { ...f, bIh: [f.bIh[1], f.bIh[0]] };
    expect(distance(rnnTanhByHand(swappedBias), right)).toBeGreaterThan(1e-3);
  });
});
