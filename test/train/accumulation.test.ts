import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CELL_KINDS } from '../../src/cells/table.ts';
import { RecurrentNet } from '../../src/nn/recurrentNet.ts';
import { Rng } from '../../src/tensor/rng.ts';
import type { Batch } from '../../src/tasks/task.ts';
import { accumulateGradients, readAccumulated } from '../../src/train/trainer.ts';
import { fcParams } from '../helpers/fc.ts';

function randomBatch(rng: Rng, B: number, T: number, I: number, yShape: number[], classes: number | null): Batch {
  const n = yShape.reduce((a, b) => a * b, 1);
  return {
    x: Float64Array.from({ length: B * T * I }, () => rng.normal()),
    xShape: [B, T, I],
    y: Float64Array.from({ length: n }, () => (classes ? rng.int(classes) : rng.normal())),
    yShape,
  };
}

/**
 * Accumulating k micro-batches of size b (each loss scaled by 1/k) gives the gradient of one
 * batch of k*b. The two sum the same per-sequence terms in a different grouping, so they agree
 * to float64 rounding: a few ulps of the largest magnitude, bounded here by 1e-12 relative.
 */
describe('gradient accumulation', () => {
  it('k micro-batches of b equal one batch of k*b (loss, every gradient, dL/dh_t)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          cell: fc.constantFrom(...CELL_KINDS),
          k: fc.integer({ min: 1, max: 4 }),
          b: fc.integer({ min: 1, max: 3 }),
          T: fc.integer({ min: 1, max: 6 }),
          I: fc.integer({ min: 1, max: 3 }),
          H: fc.integer({ min: 1, max: 5 }),
          layers: fc.integer({ min: 1, max: 2 }),
          loss: fc.constantFrom('mse' as const, 'cross_entropy' as const),
          everyStep: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        async (c) => {
          const O = 3;
          const config = { cell: c.cell, inputSize: c.I, hiddenSize: c.H, numLayers: c.layers, outputSize: O };
          const net = RecurrentNet.create(config, Rng.seeded(c.seed), { dtype: 'float64' });
          const B = c.k * c.b;
          const outputs = c.everyStep ? 'every_step' : 'last';
          const yShape = c.loss === 'mse' ? (c.everyStep ? [B, c.T, O] : [B, O]) : c.everyStep ? [B, c.T] : [B];
          const batch = randomBatch(Rng.seeded(c.seed + 1), B, c.T, c.I, yShape, c.loss === 'mse' ? null : O);
          const whole = await readAccumulated(accumulateGradients(net, c.loss, outputs, batch, 1, { probe: true }));
          const wholeGrads = [...net.params.values()].map((p) => p.grad!.toFloat64Array());
          const acc = await readAccumulated(accumulateGradients(net, c.loss, outputs, batch, c.k, { probe: true }));
          const accGrads = [...net.params.values()].map((p) => p.grad!.toFloat64Array());
          const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= 1e-12 * scale + 1e-300;
          expect(close(acc.loss, whole.loss, Math.abs(whole.loss))).toBe(true);
          wholeGrads.forEach((g, i) => {
            const scale = Math.max(...g.map(Math.abs));
            g.forEach((v, j) => expect(close(accGrads[i][j], v, scale), `param ${i}[${j}]`).toBe(true));
          });
          whole.dLdh!.forEach((layer, l) => {
            const scale = Math.max(...layer);
            layer.forEach((v, t) => expect(close(acc.dLdh![l][t], v, scale), `dLdh[${l}][${t}]`).toBe(true));
          });
        },
      ),
      fcParams(60),
    );
  });

  it('rejects a batch that does not split evenly', () => {
    const net = RecurrentNet.create({ cell: 'gru', inputSize: 1, hiddenSize: 2, numLayers: 1, outputSize: 1 }, Rng.seeded(0));
    const batch = randomBatch(Rng.seeded(1), 5, 2, 1, [5, 1], null);
    expect(() => accumulateGradients(net, 'mse', 'last', batch, 2)).toThrow(/5 cannot be split into 2/);
  });
});
