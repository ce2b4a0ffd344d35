import { backward } from '../autograd/index.ts';
import type { Backend } from '../backends/backend.ts';
import { hiddenGradNorms } from '../diagnostics/hiddenGradNorms.ts';
import { jsonNumber, toNestedJson } from '../io/nested.ts';
import { RecurrentNet, type CellPath } from '../nn/recurrentNet.ts';
import { crossEntropyLoss, mseLoss } from '../ops/index.ts';
import { tensor } from '../tensor/create.ts';
import type { DType } from '../tensor/dtype.ts';
import type { GradCase } from './gradCase.ts';

export interface GradOutput {
  loss: number | null;
  grads: Record<string, unknown>;
  /** [layer][t] = ||dL/dh_t||, t = 1..T. */
  dLdh: (number | null)[][];
}

/** Loss, parameter gradients and the dL/dh_t probe of one case: what `gradlab grad` prints. */
export async function computeCaseGradients(c: GradCase, opts: { dtype: DType; backend: Backend; path?: CellPath }): Promise<GradOutput> {
  const { dtype, backend } = opts;
  const net = RecurrentNet.fromValues(c.model, c.params, { dtype, backend });
  const make = (v: Float64Array, shape: number[]) => tensor(v, shape, { dtype, backend });
  const [B] = c.xShape;
  const stateShape = [c.model.numLayers, B, c.model.hiddenSize];
  const out = net.forward(make(c.x, c.xShape), {
    h0: c.h0 ? make(c.h0, stateShape) : undefined,
    c0: c.c0 ? make(c.c0, stateShape) : undefined,
    path: opts.path,
  });
  const y = make(c.y, c.yShape);
  const loss = c.loss === 'mse' ? mseLoss(out.output, y) : crossEntropyLoss(out.output, y);
  backward(loss);
  const grads: Record<string, unknown> = {};
  for (const [name, p] of net.params) {
    grads[name] = toNestedJson(p.grad ? await p.grad.toFloat64ArrayAsync() : new Float64Array(p.size), p.shape);
  }
  return {
    loss: jsonNumber(await loss.itemAsync()),
    grads,
    dLdh: (await hiddenGradNorms(out.hidden)).map((layer) => layer.map(jsonNumber)),
  };
}
