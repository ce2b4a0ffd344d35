/**
 * The f32x4 step kernels generated from the cell specifications (src/cells/generateAs.ts, built
 * into asm/build/kernels*.wasm), per element, against the spec's equations evaluated in float64
 * on the same float32 inputs, each within its own float32 error bound (./roundingBound.ts derives
 * it from the expression: one rounding per operation, the transcendental functions' 2 ulps).
 *
 * For every cell with a dense recurrence (the generator's domain, the hand-written LSTM and tanh
 * RNN included, since the generator does not know which are hand-written): one forward step, then
 * one backward step on that forward's own saved values and h_t, with B and H covering every
 * H % 4 tail, row strides past the data, and dL/dh_t from the next step, the loss, both or neither.
 * The bound is tight enough that a relative error of 1e-5 (~170 float32 units, u = 2^-24) in an
 * output is caught wherever the output is not a cancellation: measured bounds are 1-20 u for most
 * outputs (GRU's h' = n + z (h - n): 20-2700 u). The second test perturbs the kernel's own results
 * by 1e-5 and expects the check to fail on at least half of every kind of output.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requireCpuWasm } from '../../src/backends/cpu/index.ts';
import { layout, type GeneratedCell } from '../../src/backends/cpu/wasm.ts';
import { evaluate } from '../../src/cells/expression.ts';
import { asGenerates } from '../../src/cells/generateAs.ts';
import type { CellSpec } from '../../src/cells/spec.ts';
import { CELL_SPECS } from '../../src/cells/table.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';
import { exact, FLOAT32_BOUND, within, type Approx } from './roundingBound.ts';

const SPECS: CellSpec[] = Object.values(CELL_SPECS).filter(asGenerates);

interface Case {
  B: number;
  H: number;
  /** Extra floats past each strided row (the projection, the recurrent product, dL/dh_t in, dG). */
  pad: number;
  useIn: boolean;
  useExt: boolean;
  seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  B: fc.integer({ min: 1, max: 6 }),
  H: fc.integer({ min: 1, max: 13 }),
  pad: fc.integer({ min: 0, max: 5 }),
  useIn: fc.boolean(),
  useExt: fc.boolean(),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
});

/** One output element: what the kernel wrote, and the float64 value with its bound. */
interface Checked {
  name: string;
  got: number;
  want: Approx;
  flushed: boolean;
}

function kernelOf(spec: CellSpec): GeneratedCell {
  const cell = requireCpuWasm().wasm.generatedCell(spec);
  if (!cell) throw new Error(`the build has no current generated kernel for ${spec.kind}: run npm run build`);
  return cell;
}

/** Runs one forward and one backward step of `spec` on random float32 values; every output checked. */
function runCase(spec: CellSpec, c: Case): Checked[] {
  const gm = requireCpuWasm().wasm;
  const gen = kernelOf(spec);
  const { B, H, pad } = c;
  const G = spec.gates.length;
  const GH = G * H;
  const S = spec.saved.length;
  const ld = GH + pad;
  const ldIn = H + pad;
  const rng = Rng.seeded(c.seed);
  const rand = (n: number, s: number): number[] => Array.from({ length: n }, () => Math.fround((rng.uniform() * 2 - 1) * s));
  const [oXi, oXb, oHh, oHb, oHp, oCp, oSv, oHo, oCo, oDhIn, oExt, oCarry, oDhOut, oDc, oDxi, oDhh, end] = layout([
    B * ld, GH, B * ld, GH, B * H, B * H, B * S * H, B * H, B * H, B * ldIn, B * H, B * H, B * H, B * H, B * ld, B * ld,
  ]);
  gm.reserve(end);
  let f = gm.f32;
  f.fill(0, oXi, end);
  const put = (o: number, v: number[]): void => f.set(v, o);
  // Pre-activations over the gates' working range (sigmoid and tanh saturate past |x| ~ 9).
  put(oXi, rand(B * ld, 3));
  put(oXb, rand(GH, 1));
  put(oHh, rand(B * ld, 3));
  put(oHb, rand(GH, 1));
  put(oHp, rand(B * H, 1));
  put(oCp, rand(B * H, 2));
  put(oDhIn, rand(B * ldIn, 1));
  put(oExt, rand(B * H, 1));
  put(oCarry, rand(B * H, 1));
  put(oDc, rand(B * H, 1));
  const before = Float64Array.from(f.subarray(oXi, end)); // inputs as the kernels found them
  const at = (o: number): number => before[o - oXi];

  gen.forward(oXi, ld, oXb, oHh, ld, oHb, oHp, oCp, oSv, oHo, oCo, B, H);
  gen.backward(oDhIn, ldIn, c.useIn, oExt, c.useExt, oDhOut, oCarry, oSv, oHp, oCp, oHo, oDc, oDxi, ld, oDhh, ld, B, H);
  f = gm.f32;

  const out: Checked[] = [];
  const check = (name: string, o: number, want: Approx | undefined, flushed = false): void => {
    if (!want) throw new Error(`${name}: the spec defines no such value`);
    out.push({ name, got: f[o], want, flushed });
  };
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const k = b * H + j;
      const env = new Map<string, Approx>([['h', exact(at(oHp + k))], ['c', exact(at(oCp + k))]]);
      spec.gates.forEach((g, q) => {
        env.set(`xi_${g}`, FLOAT32_BOUND.add(exact(at(oXi + b * ld + q * H + j)), exact(at(oXb + q * H + j))));
        env.set(`hh_${g}`, FLOAT32_BOUND.add(exact(at(oHh + b * ld + q * H + j)), exact(at(oHb + q * H + j))));
      });
      for (const s of spec.forwardStatements) env.set(s.name, evaluate(s.expr, env, FLOAT32_BOUND, exact(0)));
      spec.saved.forEach((n, q) => check(`fwd ${n}[${b},${j}]`, oSv + b * S * H + q * H + j, env.get(n)));
      check(`fwd h_next[${b},${j}]`, oHo + k, env.get('h_next'));
      if (spec.cellState) check(`fwd c_next[${b},${j}]`, oCo + k, env.get('c_next'));

      // The backward reads the forward's float32 outputs as written: exact inputs from here on.
      const benv = new Map<string, Approx>([
        ['h', exact(at(oHp + k))], ['c', exact(at(oCp + k))], ['h_next', exact(f[oHo + k])], ['dc', exact(at(oDc + k))],
      ]);
      spec.saved.forEach((n, q) => benv.set(n, exact(f[oSv + b * S * H + q * H + j])));
      const dIn = exact(at(oDhIn + b * ldIn + j));
      let dh = c.useIn ? (spec.hasDirect ? FLOAT32_BOUND.add(dIn, exact(at(oCarry + k))) : dIn) : exact(0);
      if (c.useExt) dh = FLOAT32_BOUND.add(dh, exact(at(oExt + k)));
      benv.set('dh', dh);
      for (const s of spec.backwardStatements) benv.set(s.name, evaluate(s.expr, benv, FLOAT32_BOUND, exact(0)));
      check(`bwd dh[${b},${j}]`, oDhOut + k, dh);
      spec.gates.forEach((g, q) => {
        check(`bwd dxi_${g}[${b},${j}]`, oDxi + b * ld + q * H + j, benv.get(`dxi_${g}`), true);
        if (!spec.tied) check(`bwd dhh_${g}[${b},${j}]`, oDhh + b * ld + q * H + j, benv.get(`dhh_${g}`), true);
      });
      if (spec.hasDirect) check(`bwd dh_direct[${b},${j}]`, oCarry + k, benv.get('dh_direct'));
      if (spec.cellState) check(`bwd dc_prev[${b},${j}]`, oDc + k, benv.get('dc_prev'));
    }
  }
  return out;
}

const failures = (checked: readonly Checked[]): Checked[] => checked.filter((x) => !within(x.got, x.want, x.flushed));

describe.each(SPECS.map((s) => [s.kind, s] as const))('generated wasm kernels: %s', (_kind, spec) => {
  it('forward and backward equal the float64 equations per element, within their float32 bounds', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const bad = failures(runCase(spec, c));
      if (bad.length > 0) {
        const x = bad[0];
        throw new Error(`${JSON.stringify(c)} ${x.name}: got ${x.got}, want ${x.want.v} ± ${x.want.e} (${bad.length} outside)`);
      }
    }), fcParams(30));
  });

  it('the bound catches a relative error of 1e-5 in every kind of output', () => {
    const checked = runCase(spec, { B: 3, H: 7, pad: 1, useIn: true, useExt: true, seed: 11 });
    expect(failures(checked)).toEqual([]);
    const kinds = new Set(checked.map((x) => x.name.replace(/\[.*$/, '')));
    for (const kind of kinds) {
      const ofKind = checked.filter((x) => x.name.startsWith(`${kind}[`) && x.got !== 0);
      const caught = ofKind.filter((x) => !within(x.got * (1 + 1e-5), x.want, x.flushed));
      // At least half of each kind are caught. The others are cancellations, where no bound relative
      // to the result can be tight: GRU's h' = n + z (h - n) with h near n (its median bound is
      // ~90 u there, against 1-20 u for the other outputs; 1e-5 is ~170 u).
      expect(caught.length, `${kind}: ${caught.length} of ${ofKind.length} caught`).toBeGreaterThanOrEqual(0.5 * ofKind.length);
    }
  });
});

describe('generated wasm kernels: the build', () => {
  it('has a current kernel for every cell the generator handles, and none for the others', () => {
    const gm = requireCpuWasm().wasm;
    for (const spec of Object.values(CELL_SPECS)) expect(gm.generatedCell(spec) !== null, spec.kind).toBe(asGenerates(spec));
  });

  it('is not used for equations other than those it was built from', () => {
    const gm = requireCpuWasm().wasm;
    const gru = CELL_SPECS.gru;
    const changed: CellSpec = { ...gru, backwardStatements: gru.backwardStatements.slice(1).concat(gru.backwardStatements[0]) };
    expect(gm.generatedCell(changed)).toBeNull();
  });
});
