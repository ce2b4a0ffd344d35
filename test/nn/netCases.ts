/**
 * Random RecurrentNet cases shared by the gradient-check and fused-vs-reference properties.
 *
 * A case is a small record of shapes and switches plus one integer seed; every number of the
 * case (weights, x, h0, c0, target) is drawn from `Rng.seeded(seed)` in a fixed order, so a
 * fast-check counterexample (printed with its seed, replayable with FC_SEED/FC_PATH) pins down
 * every value, and shrinking acts on the shapes.
 */
import fc from 'fast-check';
import { gradcheck, GradcheckError, noGrad } from '../../src/autograd/index.ts';
import { functionsIn } from '../../src/cells/expression.ts';
import { cellSpec, type CellKind } from '../../src/cells/table.ts';
import { parameterShapes, RecurrentNet, type CellPath, type RecurrentNetConfig } from '../../src/nn/recurrentNet.ts';
import { crossEntropyLoss, mseLoss } from '../../src/ops/index.ts';
import { tensor } from '../../src/tensor/create.ts';
import type { DType } from '../../src/tensor/dtype.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { numel } from '../../src/tensor/shape.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

export type LossKind = 'mse' | 'cross_entropy';

export interface NetCase {
  cell: CellKind;
  batch: number;
  steps: number;
  input: number;
  hidden: number;
  layers: number;
  /** Head width: MSE regresses `outputs` values; cross-entropy has `outputs + 1` classes. */
  outputs: number;
  loss: LossKind;
  withH0: boolean;
  /** LSTM only (ignored for the other cells). */
  withC0: boolean;
  /** Recurrent weights and biases are U(-scale, scale). */
  scale: number;
  seed: number;
}

export interface ShapeBounds {
  batch: number;
  steps: number;
  input: number;
  hidden: number;
  layers: number;
}

/** The full range asked of the properties: B 1-4, T 1-12, I 1-5, H 1-6, numLayers 1-3. */
export const FULL_RANGE: ShapeBounds = { batch: 4, steps: 12, input: 5, hidden: 6, layers: 3 };

/**
 * Weight scales. torch's default bound is 1/sqrt(H) (0.41 for H = 6); 2.5 makes the gate
 * pre-activations several units wide, so sigmoid/tanh saturate in a good share of the cases.
 * rnn_relu has nothing to saturate and explodes instead (a gain of roughly scale * sqrt(H/6)
 * per step over up to 36 steps), so it stays at scales <= 1.
 */
/** Cells whose forward has a ReLU: a kink, where a finite difference (or float32 rounding) can
 * cross to the other side and disagree with the derivative. */
export function hasKink(cell: CellKind): boolean {
  return cellSpec(cell).forwardStatements.some((s) => functionsIn(s.expr).has('relu'));
}

export function scalesFor(cell: CellKind): number[] {
  return hasKink(cell) ? [0.2, 0.5, 1] : [0.2, 0.5, 1, 2.5];
}

export function netCaseArb(cell: CellKind, bounds: ShapeBounds = FULL_RANGE, scales = scalesFor(cell)): fc.Arbitrary<NetCase> {
  return fc.record({
    cell: fc.constant(cell),
    batch: fc.integer({ min: 1, max: bounds.batch }),
    steps: fc.integer({ min: 1, max: bounds.steps }),
    input: fc.integer({ min: 1, max: bounds.input }),
    hidden: fc.integer({ min: 1, max: bounds.hidden }),
    layers: fc.integer({ min: 1, max: bounds.layers }),
    outputs: fc.integer({ min: 1, max: 3 }),
    loss: fc.constantFrom<LossKind>('mse', 'cross_entropy'),
    withH0: fc.boolean(),
    withC0: fc.boolean(),
    scale: fc.constantFrom(...scales),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });
}

export function configOf(c: NetCase): RecurrentNetConfig {
  return {
    cell: c.cell,
    inputSize: c.input,
    hiddenSize: c.hidden,
    numLayers: c.layers,
    outputSize: c.loss === 'cross_entropy' ? c.outputs + 1 : c.outputs,
  };
}

/** Every number of a case, as float64, drawn in a fixed order from the case's seed. */
export interface CaseValues {
  config: RecurrentNetConfig;
  params: Map<string, Float64Array>;
  x: Float64Array;
  h0: Float64Array | null;
  c0: Float64Array | null;
  /** MSE: targets [B, O]; cross-entropy: class indices [B]. */
  target: Float64Array;
}

export function caseValues(c: NetCase): CaseValues {
  const rng = Rng.seeded(c.seed);
  const config = configOf(c);
  const params = new Map<string, Float64Array>();
  for (const [name, shape] of parameterShapes(config)) {
    // The head gets torch's Linear bound 1/sqrt(H); the recurrent layers the case's scale.
    const bound = name.startsWith('head.') ? 1 / Math.sqrt(c.hidden) : c.scale;
    params.set(name, Float64Array.from({ length: numel(shape) }, () => rng.uniformIn(-bound, bound)));
  }
  const stateSize = c.layers * c.batch * c.hidden;
  const x = Float64Array.from({ length: c.batch * c.steps * c.input }, () => rng.uniformIn(-1, 1));
  const h0 = c.withH0 ? Float64Array.from({ length: stateSize }, () => rng.uniformIn(-1, 1)) : null;
  const c0 = cellSpec(c.cell).cellState && c.withC0 ? Float64Array.from({ length: stateSize }, () => rng.uniformIn(-2, 2)) : null;
  const target = c.loss === 'mse'
    ? Float64Array.from({ length: c.batch * config.outputSize }, () => rng.uniformIn(-1, 1))
    : Float64Array.from({ length: c.batch }, () => rng.int(config.outputSize));
  return { config, params, x, h0, c0, target };
}

/** A case made into tensors: the net (parameters require grad), and x/h0/c0 requiring grad. */
export interface BuiltCase {
  net: RecurrentNet;
  x: Tensor;
  h0: Tensor | undefined;
  c0: Tensor | undefined;
  target: Tensor;
  loss: LossKind;
  /** x, h0, c0 (those present), then the parameters in state-dict order. */
  inputs: Tensor[];
}

export function buildCase(c: NetCase, v: CaseValues, dtype: DType, backend: Backend = cpu): BuiltCase {
  const { config } = v;
  const net = RecurrentNet.fromValues(config, v.params, { dtype, backend });
  const stateShape = [c.layers, c.batch, c.hidden];
  const x = tensor(v.x, [c.batch, c.steps, c.input], { dtype, backend, requiresGrad: true, name: 'x' });
  const h0 = v.h0 ? tensor(v.h0, stateShape, { dtype, backend, requiresGrad: true, name: 'h0' }) : undefined;
  const c0 = v.c0 ? tensor(v.c0, stateShape, { dtype, backend, requiresGrad: true, name: 'c0' }) : undefined;
  const target = c.loss === 'mse'
    ? tensor(v.target, [c.batch, config.outputSize], { dtype, backend })
    : tensor(v.target, [c.batch], { dtype, backend });
  const inputs = [x, ...(h0 ? [h0] : []), ...(c0 ? [c0] : []), ...net.params.values()];
  return { net, x, h0, c0, target, loss: c.loss, inputs };
}

/** The loss of a built case on one path, with the forward result (hidden states) alongside. */
export function runLoss(b: BuiltCase, path: CellPath): { loss: Tensor; output: Tensor; hidden: Tensor[][] } {
  const { output, hidden } = b.net.forward(b.x, { h0: b.h0, c0: b.c0, path });
  const loss = b.loss === 'mse' ? mseLoss(output, b.target) : crossEntropyLoss(output, b.target);
  return { loss, output, hidden };
}

/**
 * Every pre-activation of a one-gate net (rnn_relu, indrnn) over every layer, timestep, batch row and
 * unit: pre = W_ih in_t + b_ih + W_hh h_{t-1} + b_hh, recomputed here in plain scalar code from
 * the hidden states the net returns (so it does not trust the code under test to report it).
 */
export function preactivations(b: BuiltCase): number[] {
  const { inputSize, hiddenSize: H, numLayers } = b.net.config;
  const [B, T] = b.x.shape;
  const hidden = noGrad(() => b.net.forward(b.x, { h0: b.h0, path: 'reference' }).hidden);
  const xv = b.x.toFloat64Array();
  const h0v = b.h0?.toFloat64Array();
  const out: number[] = [];
  for (let l = 0; l < numLayers; l++) {
    const wIh = b.net.param(`rnn.weight_ih_l${l}`).toFloat64Array();
    const wHh = b.net.param(`rnn.weight_hh_l${l}`).toFloat64Array();
    const bIh = b.net.param(`rnn.bias_ih_l${l}`).toFloat64Array();
    const bHh = b.net.param(`rnn.bias_hh_l${l}`).toFloat64Array();
    const I = l === 0 ? inputSize : H;
    for (let t = 0; t < T; t++) {
      const inT = l === 0 ? null : hidden[l - 1][t].toFloat64Array();
      const hPrev = t > 0 ? hidden[l][t - 1].toFloat64Array() : null;
      for (let bi = 0; bi < B; bi++) {
        for (let j = 0; j < H; j++) {
          let pre = bIh[j] + bHh[j];
          for (let k = 0; k < I; k++) pre += wIh[j * I + k] * (inT ? inT[bi * H + k] : xv[(bi * T + t) * inputSize + k]);
          const hAt = (k: number): number => (hPrev ? hPrev[bi * H + k] : h0v ? h0v[(l * B + bi) * H + k] : 0);
          if (wHh.length === H) pre += wHh[j] * hAt(j); // a diagonal recurrence (IndRNN): u ⊙ h
          else for (let k = 0; k < H; k++) pre += wHh[j * H + k] * hAt(k);
          out.push(pre);
        }
      }
    }
  }
  return out;
}

export function minAbsPreactivation(b: BuiltCase): number {
  return preactivations(b).reduce((m, p) => Math.min(m, Math.abs(p)), Infinity);
}

export function describeCase(c: NetCase): string {
  return `${c.cell} B=${c.batch} T=${c.steps} I=${c.input} H=${c.hidden} L=${c.layers} ${c.loss} ` +
    `O=${c.outputs} h0=${c.withH0} c0=${c.withC0} scale=${c.scale} seed=${c.seed}`;
}

/**
 * Gradcheck of one case's loss on one path at torch's defaults, against every input tensor
 * (parameters, x, h0, c0). 'full' compares the whole Jacobian and checks that every element was
 * compared; 'fast' does one vᵀJu per input tensor, so a wrong small gradient cannot hide under
 * a big one's rtol. A failure is rethrown naming the path and the case.
 */
export function gradcheckCase(c: NetCase, values: CaseValues, path: CellPath, mode: 'full' | 'fast'): void {
  const b = buildCase(c, values, 'float64');
  const loss = (): Tensor => runLoss(b, path).loss;
  try {
    if (mode === 'full') {
      const r = gradcheck(loss, b.inputs);
      const expected = b.inputs.reduce((n, t) => n + t.size, 0);
      if (r.comparisons !== expected) throw new Error(`gradcheck compared ${r.comparisons} elements, expected ${expected}`);
    } else {
      b.inputs.forEach((t, i) => gradcheck(loss, [t], { fastMode: true, seed: c.seed + i }));
    }
  } catch (e) {
    if (e instanceof GradcheckError) throw new Error(`${path} path, ${describeCase(c)}: ${e.message}`);
    throw e;
  }
}
