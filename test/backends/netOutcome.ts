/**
 * One recurrent-net case run on a backend, everything it produces read back by name: shared by
 * the Node parity test (cells.parity.test.ts) and the same check inside headless Chromium
 * (webgpu.browser.test.ts, which bundles this file), so both compare the very same quantities.
 * No vitest import here: it must run in a page.
 */
import { backward } from '../../src/autograd/index.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { hiddenGradNorms } from '../../src/diagnostics/hiddenGradNorms.ts';
import type { CellPath } from '../../src/nn/recurrentNet.ts';
import { buildCase, type CaseValues, type NetCase } from '../nn/netCases.ts';
import { runLoss } from '../nn/netCases.ts';

/** Float32-representable inputs that both backends see exactly: rounded to float32, with
 * magnitudes below 2^-60 set to 0 so that no input, square or product of two inputs is subnormal
 * (WGSL lets a GPU flush subnormals to zero). */
export const f32s = (values: readonly number[]): number[] => values.map((v) => (Math.abs(v) < 2 ** -60 ? 0 : Math.fround(v)));

/** The case's values rounded to float32. */
export function float32Values(v: CaseValues): CaseValues {
  const r = (a: Float64Array): Float64Array => Float64Array.from(f32s([...a]));
  return { ...v, params: new Map([...v.params].map(([k, a]) => [k, r(a)])), x: r(v.x), h0: v.h0 && r(v.h0), c0: v.c0 && r(v.c0) };
}

/** Loss, output, hidden states, every input and parameter gradient, and ||dL/dh_t||, by name. */
export async function netOutcome(c: NetCase, v: CaseValues, backend: Backend, dtype: 'float32' | 'float64', path: CellPath): Promise<Record<string, number[]>> {
  const read = async (t: { toFloat64ArrayAsync(): Promise<Float64Array> }): Promise<number[]> => [...(await t.toFloat64ArrayAsync())];
  const b = buildCase(c, v, dtype, backend);
  const { loss, output, hidden } = runLoss(b, path);
  backward(loss);
  const out: Record<string, number[]> = { loss: await read(loss), output: await read(output) };
  for (const [l, layer] of hidden.entries()) out[`h of layer ${l}`] = (await Promise.all(layer.map(read))).flat();
  for (const t of b.inputs) out[`d loss / d ${t.name}`] = t.grad ? await read(t.grad) : new Array<number>(t.size).fill(0);
  (await hiddenGradNorms(hidden)).forEach((norms, l) => (out[`||dL/dh_t|| of layer ${l}`] = norms));
  return out;
}
