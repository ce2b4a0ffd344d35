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
import { backward } from '../../src/autograd/index.ts';
import { hiddenGradNorms } from '../../src/diagnostics/hiddenGradNorms.ts';
import { CELL_KINDS } from '../../src/nn/cellKinds.ts';
import type { CellPath } from '../../src/nn/recurrentNet.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { fcParams } from '../helpers/fc.ts';
import { buildCase, caseValues, describeCase, netCaseArb, runLoss, type CaseValues, type NetCase } from '../nn/netCases.ts';
import { BACKENDS, f32s, read, U32, within } from './backends.ts';
import { cpu } from '../../src/backends/cpu/index.ts';

const RUNS = 12;
const GAIN = 8;
const BOUNDS = { batch: 3, steps: 6, input: 3, hidden: 5, layers: 2 };

/** The case's values rounded to float32 (inputs both runs see exactly). */
function float32Values(v: CaseValues): CaseValues {
  const r = (a: Float64Array): Float64Array => Float64Array.from(f32s([...a]));
  return { ...v, params: new Map([...v.params].map(([k, a]) => [k, r(a)])), x: r(v.x), h0: v.h0 && r(v.h0), c0: v.c0 && r(v.c0) };
}

/** Every value a case produces, by name, read back. */
async function outcome(c: NetCase, v: CaseValues, backend: Backend, dtype: 'float32' | 'float64', path: CellPath): Promise<Map<string, Float64Array>> {
  const b = buildCase(c, v, dtype, backend);
  const { loss, output, hidden } = runLoss(b, path);
  backward(loss);
  const out = new Map<string, Float64Array>([['loss', await read(loss)], ['output', await read(output)]]);
  for (const [l, layer] of hidden.entries()) out.set(`h of layer ${l}`, Float64Array.from((await Promise.all(layer.map(read))).flatMap((a) => [...a])));
  for (const t of b.inputs) out.set(`d loss / d ${t.name}`, t.grad ? await read(t.grad) : new Float64Array(t.size));
  (await hiddenGradNorms(hidden)).forEach((norms, l) => out.set(`||dL/dh_t|| of layer ${l}`, Float64Array.from(norms)));
  return out;
}

const isGradient = (name: string): boolean => name.startsWith('d loss') || name.startsWith('||dL/dh_t||');
const maxAbs = (a: Iterable<number>): number => {
  let m = 0;
  for (const x of a) m = Math.max(m, Math.abs(x));
  return m;
};

/** The magnitudes the bound is relative to (see the header). */
function scalesOf(reference: Map<string, Float64Array>, v: CaseValues): { forward: number; gradients: number; activations: number } {
  const forward = maxAbs([...reference].filter(([n]) => !isGradient(n)).flatMap(([, a]) => [...a]));
  const gradients = maxAbs([...reference].filter(([n]) => isGradient(n)).flatMap(([, a]) => [...a]));
  const activations = Math.max(1, forward, maxAbs(v.x), ...[...v.params.values()].map(maxAbs), v.h0 ? maxAbs(v.h0) : 0, v.c0 ? maxAbs(v.c0) : 0);
  return { forward, gradients, activations };
}

describe.each(BACKENDS)('recurrent nets on $name (float32) = cpu float64 within float32 bounds', (b) => {
  it.each(CELL_KINDS)('%s: loss, output, hidden states, every gradient and dL/dh_t on all three paths', async (cell) => {
    const k = await b.get();
    await fc.assert(
      fc.asyncProperty(netCaseArb(cell, BOUNDS), async (c) => {
        const v = float32Values(caseValues(c));
        const S = (c.steps + c.layers) * (c.input + c.hidden + 8);
        const reference = await outcome(c, v, cpu, 'float64', 'reference');
        const scales = scalesOf(reference, v);
        for (const path of ['sequence', 'fused', 'reference'] as const) {
          const got = await outcome(c, v, k, 'float32', path);
          for (const [name, ref] of reference) {
            const scale = isGradient(name) ? scales.gradients * scales.activations : scales.forward;
            within(got.get(name)!, ref, () => GAIN * S * U32 * scale, `${describeCase(c)} ${path} path: ${name}`);
          }
        }
      }),
      fcParams(RUNS),
    );
  });
});
