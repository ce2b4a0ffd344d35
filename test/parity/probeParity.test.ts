import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/tensor/rng.ts';
import { backward } from '../../src/autograd/index.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import { CELL_KINDS, gateCount, type CellKind } from '../../src/cells/table.ts';
import { runProbe, type ProbeCommandOptions } from '../../src/cli/probe.ts';
import { writeSafetensorsFile, type TensorToWrite } from '../../src/io/safetensors.ts';
import { parameterShapes, RecurrentNet, type RecurrentNetConfig } from '../../src/nn/recurrentNet.ts';
import { crossEntropyLoss, mseLoss, reshape } from '../../src/ops/index.ts';
import type { ProbeResults } from '../../src/records/probe.ts';
import { tensor } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { tempDir } from '../helpers/durable.ts';
import { expectClose, flat } from '../helpers/expectClose.ts';
import { fcParams } from '../helpers/fc.ts';
import { runPython } from '../helpers/python.ts';
import { lossScale } from './lossScale.ts';

const SCRIPT = new URL('./probe_reference.py', import.meta.url).pathname;

/** A case for probe_reference.py (its docstring is the format). */
interface ProbeCase {
  cell: CellKind;
  layers: number;
  input: number;
  hidden: number;
  /** null: no head, the loss reads the top layer's h. */
  output: number | null;
  batch: number;
  steps: number;
  loss: 'mse' | 'cross_entropy';
  target: 'last' | 'every';
  seed: number;
  dir: string;
  dtype?: 'F32' | 'F64';
  sample?: number;
  h0?: boolean;
  c0?: boolean;
  prefix?: string;
  head?: string;
  extraKey?: string;
}

interface RefLayer {
  dLdh: number[];
  dLdc: number[] | null;
  gateNames: string[];
  gates: number[][];
  saturation: number[][];
  saturationHigh: number[][];
  sigmaMax: number;
  /** c₁²: the power iteration's start vector's squared component on the top eigenspace of WᵀW. */
  sigmaStartOverlap: number;
}
interface Reference {
  loss: number;
  /** The largest |prediction|: the loss's error scale near 0 (lossScale.ts). */
  predAbsMax: number;
  layers: RefLayer[];
  units: { dLdh: number[][]; dLdc: number[][] | null };
}

/** Every cell torch has (IndRNN in torch ops from the paper) × with/without a head × both losses
 * × both targets, sizes and seeds from fast-check; then the options one case each is enough for. */
function parityCases(folder: string): ProbeCase[] {
  const seed = Number(process.env.FC_SEED ?? 20261201);
  const sizes = fc.record({
    layers: fc.integer({ min: 1, max: 3 }),
    input: fc.integer({ min: 1, max: 3 }),
    hidden: fc.integer({ min: 1, max: 4 }),
    output: fc.integer({ min: 1, max: 3 }),
    batch: fc.integer({ min: 1, max: 3 }),
    steps: fc.integer({ min: 1, max: 6 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    h0: fc.boolean(),
    c0: fc.boolean(),
  });
  const combos = [true, false].flatMap((head) => (['mse', 'cross_entropy'] as const).flatMap((loss) => (['last', 'every'] as const).map((target) => ({ head, loss, target }))));
  const drawn = fc.sample(sizes, { seed, numRuns: CELL_KINDS.length * combos.length });
  const cases: ProbeCase[] = [];
  for (const cell of CELL_KINDS) {
    for (const combo of combos) {
      const s = drawn[cases.length];
      cases.push({
        cell, ...s, output: combo.head ? s.output : null, loss: combo.loss, target: combo.target,
        c0: s.c0 && cell === 'lstm', dir: join(folder, String(cases.length)),
      });
    }
  }
  const special: Omit<ProbeCase, 'dir'>[] = [
    // Norms over one sequence of the batch.
    { cell: 'lstm', layers: 2, input: 2, hidden: 3, output: 2, batch: 3, steps: 4, loss: 'mse', target: 'every', seed: 11, sample: 1, h0: true, c0: true },
    // A float32 file (weights and x): the reference used exactly those values, so the float64
    // probe must still agree to 1e-10.
    { cell: 'gru', layers: 2, input: 3, hidden: 3, output: 2, batch: 2, steps: 5, loss: 'cross_entropy', target: 'last', seed: 12, dtype: 'F32' },
    // The user's own attribute names, and a tensor the model does not use.
    { cell: 'rnn_tanh', layers: 2, input: 2, hidden: 3, output: 2, batch: 2, steps: 4, loss: 'mse', target: 'last', seed: 13, prefix: 'encoder.lstm.', head: 'fc.', extraKey: 'step' },
  ];
  for (const c of special) cases.push({ ...c, dir: join(folder, String(cases.length)) });
  return cases;
}

/** The command-line options for a case: the cell only where the shapes cannot tell it (rnn_tanh
 * and rnn_relu), loss and target given on odd seeds and inferred from y on even ones. */
function optionsOf(c: ProbeCase, extra: Partial<ProbeCommandOptions> = {}): ProbeCommandOptions {
  return {
    weights: join(c.dir, 'weights.safetensors'),
    data: join(c.dir, 'data.safetensors'),
    // One report folder, rewritten by every case: each report is ~5 MB (plotly travels with it).
    out: join(c.dir, '..', 'out'),
    ...(c.cell.startsWith('rnn_') ? { cell: c.cell } : {}),
    ...(c.seed % 2 ? { loss: c.loss === 'mse' ? 'mse' : 'ce', target: c.target } : {}),
    ...(c.prefix !== undefined ? { prefix: c.prefix } : {}),
    ...(c.head !== undefined ? { head: c.head.replace(/\.$/, '') } : {}),
    ...(c.sample !== undefined ? { sample: String(c.sample) } : {}),
    ...extra,
  };
}

function compare(ours: ProbeResults, theirs: Reference, c: ProbeCase, tag: string, rel = 1e-10): void {
  expect(ours.model, tag).toEqual({ cell: c.cell, inputSize: c.input, hiddenSize: c.hidden, numLayers: c.layers, outputSize: c.output });
  expect(ours.loss.kind, tag).toBe(c.loss);
  expect(ours.loss.target, tag).toBe(c.target);
  expect(ours.batch, tag).toEqual({ size: c.batch, steps: c.steps });
  expect(ours.sample, tag).toBe(c.sample ?? null);
  expect(ours.source.ignoredKeys, tag).toEqual(c.extraKey ? [c.extraKey] : []);
  expectClose([ours.loss.value ?? NaN], [theirs.loss], `${tag} loss`, rel, lossScale(c.loss, theirs));
  expect(ours.layers.length, tag).toBe(c.layers);
  for (const [l, ref] of theirs.layers.entries()) {
    const layer = ours.layers[l];
    expectClose(flat(layer.dLdh), ref.dLdh, `${tag} layer ${l} dLdh`, rel);
    if (ref.dLdc === null) expect(layer.dLdc, tag).toBeNull();
    else expectClose(flat(layer.dLdc), ref.dLdc, `${tag} layer ${l} dLdc`, rel);
    expect(layer.gates.map((g) => g.name), tag).toEqual(ref.gateNames);
    for (const [g, gate] of layer.gates.entries()) {
      expectClose(flat(gate.gradNorm), ref.gates[g], `${tag} layer ${l} gate ${gate.name} gradNorm`, rel);
      // A flipped saturation decision moves the share by 1/(rows·H), far above rounding.
      expectClose(gate.saturation, ref.saturation[g], `${tag} layer ${l} gate ${gate.name} saturation`, 1e-12);
      expectClose(gate.saturationHigh, ref.saturationHigh[g], `${tag} layer ${l} gate ${gate.name} saturationHigh`, 1e-12);
    }
    // σmax is a power iteration (200 rounds on A = WᵀW, or on diag(u²) for IndRNN) against
    // torch's SVD / max|u|. It never overestimates. Its error: with eigenvalues λᵢ of A, yᵢ =
    // λᵢ/λ₁ and cᵢ the start vector's components (c₁² = ref.sigmaStartOverlap, on the top
    // eigenspace), the estimate is σ̂⁴ = ‖A v‖² for the unit v after 199 rounds, so
    //   σ̂⁴/σ₁⁴ = 1 − z,  z ≤ Σᵢ (cᵢ/c₁)² yᵢ^398 (1 − yᵢ²) ≤ (1 − c₁²)/c₁² · max_x x^199 (1 − x)
    // and max_x x^199 (1 − x) = (199/200)^199 / 200 ≈ 1.84e-3 (x = 0.995: σ₂ within 0.13% of σ₁).
    // For z ≤ 1/2, 1 − (1 − z)^¼ ≤ z/2, so the relative error is at most 9.2e-4 · (1 − c₁²)/c₁²
    // (seed 2102967260 found a GRU whose start vector has c₁² ≈ 0.3, off by 2.1e-3). Above 1/4
    // the bound says nothing beyond σ̂ ≤ σ₁, which is checked below anyway.
    const sigma = layer.sigmaMaxWhh ?? NaN;
    const c1 = ref.sigmaStartOverlap;
    const convergence = c1 > 0 ? 9.2e-4 * (1 - c1) / c1 : Infinity;
    expectClose([sigma], [ref.sigmaMax], `${tag} layer ${l} sigmaMax (start overlap c1² = ${c1})`, Math.min(1, Math.max(convergence, rel)));
    const rounding = rel > 1e-10 ? 1e-6 : 1e-12; // a float32 probe rounds σ itself to ~6e-8
    expect(sigma, `${tag} layer ${l}: power iteration cannot overestimate σmax`).toBeLessThanOrEqual(ref.sigmaMax * (1 + rounding));
  }
  expectClose(flat(ours.units.dLdh), flat(theirs.units.dLdh), `${tag} units dLdh`, rel);
  if (theirs.units.dLdc === null) expect(ours.units.dLdc, tag).toBeNull();
  else expectClose(flat(ours.units.dLdc), flat(theirs.units.dLdc), `${tag} units dLdc`, rel);
}

/** Temporary folders of this file, removed when it is done. */
const roots: string[] = [];
function root(prefix: string): string {
  const dir = tempDir(prefix);
  roots.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

describe('gradlab probe against torch (nn.RNN/LSTM/GRU with retain_grad on an unrolled copy, IndRNN in torch ops, float64)', () => {
  it('loss, dL/dh_t, dL/dc_t, every gate pre-activation gradient, saturation, per-unit profiles and σmax(W_hh) equal torch to 1e-10 relative', async () => {
    const dir = root('gradlab-probe-parity-');
    const cases = parityCases(dir);
    const theirs = JSON.parse(runPython([SCRIPT], JSON.stringify(cases))) as Reference[];
    expect(theirs.length).toBe(cases.length);
    for (const [n, c] of cases.entries()) {
      const tag = `case ${n} (${JSON.stringify({ ...c, dir: undefined })})`;
      compare(await runProbe(optionsOf(c)), theirs[n], c, tag);
    }
    expect(existsSync(join(dir, 'out', 'results.json'))).toBe(true);
    expect(existsSync(join(dir, 'out', 'index.html'))).toBe(true);

    // The float32 file probed in float32: float32 rounding (2^-24 ≈ 6e-8 per operation, a few
    // hundred operations deep for these sizes) leaves ~1e-5 of the largest magnitude at worst.
    const f32 = cases.find((c) => c.dtype === 'F32')!;
    const r32 = await runProbe(optionsOf(f32, { dtype: 'float32' }));
    expect(r32.dtype).toBe('float32');
    compare(r32, theirs[cases.indexOf(f32)], f32, 'float32 probe of the F32 case', 1e-4);
  });
});
// ---------------------------------------------------------------- the per-gate split, no torch


interface SplitModel {
  config: RecurrentNetConfig;
  head: boolean;
  batch: number;
  steps: number;
  loss: 'mse' | 'cross_entropy';
  target: 'last' | 'every';
  sample: number | null;
  seed: number;
  scale: number;
}

const splitModelArb = (steps: fc.Arbitrary<number>, batch: fc.Arbitrary<number>): fc.Arbitrary<SplitModel> =>
  fc
    .record({
      cell: fc.constantFrom(...CELL_KINDS),
      inputSize: fc.integer({ min: 1, max: 3 }),
      hiddenSize: fc.integer({ min: 1, max: 4 }),
      numLayers: fc.integer({ min: 1, max: 3 }),
      outputSize: fc.integer({ min: 1, max: 3 }),
      head: fc.boolean(),
      batch,
      steps,
      loss: fc.constantFrom('mse' as const, 'cross_entropy' as const),
      target: fc.constantFrom('last' as const, 'every' as const),
      sampleRow: fc.option(fc.nat(), { nil: null }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      scale: fc.constantFrom(0.5, 1, 2),
    })
    .map((m) => ({
      config: { cell: m.cell, inputSize: m.inputSize, hiddenSize: m.hiddenSize, numLayers: m.numLayers, outputSize: m.head ? m.outputSize : m.hiddenSize },
      head: m.head,
      batch: m.batch,
      steps: m.steps,
      loss: m.loss,
      target: m.target,
      sample: m.sampleRow === null ? null : m.sampleRow % m.batch,
      seed: m.seed,
      scale: m.scale,
    }));

/** Writes the model's weights (torch names, no head tensors without a head) and a batch; returns
 * gradlab's values for RecurrentNet.fromValues (an identity head without one) and the batch. */
function writeSplitModel(m: SplitModel, dir: string): { values: Map<string, Float64Array>; x: Float64Array; y: Float64Array; yShape: number[] } {
  const rng = Rng.seeded(m.seed);
  const rand = (): number => rng.uniform();
  const { hiddenSize: H, outputSize: O, inputSize: I } = m.config;
  const weights = new Map<string, TensorToWrite>();
  const values = new Map<string, Float64Array>();
  for (const [name, shape] of parameterShapes(m.config)) {
    const data = Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (2 * rand() - 1) * m.scale);
    if (name.startsWith('head.') && !m.head) continue;
    values.set(name, data);
    weights.set(name, { dtype: 'F64', shape, data });
  }
  if (!m.head) {
    values.set('head.weight', Float64Array.from({ length: H * H }, (_, k) => (k % (H + 1) === 0 ? 1 : 0)));
    values.set('head.bias', new Float64Array(H));
  }
  const B = m.batch;
  const T = m.steps;
  const x = Float64Array.from({ length: B * T * I }, () => 2 * rand() - 1);
  const lead = m.target === 'last' ? [B] : [B, T];
  const yShape = m.loss === 'mse' ? [...lead, O] : lead;
  const y = Float64Array.from({ length: yShape.reduce((a, b) => a * b, 1) }, () => (m.loss === 'mse' ? 2 * rand() - 1 : Math.floor(rand() * O)));
  writeSafetensorsFile(join(dir, 'weights.safetensors'), weights);
  writeSafetensorsFile(join(dir, 'data.safetensors'), new Map([['x', { dtype: 'F64', shape: [B, T, I], data: x }], ['y', { dtype: 'F64', shape: yShape, data: y }]]));
  return { values, x, y, yShape };
}

/** The same model and loss in gradlab's net: traced (the spec as ops, every step's W_ih x + b_ih
 * kept), or on the fused sequence kernels (generated code, no trace) for independent gradients. */
async function independentRun(m: SplitModel, w: ReturnType<typeof writeSplitModel>, trace: boolean): Promise<{ net: RecurrentNet; loss: number; xi: Float64Array[][] }> {
  const net = RecurrentNet.fromValues(m.config, w.values, { dtype: 'float64', backend: cpu });
  const make = (v: Float64Array, shape: number[]): Tensor => tensor(v, shape, { dtype: 'float64', backend: cpu });
  const out = net.forward(make(w.x, [m.batch, m.steps, m.config.inputSize]), { outputs: m.target === 'every' ? 'every_step' : 'last', trace, path: 'sequence' });
  const y = make(w.y, w.yShape);
  let pred = out.output;
  let labels = y;
  if (m.loss === 'cross_entropy' && m.target === 'every') {
    pred = reshape(pred, [m.batch * m.steps, m.config.outputSize]);
    labels = reshape(y, [m.batch * m.steps]);
  }
  const loss = m.loss === 'mse' ? mseLoss(pred, y) : crossEntropyLoss(pred, labels);
  backward(loss);
  const xi = trace ? await Promise.all(out.trace!.map((steps) => Promise.all(steps.map((st) => st.xi.grad!.toFloat64ArrayAsync())))) : [];
  return { net, loss: await loss.itemAsync(), xi };
}

function probeOptions(m: SplitModel, dir: string): ProbeCommandOptions {
  return {
    weights: join(dir, 'weights.safetensors'), data: join(dir, 'data.safetensors'), out: join(dir, '..', 'out'),
    cell: m.config.cell, loss: m.loss === 'mse' ? 'mse' : 'ce', target: m.target,
    ...(m.sample === null ? {} : { sample: String(m.sample) }),
  };
}

describe('gradlab probe: the per-gate split of the pre-activation gradient (no torch)', () => {
  it('per step, the gates\' squared norms add up to the squared norm of dL/d(W_ih x + b_ih); summed over steps and batch that gradient is dL/d bias_ih of the fused kernels', async () => {
    const base = root('gradlab-probe-split-');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(splitModelArb(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 })), async (m) => {
        const dir = join(base, String(n++));
        mkdirSync(dir);
        const w = writeSplitModel(m, dir);
        const probe = await runProbe(probeOptions(m, dir));
        const traced = await independentRun(m, w, true);
        const fused = await independentRun(m, w, false);
        expectClose([probe.loss.value ?? NaN], [traced.loss], 'probe loss vs traced net');
        expectClose([traced.loss], [fused.loss], 'traced vs fused loss');
        const G = gateCount(m.config.cell);
        const H = m.config.hiddenSize;
        const rows = m.sample === null ? Array.from({ length: m.batch }, (_, b) => b) : [m.sample];
        for (let l = 0; l < m.config.numLayers; l++) {
          const whole = traced.xi[l].map((g) => rows.reduce((s, b) => s + g.slice(b * G * H, (b + 1) * G * H).reduce((a, v) => a + v * v, 0), 0));
          const byGate = whole.map((_, t) => probe.layers[l].gates.reduce((s, gate) => s + (gate.gradNorm[t] ?? NaN) ** 2, 0));
          expectClose(byGate, whole, `layer ${l}: Σ_gates ||dL/d pre_g,t||² vs ||dL/d(W_ih x + b_ih)_t||²`);
          // Σ_t Σ_b dL/d(W_ih x_t + b_ih) = dL/d b_ih: a signed sum, from the fused kernels' backward.
          const summed = new Float64Array(G * H);
          for (const g of traced.xi[l]) g.forEach((v, k) => (summed[k % (G * H)] += v));
          const biasGrad = await fused.net.param(`rnn.bias_ih_l${l}`).grad!.toFloat64ArrayAsync();
          expectClose([...summed], [...biasGrad], `layer ${l}: Σ_t,b gate pre-activation gradients vs dL/d bias_ih`);
        }
      }),
      fcParams(12),
    );
  });

  it('one step of one sequence: each gate\'s norm is the norm of its block of dL/d bias_ih (straight from the probe\'s results)', async () => {
    const base = root('gradlab-probe-split1-');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(splitModelArb(fc.constant(1), fc.constant(1)), async (m) => {
        const dir = join(base, String(n++));
        mkdirSync(dir);
        const w = writeSplitModel(m, dir);
        const probe = await runProbe(probeOptions(m, dir));
        const fused = await independentRun(m, w, false);
        const H = m.config.hiddenSize;
        for (let l = 0; l < m.config.numLayers; l++) {
          const biasGrad = await fused.net.param(`rnn.bias_ih_l${l}`).grad!.toFloat64ArrayAsync();
          const blocks = probe.layers[l].gates.map((_, k) => Math.hypot(...biasGrad.slice(k * H, (k + 1) * H)));
          expectClose(probe.layers[l].gates.map((g) => g.gradNorm[0] ?? NaN), blocks, `layer ${l} gates vs bias_ih blocks`);
        }
      }),
      fcParams(10),
    );
  });
});
