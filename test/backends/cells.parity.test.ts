/**
 * Whole recurrent nets on every backend in float32 against the CPU backend in float64: for
 * random shapes and values, each cell on each path (reference ops, fused per-step kernels,
 * whole-sequence kernels) gives the same loss, output, hidden states, every input and parameter
 * gradient, and the dL/dh_t probe.
 *
 * The bound. Inputs and parameters are float32 values, so the two runs differ only by float32
 * rounding inside the computation. Every value is reached through a chain of at most
 * S = (T + L) · (I + H + 8) float32 operations along the longest path (T steps and L layers,
 * each a dot product over I + H inputs plus the cell's pointwise arithmetic), each adding at
 * most u = 2^-24 relative error of the terms it combines. Those terms, not the result, set the
 * scale (a weight gradient sums B·T products that can cancel): forward values are combinations
 * of terms no larger than the largest forward value; gradients are sums of products of an
 * upstream gradient (at most the largest gradient) with an activation, input or weight (at most
 * A = max(1, their largest magnitude)). So an element's error is at most GAIN · S · u · scale,
 * scale = the largest forward value, or the largest gradient times A, where GAIN bounds how
 * much the recurrence amplifies an error along the chain. GAIN = 8 covers the weight scales of
 * test/nn/netCases.ts up to 2.5 (whose per-step gains exceed 1 only in the few steps before
 * the gates saturate).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { CELL_KINDS } from '../../src/cells/table.ts';
import { fcParams } from '../helpers/fc.ts';
import { caseValues, netCaseArb } from '../nn/netCases.ts';
import { BACKENDS, expectNetWithin, PARITY_BOUNDS } from './backends.ts';
import { float32Values, netOutcome } from './netOutcome.ts';

const RUNS = 12;
describe.each(BACKENDS)('recurrent nets on $name (float32) = cpu float64 within float32 bounds', (b) => {
  it.each(CELL_KINDS)('%s: loss, output, hidden states, every gradient and dL/dh_t on all three paths', async (cell) => {
    const k = await b.get();
    await fc.assert(
      fc.asyncProperty(netCaseArb(cell, PARITY_BOUNDS), async (c) => {
        const v = float32Values(caseValues(c));
        const reference = await netOutcome(c, v, cpu, 'float64', 'reference');
        for (const path of ['sequence', 'fused', 'reference'] as const) {
          expectNetWithin(c, v, reference, await netOutcome(c, v, k, 'float32', path), `${path} path`);
        }
      }),
      fcParams(RUNS),
    );
  });
});
