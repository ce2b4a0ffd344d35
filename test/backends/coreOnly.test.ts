/**
 * A backend needs only the core kernels: the fused step and whole-sequence kernels are optional.
 * Here the CPU backend is seen through a view that hides them (`cellSteps`, `sequences`), and a
 * second view that hides only the sequence kernels; whole nets of every cell, on every path,
 * must give the full backend's loss, parameter gradients and ‖dL/dh_t‖ to float64 rounding.
 * The first view runs the spec read as ops (src/ops/cellReference.ts) for every path; the second
 * builds whole sequences from the steps (src/backends/sequenceFromSteps.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/index.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import { CELL_KINDS } from '../../src/cells/table.ts';
import type { CellPath } from '../../src/nn/recurrentNet.ts';
import { fcParams } from '../helpers/fc.ts';
import { buildCase, caseValues, describeCase, hasKink, minAbsPreactivation, netCaseArb, runLoss, type NetCase } from '../nn/netCases.ts';

/** The CPU backend without some of its optional members. Methods run with the view as `this`,
 * so every tensor they make belongs to the view (and the hidden kernels stay hidden). */
function without(hidden: readonly (keyof Backend)[]): Backend {
  return new Proxy(cpu, {
    get: (target, prop, receiver) => ((hidden as readonly PropertyKey[]).includes(prop) ? undefined : Reflect.get(target, prop, receiver)),
  });
}

const CORE_ONLY = without(['cellSteps', 'sequences']);
const STEPS_ONLY = without(['sequences']);

function outcome(c: NetCase, backend: Backend, path: CellPath): Map<string, number[]> {
  const b = buildCase(c, caseValues(c), 'float64', backend);
  const { loss, hidden } = runLoss(b, path);
  backward(loss);
  const out = new Map<string, number[]>([['loss', [loss.item()]]]);
  for (const t of b.inputs) out.set(t.name ?? '?', Array.from(t.grad?.toFloat64Array() ?? []));
  hidden.forEach((layer, l) => out.set(`||dL/dh|| layer ${l}`, layer.map((h) => (h.grad ? Math.hypot(...h.grad.toFloat64Array()) : 0))));
  return out;
}

function expectSame(got: Map<string, number[]>, want: Map<string, number[]>, label: string): void {
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [name, w] of want) {
    const g = got.get(name)!;
    const scale = Math.max(1e-300, ...w.map(Math.abs));
    w.forEach((v, i) => {
      // Both sides sum the same float64 products in different orders: ~1e-15 relative each.
      if (!(Math.abs(g[i] - v) <= 1e-11 * scale)) expect.fail(`${label} ${name}[${i}]: ${g[i]} vs ${v}`);
    });
  }
}

describe.each(CELL_KINDS.map((k) => [k] as const))('a backend with only the core kernels: %s', (cell) => {
  it('core only, and core + step kernels, equal the full CPU backend on every path', () => {
    fc.assert(fc.property(netCaseArb(cell, { batch: 2, steps: 4, input: 2, hidden: 3, layers: 2 }), (c) => {
      if (hasKink(cell)) fc.pre(minAbsPreactivation(buildCase(c, caseValues(c), 'float64')) > 1e-6);
      for (const path of ['reference', 'fused', 'sequence'] as const) {
        const want = outcome(c, cpu, path);
        expectSame(outcome(c, CORE_ONLY, path), want, `${describeCase(c)} core only, ${path}:`);
        expectSame(outcome(c, STEPS_ONLY, path), want, `${describeCase(c)} steps only, ${path}:`);
      }
    }), fcParams(8));
  });

  it('the view really hides the kernels (the ops fall back, the cpu keeps its own)', () => {
    expect(CORE_ONLY.cellSteps).toBeUndefined();
    expect(CORE_ONLY.sequences).toBeUndefined();
    expect(STEPS_ONLY.cellSteps).toBeDefined();
    expect(cpu.sequences).toBeDefined();
  });
});
