import { z } from 'zod';
import { flattenNested, leadingShape } from '../io/nested.ts';
import { zodLine } from '../io/zodLine.ts';
import { CELL_KINDS, cellSpec } from '../cells/table.ts';
import { parameterShapes, type RecurrentNetConfig } from '../nn/recurrentNet.ts';
import { formatShape, numel, type Shape } from '../tensor/shape.ts';
import { UsageError } from './usageError.ts';

/** A `gradlab grad` case (format in the README, "Check a model against PyTorch"), validated and
 * flattened. */
export interface GradCase {
  model: RecurrentNetConfig;
  params: Map<string, Float64Array>;
  x: Float64Array;
  /** [B, T, I] */
  xShape: [number, number, number];
  y: Float64Array;
  yShape: number[];
  loss: 'mse' | 'cross_entropy';
  h0: Float64Array | null;
  c0: Float64Array | null;
}

const size = z.number().int().min(1);
const caseSchema = z.strictObject({
  model: z.strictObject({
    cell: z.enum(CELL_KINDS),
    inputSize: size,
    hiddenSize: size,
    numLayers: size,
    outputSize: size,
  }),
  params: z.record(z.string(), z.unknown()),
  x: z.array(z.unknown()).min(1),
  y: z.array(z.unknown()).min(1),
  loss: z.enum(['mse', 'cross_entropy']),
  h0: z.array(z.unknown()).optional(),
  c0: z.array(z.unknown()).optional(),
});
type CaseJson = z.infer<typeof caseSchema>;

/**
 * What a case may ask for. A few bytes of JSON can claim any model size, and the arrays are
 * allocated from the claimed sizes, so these are checked, in O(1) or O(number of params keys),
 * before anything is built from them.
 */
export const GRAD_CASE_LIMITS = {
  /** inputSize, hiddenSize and outputSize each (a 100k-word vocabulary fits). */
  width: 100_000,
  numLayers: 1_000,
  /** Weights in all params together. The gradients are printed as one JSON string of about
   * 22 characters a number, and V8's strings end near 536M characters. */
  parameters: 10_000_000,
  /** Values held per sequence: x (B*T*inputSize), every layer's states (numLayers*B*T*hiddenSize)
   * and the head's output (B*outputSize). The sequence path keeps ~150-170 bytes per state value
   * in float64 for backprop (gates, cell states, their gradients), so this is ~2 GB. */
  activations: 10_000_000,
  /** numLayers * T: each step of each layer holds a few small tensors (~3 KB of Node's heap,
   * which stops near 4 GB), and the output prints one ||dL/dh_t|| per layer-step. */
  layerSteps: 1_000_000,
} as const;

/** Keys per recurrent layer: rnn.weight_ih_l{k}, rnn.weight_hh_l{k}, rnn.bias_ih_l{k}, rnn.bias_hh_l{k}. */
const KEYS_PER_LAYER = 4;

function checkWidths(model: RecurrentNetConfig): void {
  for (const field of ['inputSize', 'hiddenSize', 'outputSize'] as const) {
    if (model[field] > GRAD_CASE_LIMITS.width) {
      throw new UsageError(`case: model.${field} is ${model[field]}; at most ${GRAD_CASE_LIMITS.width} is allowed`);
    }
  }
}

/** numLayers is bounded by the params given (each layer needs its own keys) before any
 * per-layer work, so a tiny file cannot make us build millions of layers. */
function checkNumLayers(model: RecurrentNetConfig, params: Record<string, unknown>): void {
  const keys = Object.keys(params).length;
  const describable = Math.floor(keys / KEYS_PER_LAYER);
  if (model.numLayers > describable) {
    throw new UsageError(
      `case: model.numLayers is ${model.numLayers}, but params has ${keys} key(s), enough for at most ${describable} layer(s) `
      + `(each layer takes ${KEYS_PER_LAYER}: rnn.weight_ih_l{k}, rnn.weight_hh_l{k}, rnn.bias_ih_l{k}, rnn.bias_hh_l{k})`,
    );
  }
  if (model.numLayers > GRAD_CASE_LIMITS.numLayers) {
    throw new UsageError(`case: model.numLayers is ${model.numLayers}; at most ${GRAD_CASE_LIMITS.numLayers} is allowed`);
  }
}

function checkParameterCount(model: RecurrentNetConfig, shapes: ReadonlyMap<string, Shape>): void {
  let total = 0;
  for (const shape of shapes.values()) total += numel(shape);
  if (total > GRAD_CASE_LIMITS.parameters) {
    const { cell, inputSize, hiddenSize, numLayers, outputSize } = model;
    throw new UsageError(
      `case: model (${cell}, inputSize ${inputSize}, hiddenSize ${hiddenSize}, numLayers ${numLayers}, outputSize ${outputSize}) `
      + `has ${total} parameters; at most ${GRAD_CASE_LIMITS.parameters} are allowed`,
    );
  }
}

/** B and T as x claims them (from its first elements), checked against the sequence limits
 * before x, y or the states are allocated (x's walk allocates B*T*inputSize numbers up front,
 * which the activation limit bounds). */
function checkSequence(model: RecurrentNetConfig, x: unknown[]): [number, number] {
  const [B, T] = leadingShape(x, 2);
  if (!(T >= 1)) throw new UsageError(`case: x must have shape [B, T, ${model.inputSize}] with T >= 1`);
  const { numLayers: L, hiddenSize: H, outputSize: O } = model;
  if (L * T > GRAD_CASE_LIMITS.layerSteps) {
    throw new UsageError(
      `case: x has T = ${T} steps and model.numLayers is ${L}, so numLayers*T = ${L * T} layer-steps; `
      + `at most ${GRAD_CASE_LIMITS.layerSteps} are allowed`,
    );
  }
  const activations = B * T * model.inputSize + L * B * T * H + B * O;
  if (activations > GRAD_CASE_LIMITS.activations) {
    throw new UsageError(
      `case: x of shape [${B}, ${T}, ${model.inputSize}] with model.numLayers ${L}, hiddenSize ${H}, outputSize ${O} needs `
      + `${activations} activation values (B*T*inputSize + numLayers*B*T*hiddenSize + B*outputSize); `
      + `at most ${GRAD_CASE_LIMITS.activations} are allowed`,
    );
  }
  return [B, T];
}

/** The size checks, cheapest first, before anything is built from the claimed sizes. Returns
 * the parameter shapes (built once the layer count is known to be small) and [B, T]. */
function checkLimits(c: CaseJson): { expected: Map<string, Shape>; B: number; T: number } {
  const model: RecurrentNetConfig = c.model;
  checkWidths(model);
  checkNumLayers(model, c.params);
  const expected = parameterShapes(model);
  checkParameterCount(model, expected);
  const [B, T] = checkSequence(model, c.x);
  return { expected, B, T };
}

export function parseGradCase(json: unknown): GradCase {
  const parsed = caseSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(zodLine('case', parsed.error));
  const c = parsed.data;
  const model: RecurrentNetConfig = c.model;
  const { expected, B, T } = checkLimits(c);
  const xShape: [number, number, number] = [B, T, model.inputSize];
  const guard = <V>(fn: () => V): V => {
    try {
      return fn();
    } catch (e) {
      throw new UsageError(`case: ${(e as Error).message}`);
    }
  };
  const x = guard(() => flattenNested(c.x, xShape, 'x'));
  for (const key of Object.keys(c.params)) {
    if (!expected.has(key)) {
      throw new UsageError(`case: params has unknown key "${key}"; a ${model.cell} with ${model.numLayers} layer(s) takes ${[...expected.keys()].join(', ')}`);
    }
  }
  const params = new Map<string, Float64Array>();
  for (const [key, shape] of expected) {
    if (!(key in c.params)) throw new UsageError(`case: params is missing "${key}" of shape ${formatShape(shape)}`);
    params.set(key, guard(() => flattenNested(c.params[key], shape, `params["${key}"]`)));
  }
  const O = model.outputSize;
  const yShape = c.loss === 'mse' ? [B, O] : [B];
  const y = guard(() => flattenNested(c.y, yShape, 'y'));
  if (c.loss === 'cross_entropy') {
    y.forEach((k, i) => {
      if (!Number.isInteger(k) || k < 0 || k >= O) {
        throw new UsageError(`case: y[${i}] must be a class index, an integer in [0, ${O}), for loss cross_entropy; got ${k}`);
      }
    });
  }
  const stateShape = [model.numLayers, B, model.hiddenSize];
  if (c.c0 !== undefined && !cellSpec(model.cell).cellState) throw new UsageError(`case: c0 is only for cells with a cell state (lstm), not ${model.cell}`);
  const h0 = c.h0 === undefined ? null : guard(() => flattenNested(c.h0, stateShape, 'h0'));
  const c0 = c.c0 === undefined ? null : guard(() => flattenNested(c.c0, stateShape, 'c0'));
  return { model, params, x, xShape, y, yShape, loss: c.loss, h0, c0 };
}
