import { z } from 'zod';
import { flattenNested, leadingShape } from '../io/nested.ts';
import { zodLine } from '../io/zodLine.ts';
import { CELL_KINDS } from '../nn/cellKinds.ts';
import { parameterShapes, type RecurrentNetConfig } from '../nn/recurrentNet.ts';
import { formatShape } from '../tensor/shape.ts';
import { UsageError } from './usageError.ts';

/** A `gradlab grad` case (DESIGN.md section 2), validated and flattened. */
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

export function parseGradCase(json: unknown): GradCase {
  const parsed = caseSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(zodLine('case', parsed.error));
  const c = parsed.data;
  const model: RecurrentNetConfig = c.model;
  const [B, T] = leadingShape(c.x, 2);
  if (!(T >= 1)) throw new UsageError(`case: x must have shape [B, T, ${model.inputSize}] with T >= 1`);
  const xShape: [number, number, number] = [B, T, model.inputSize];
  const guard = <V>(fn: () => V): V => {
    try {
      return fn();
    } catch (e) {
      throw new UsageError(`case: ${(e as Error).message}`);
    }
  };
  const x = guard(() => flattenNested(c.x, xShape, 'x'));
  const expected = parameterShapes(model);
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
  if (c.c0 !== undefined && model.cell !== 'lstm') throw new UsageError(`case: c0 is only for cell lstm, not ${model.cell}`);
  const h0 = c.h0 === undefined ? null : guard(() => flattenNested(c.h0, stateShape, 'h0'));
  const c0 = c.c0 === undefined ? null : guard(() => flattenNested(c.c0, stateShape, 'c0'));
  return { model, params, x, xShape, y, yShape, loss: c.loss, h0, c0 };
}
