import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck } from '../../src/autograd/index.ts';
import { CELL_KINDS } from '../../src/cells/table.ts';
import { RecurrentNet } from '../../src/nn/recurrentNet.ts';
import { mseLoss } from '../../src/ops/index.ts';
import { randn } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { fcParams } from '../helpers/fc.ts';
import { hasKink } from './netCases.ts';

/**
 * Residual connections (with the input projection when I != H) and temporal skip connections
 * are built from differentiable ops, so they get the same finite-difference check as the cells:
 * torch's defaults, float64, every parameter and the input, on every path.
 */
describe('residual and temporal-skip stacks pass gradcheck', () => {
  it('on every cell and path', () => {
    fc.assert(
      fc.property(
        fc.record({
          cell: fc.constantFrom(...CELL_KINDS.filter((c) => !hasKink(c))), // relu's kink: see cells.gradcheck
          residual: fc.boolean(),
          skipDelay: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
          I: fc.integer({ min: 1, max: 3 }),
          H: fc.integer({ min: 1, max: 3 }),
          T: fc.integer({ min: 1, max: 5 }),
          layers: fc.integer({ min: 1, max: 3 }),
          path: fc.constantFrom('reference' as const, 'fused' as const, 'sequence' as const),
          seed: fc.nat(1e6),
        }),
        (c) => {
          const config = { cell: c.cell, inputSize: c.I, hiddenSize: c.H, numLayers: c.layers, outputSize: 2, residual: c.residual, skipDelay: c.skipDelay };
          const net = RecurrentNet.create(config, Rng.seeded(c.seed), { dtype: 'float64' });
          if (c.residual && c.I !== c.H) expect(net.params.has('residual.weight')).toBe(true);
          if (c.skipDelay) expect(net.params.has('rnn.weight_skip_l0')).toBe(true);
          const rng = Rng.seeded(c.seed + 1);
          const x = randn([2, c.T, c.I], rng, { dtype: 'float64', requiresGrad: true, name: 'x' });
          const y = randn([2, 2], rng, { dtype: 'float64' });
          const params = [...net.params.values()];
          const loss = (xx: Tensor): Tensor => mseLoss(net.forward(xx, { path: c.path }).output, y);
          // The function's inputs are x and every parameter (closed over by the net).
          const r = gradcheck((xx, ..._ps) => loss(xx), [x, ...params], { fastMode: true, seed: c.seed });
          expect(r.ok).toBe(true);
        },
      ),
      fcParams(40),
    );
  });
});
