import fc from 'fast-check';
import { CELL_KINDS, type CellKind } from '../../src/cells/table.ts';
import { parameterShapes } from '../../src/nn/recurrentNet.ts';

type Nested = number | Nested[];

function nestedArb(shape: readonly number[], scale: number): fc.Arbitrary<Nested> {
  // Uniform values, not fc.double's edge-biased ones: subnormal weights and exactly tied logits
  // make cases whose gradients are pure rounding noise (1e-31 against a loss of log 2), where
  // two correct implementations legitimately disagree. fc.integer is edge-biased too (it draws
  // values near its bounds far more often), hence noBias: seed 409903807 drew both rows of a
  // 2 x 1 head at 0.99999 x 3, so that cross-entropy's dL/dh = sum_c (p_c - y_c) W_c was 0 in
  // exact arithmetic and torch's layer-0 gradient (2.7e-20) was rounding noise against our 0.
  if (shape.length === 0) return fc.noBias(fc.integer({ min: -1_000_000, max: 1_000_000 })).map((i) => (i / 1_000_000) * scale);
  return fc.array(nestedArb(shape.slice(1), scale), { minLength: shape[0], maxLength: shape[0] });
}

/** A random `gradlab grad` case: every cell, 1-3 layers, both losses, optional h0/c0, and a
 * weight scale up to 3 so that gates and tanh saturate in some cases. */
export function caseArb(cells: readonly CellKind[] = CELL_KINDS): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      cell: fc.constantFrom(...cells),
      inputSize: fc.integer({ min: 1, max: 4 }),
      hiddenSize: fc.integer({ min: 1, max: 5 }),
      numLayers: fc.integer({ min: 1, max: 3 }),
      outputSize: fc.integer({ min: 1, max: 3 }),
      batch: fc.integer({ min: 1, max: 3 }),
      steps: fc.integer({ min: 1, max: 8 }),
      loss: fc.constantFrom('mse' as const, 'cross_entropy' as const),
      weightScale: fc.constantFrom(0.5, 1, 3),
      withH0: fc.boolean(),
      withC0: fc.boolean(),
    })
    .chain((m) => {
      const model = { cell: m.cell, inputSize: m.inputSize, hiddenSize: m.hiddenSize, numLayers: m.numLayers, outputSize: m.outputSize };
      const params: Record<string, fc.Arbitrary<Nested>> = {};
      for (const [name, shape] of parameterShapes(model)) params[name] = nestedArb(shape, m.weightScale);
      const state = [m.numLayers, m.batch, m.hiddenSize];
      return fc.record({
        model: fc.constant(model),
        params: fc.record(params),
        x: nestedArb([m.batch, m.steps, m.inputSize], 2),
        y: m.loss === 'mse'
          ? nestedArb([m.batch, m.outputSize], 2)
          : fc.array(fc.integer({ min: 0, max: m.outputSize - 1 }), { minLength: m.batch, maxLength: m.batch }),
        loss: fc.constant(m.loss),
        ...(m.withH0 ? { h0: nestedArb(state, 1) } : {}),
        ...(m.withC0 && m.cell === 'lstm' ? { c0: nestedArb(state, 1) } : {}),
      });
    });
}
