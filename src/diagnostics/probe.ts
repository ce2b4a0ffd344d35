import { backward, noGrad } from '../autograd/index.ts';
import type { Backend } from '../backends/backend.ts';
import { namesIn } from '../cells/expression.ts';
import type { CellSpec } from '../cells/spec.ts';
import { RecurrentNet, type RecurrentNetConfig } from '../nn/recurrentNet.ts';
import type { StepTrace } from '../ops/cellReference.ts';
import type { Activation, ProbeGate, ProbeLayer } from '../records/probe.ts';
import type { Num } from '../records/results.ts';
import { stack } from '../ops/index.ts';
import { tensor } from '../tensor/create.ts';
import { taskLoss } from '../train/losses.ts';
import type { DType } from '../tensor/dtype.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { gradientReach } from './gradientReach.ts';
import { sigmaMax } from './sigmaMax.ts';

/**
 * The probe: one forward and backward of a given model on a given batch, on the spec read as ops
 * (every intermediate keeps its gradient, as retain_grad would), and the per-timestep views a
 * researcher asks of it: ||dL/dh_t||, ||dL/dc_t||, the gradient of each gate's pre-activation,
 * gate saturation, per-unit profiles of the top layer and σ_max(W_hh).
 */

export interface ProbeBatch {
  /** [B, T, I] */
  x: Float64Array;
  xShape: readonly [number, number, number];
  /** mse: [B, O] (last) or [B, T, O] (every); cross_entropy: class indices [B] or [B, T]. */
  y: Float64Array;
  yShape: readonly number[];
  /** [numLayers, B, H] when given. */
  h0: Float64Array | null;
  c0: Float64Array | null;
}

export interface ProbeSettings {
  loss: 'mse' | 'cross_entropy';
  target: 'last' | 'every';
  /** Norms over this sequence's row only; null: over the batch. */
  sample: number | null;
}

/** Where a model given as values is built. */
export interface ProbeNumerics {
  dtype: DType;
  backend: Backend;
}

export interface ProbeOutcome {
  loss: Num;
  layers: ProbeLayer[];
  units: { dLdh: Num[][]; dLdc: Num[][] | null };
}

const finite = (v: number): Num => (Number.isFinite(v) ? v : null);

/** Each gate's activation: the forward statement that applies a function to the gate's own
 * input projection xi_g (LSTM's i = sigmoid(xi_i + hh_i), GRU's n = tanh(xi_n + r·hn), the
 * RNN's h_next = tanh(xi_h + hh_h)). */
export function gateActivations(spec: CellSpec): { gate: string; statement: string; activation: Activation }[] {
  return spec.gates.map((gate) => {
    const s = spec.forwardStatements.find((st) => st.expr.kind === 'call' && namesIn(st.expr).has(`xi_${gate}`));
    if (!s || s.expr.kind !== 'call' || s.expr.fn === 'ifpos') throw new Error(`${spec.kind}: no activation statement reads xi_${gate}`);
    return { gate, statement: s.name, activation: s.expr.fn };
  });
}

/** Whether a saturated activation value sits at the top of its range (σ near 1, tanh near 1). */
export function saturatedHigh(activation: Activation, v: number): boolean {
  return activation === 'sigmoid' ? v > 0.95 : activation === 'tanh' ? v > 0.9 : false;
}

/** Whether an activation value is saturated (its derivative small): see records/probe.ts. */
export function saturated(activation: Activation, v: number): boolean {
  switch (activation) {
    case 'sigmoid':
      return v < 0.05 || v > 0.95;
    case 'tanh':
      return Math.abs(v) > 0.9;
    case 'relu':
      return v === 0;
  }
}

/** The share of the chosen rows' values of a [B, H] buffer for which `test` holds. */
function share(v: Float64Array, H: number, rows: readonly number[], test: (x: number) => boolean): number {
  let n = 0;
  for (const b of rows) for (let j = 0; j < H; j++) if (test(v[b * H + j])) n++;
  return n / (rows.length * H);
}

/** Sum of squares of the rows `rows` of a [B, width] buffer, columns [from, to). */
function sumSquares(v: Float64Array, width: number, rows: readonly number[], from: number, to: number): number {
  let s = 0;
  for (const b of rows) {
    const o = b * width;
    for (let j = from; j < to; j++) s += v[o + j] * v[o + j];
  }
  return s;
}

/** Same-shaped tensors read back with one read (stacked first: on a GPU every read-back is a
 * round trip, and a probe reads ~(3 + gates)·T of them per layer); null reads as zeros. */
async function readAll(ts: readonly (Tensor | null | undefined)[], size: number): Promise<Float64Array[]> {
  const present = ts.filter((t): t is Tensor => !!t);
  const values = present.length ? await noGrad(() => stack(present, 0)).toFloat64ArrayAsync() : new Float64Array(0);
  let k = 0;
  return ts.map((t) => (t ? values.subarray(size * k++, size * k) : new Float64Array(size)));
}

/** Per unit over the chosen rows: [unit][t] = sqrt(sum over rows of g[row, unit]²). */
function unitProfiles(grads: readonly Float64Array[], H: number, rows: readonly number[]): Num[][] {
  return Array.from({ length: H }, (_, u) => grads.map((g) => finite(Math.sqrt(sumSquares(g, H, rows, u, u + 1)))));
}

/** One layer's raw gradients read back, t = 1..T: each [B, H] (dxi [B, G·H], gates in torch's
 * order), and each gate's activation values per step. */
export interface LayerGradients {
  dh: Float64Array[];
  dc: Float64Array[] | null;
  dxi: Float64Array[];
  activations: Float64Array[][];
}

export interface ProbeGradients {
  net: RecurrentNet;
  loss: number;
  layers: LayerGradients[];
}

/** The forward and backward on the traced path, every gradient the probe reports read back.
 * The backward adds into the parameters' `.grad` (leaves accumulate): a caller in the middle of
 * training saves and restores them (src/train/trainer.ts). */
export async function probeGradients(net: RecurrentNet, batch: ProbeBatch, s: ProbeSettings): Promise<ProbeGradients> {
  const { config } = net;
  const head = net.param('head.bias');
  const { dtype, backend } = head;
  const make = (v: Float64Array, shape: readonly number[]): Tensor => tensor(v, [...shape], { dtype, backend });
  const [B] = batch.xShape;
  const H = config.hiddenSize;
  const stateShape = [config.numLayers, B, H];
  const out = net.forward(make(batch.x, batch.xShape), {
    h0: batch.h0 ? make(batch.h0, stateShape) : undefined,
    c0: batch.c0 ? make(batch.c0, stateShape) : undefined,
    outputs: s.target === 'every' ? 'every_step' : 'last',
    trace: true,
  });
  const loss = taskLoss(s.loss, out.output, make(batch.y, batch.yShape));
  backward(loss);
  const spec = net.spec;
  const G = spec.gates.length;
  const acts = gateActivations(spec);
  const trace = out.trace as StepTrace[][];
  const layers: LayerGradients[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    const steps = trace[l];
    layers.push({
      dh: await readAll(out.hidden[l].map((h) => h.grad), B * H),
      dc: spec.cellState ? await readAll(steps.map((st) => st.values.get('c_next')?.grad), B * H) : null,
      dxi: await readAll(steps.map((st) => st.xi.grad), B * G * H),
      activations: await Promise.all(acts.map((a) => readAll(steps.map((st) => st.values.get(a.statement)), B * H))),
    });
  }
  return { net, loss: await loss.itemAsync(), layers };
}

/** A model given by its weights, probed in the given numerics. */
export function probeModel(config: RecurrentNetConfig, values: ReadonlyMap<string, Float64Array>, batch: ProbeBatch, s: ProbeSettings & ProbeNumerics): Promise<ProbeOutcome> {
  return probeNet(RecurrentNet.fromValues(config, values, { dtype: s.dtype, backend: s.backend }), batch, s);
}

/** The probe's report numbers: norms per step, per gate and per unit, saturation, σ_max, reach. */
export async function probeNet(net: RecurrentNet, batch: ProbeBatch, s: ProbeSettings, opts: { sigmaMax?: boolean } = {}): Promise<ProbeOutcome> {
  const { config } = net;
  const { loss, layers: grads } = await probeGradients(net, batch, s);
  const [B] = batch.xShape;
  const H = config.hiddenSize;
  const rows = s.sample === null ? Array.from({ length: B }, (_, b) => b) : [s.sample];
  const G = net.spec.gates.length;
  const acts = gateActivations(net.spec);
  const norm = (g: Float64Array): Num => finite(Math.sqrt(sumSquares(g, H, rows, 0, H)));
  const layers: ProbeLayer[] = [];
  for (const [l, g] of grads.entries()) {
    const gates: ProbeGate[] = acts.map((a, k) => ({
      name: a.gate,
      activation: a.activation,
      gradNorm: g.dxi.map((d) => finite(Math.sqrt(sumSquares(d, G * H, rows, k * H, (k + 1) * H)))),
      saturation: g.activations[k].map((v) => share(v, H, rows, (x) => saturated(a.activation, x))),
      saturationHigh: g.activations[k].map((v) => share(v, H, rows, (x) => saturatedHigh(a.activation, x))),
    }));
    const dLdh = g.dh.map(norm);
    const dLdc = g.dc ? g.dc.map(norm) : null;
    layers.push({
      layer: l,
      dLdh,
      dLdc,
      gates,
      // The trainer's gate views skip it: its logged entry has σ_max already.
      sigmaMaxWhh: opts.sigmaMax === false ? null : finite(await sigmaMax(net.param(`rnn.weight_hh_l${l}`)).itemAsync()),
      reach: gradientReach(dLdh),
      reachC: dLdc ? gradientReach(dLdc) : null,
    });
  }
  const top = grads[grads.length - 1];
  return {
    loss: finite(loss),
    layers,
    units: { dLdh: unitProfiles(top.dh, H, rows), dLdc: top.dc ? unitProfiles(top.dc, H, rows) : null },
  };
}
