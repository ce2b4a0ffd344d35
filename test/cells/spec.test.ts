/**
 * The cell specifications and their code generators. The property at the end is the direct test
 * of every hand-written backward in src/cells: for each cell, the generated float64 backward
 * equals central finite differences of the generated forward, per unit, over random values —
 * before any GEMM, net or autograd is involved (test/nn holds the whole nets against the reference
 * path, finite differences and PyTorch).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emit, evaluate, functionsIn, parseExpression, type Algebra } from '../../src/cells/expression.ts';
import { backwardKernel, forwardKernel, writesDirect } from '../../src/cells/generateJs.ts';
import { wgslBackward, wgslForward } from '../../src/cells/generateWgsl.ts';
import { defineCell, type CellSpec, type CellSpecSource } from '../../src/cells/spec.ts';
import { CELL_KINDS, CELL_SPECS, cellSpec, gateCount, isCellKind } from '../../src/cells/table.ts';
import { fcParams } from '../helpers/fc.ts';

const NUMBERS: Algebra<number> = {
  constant: (v) => v, add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, negate: (a) => -a,
  call: (fn, [a, b]) => (fn === 'sigmoid' ? 1 / (1 + Math.exp(-a)) : fn === 'tanh' ? Math.tanh(a) : fn === 'relu' ? (a > 0 ? a : 0) : a > 0 ? b : 0),
};

describe('the expression language', () => {
  it('parses with the usual precedence and prints fully parenthesised, in JavaScript and WGSL', () => {
    const e = parseExpression('dh * (1 + y) * (1 - y) - -x / 2');
    const js = emit(e, { name: (n) => n, number: String, call: (f, a) => `${f}(${a.join(', ')})` });
    expect(js).toBe('(((dh * (1 + y)) * (1 - y)) - ((-x) / 2))');
    expect(evaluate(e, new Map([['dh', 2], ['y', 0.5], ['x', 3]]), NUMBERS, 0)).toBe(2 * 1.5 * 0.5 - -3 / 2);
    const wgsl = wgslForward(cellSpec('rnn_tanh')).body;
    expect(wgsl).toContain('let v_h_next = tanh_s((v_xi_h + v_hh_h));');
  });

  it('the generated JavaScript computes the functions as documented (relu and ifpos give 0 at exactly 0)', () => {
    // A one-gate toy cell whose forward is f(xi) for each function, and whose backward is ifpos.
    const run = (fn: string, xs: number[]): number[] => {
      const spec = defineCell(`toy_${fn}`, {
        title: 't', gates: ['h'], recurrent: 'matrix', cellState: false, saved: [],
        forward: [['h_next', `${fn}(xi_h)`]], backward: [['dxi_h', 'ifpos(h_next, dh)'], ['dhh_h', 'dxi_h']],
      });
      const H = xs.length;
      const ho = new Float64Array(H);
      const z = new Float64Array(H);
      forwardKernel(spec, false, 'f64')({
        B: 1, H, xi: Float64Array.from(xs), xiO: 0, xiLd: H, xb: z, hh: z, hhO: 0, hhLd: H, hb: z,
        hp: z, hpO: 0, cp: z, cpO: 0, sv: z, svO: 0, ho, hoO: 0, co: z, coO: 0,
      });
      return Array.from(ho);
    };
    expect(run('relu', [0, -2, 2.5, NaN])).toEqual([0, 0, 2.5, 0]);
    expect(run('sigmoid', [0, -800, 800])).toEqual([0.5, 0, 1]);
    expect(run('tanh', [0, 1])).toEqual([0, Math.tanh(1)]);
    // ifpos(y, v): v where y > 0, else 0 — through the backward, with y = h_next.
    const spec = defineCell('toy_ifpos', {
      title: 't', gates: ['h'], recurrent: 'matrix', cellState: false, saved: [],
      forward: [['h_next', 'xi_h']], backward: [['dxi_h', 'ifpos(h_next, dh)'], ['dhh_h', 'dxi_h']],
    });
    const hn = Float64Array.from([0, 1e-300, -1, 3]);
    const dxi = new Float64Array(4);
    const none = new Float64Array(4);
    backwardKernel(spec, false, 'f64')({
      B: 1, H: 4, sv: none, svO: 0, hp: none, hpO: 0, cp: none, cpO: 0, hn, hnO: 0, dh: Float64Array.from([7, 7, 7, 7]), dhO: 0,
      dc: none, dcO: 0, u: none, dxi, dxiO: 0, dxiLd: 4, dhh: dxi, dhhO: 0, dhhLd: 4, dur: none, durO: 0, durLd: 0,
      dhd: none, dhdO: 0, dco: none, dcoO: 0,
    });
    expect(Array.from(dxi)).toEqual([0, 7, 0, 7]);
  });

  it.each([
    ['x +', /unexpected end/],
    ['foo(x)', /unknown function "foo"/],
    ['tanh(x, y)', /tanh takes 1 argument/],
    ['x $ y', /unexpected "\$"/],
    ['(x', /expected "\)"/],
  ])('refuses %s', (src, why) => {
    expect(() => parseExpression(src)).toThrow(why);
  });
});

describe('defineCell checks a declaration once, at import', () => {
  const ok: CellSpecSource = {
    title: 't', gates: ['h'], recurrent: 'matrix', cellState: false, saved: [],
    forward: [['h_next', 'tanh(xi_h + hh_h)']], backward: [['dxi_h', 'dh * (1 - h_next * h_next)'], ['dhh_h', 'dxi_h']],
  };
  it('accepts a well-formed spec and finds that it is tied', () => {
    const s = defineCell('toy', ok);
    expect(s.tied).toBe(true);
    expect(s.hasDirect).toBe(false);
  });
  it.each([
    [{ forward: [['h_next', 'tanh(xi_h + hh_q)']] }, /reads "hh_q", which is not defined before it/],
    [{ forward: [['z', 'xi_h'], ['z', 'hh_h']] }, /"z": defined twice/],
    [{ forward: [['y', 'xi_h']] }, /the forward must define "h_next"/],
    [{ backward: [['dxi_h', 'dh']] }, /the backward must define "dhh_h"/],
    [{ forward: [['h_next', 'ifpos(xi_h, hh_h)']] }, /ifpos is a derivative's helper/],
    [{ saved: ['missing'] }, /the forward must define "missing"/],
    [{ gates: ['a', 'a'] }, /gate names repeat/],
  ] as [Partial<CellSpecSource>, RegExp][])('refuses a broken spec (%#)', (patch, why) => {
    expect(() => defineCell('toy', { ...ok, ...patch })).toThrow(why);
  });
});

describe('the table', () => {
  it('names each spec by its key; gateCount and isCellKind read it', () => {
    for (const kind of CELL_KINDS) {
      expect(CELL_SPECS[kind].kind).toBe(kind);
      expect(gateCount(kind)).toBe(CELL_SPECS[kind].gates.length);
      expect(isCellKind(kind)).toBe(true);
    }
    expect(CELL_KINDS).toEqual(['rnn_tanh', 'rnn_relu', 'lstm', 'gru', 'indrnn']);
    expect(isCellKind('toString')).toBe(false);
  });

  it('every generated shader binds at most 8 storage buffers (WebGPU\'s default limit, with P)', () => {
    for (const kind of CELL_KINDS) {
      expect(wgslForward(cellSpec(kind)).bindings.length + 1, kind).toBeLessThanOrEqual(8);
      expect(wgslBackward(cellSpec(kind)).bindings.length + 1, kind).toBeLessThanOrEqual(8);
    }
  });
});

/** One unit-level case: per-unit inputs of B rows and H units. */
interface UnitCase { B: number; H: number; seed: number }

function randoms(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  return Float64Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s / 2 ** 32) * 3 - 1.5;
  });
}

/** Throws when the spec's generated backward and finite differences of its forward disagree;
 * returns false for a case too close to a ReLU's kink to judge. */
function unitCheck(spec: CellSpec, { B, H, seed }: UnitCase): boolean {
      const kind = spec.kind;
      const G = spec.gates.length;
      const S = spec.saved.length;
      const diagonal = spec.recurrent === 'diagonal';
      const GH = G * H;
      const r = randoms(6 * B * GH + 6 * GH + 8 * B * H, seed);
      let o = 0;
      const take = (n: number): Float64Array => r.slice(o, (o += n));
      const xi = take(B * GH), hh = diagonal ? take(GH) : take(B * GH), xb = take(GH), hb = take(GH);
      const hp = take(B * H), cp = take(B * H), dh = take(B * H), dc = take(B * H);
      const forward = (): { h: Float64Array; c: Float64Array; saved: Float64Array } => {
        const out = { h: new Float64Array(B * H), c: new Float64Array(B * H), saved: new Float64Array(B * S * H) };
        forwardKernel(spec, false, 'f64')({
          B, H, xi, xiO: 0, xiLd: GH, xb, hh, hhO: 0, hhLd: GH, hb, hp, hpO: 0, cp, cpO: 0, sv: out.saved, svO: 0, ho: out.h, hoO: 0, co: out.c, coO: 0,
        });
        return out;
      };
      const loss = (): number => {
        const { h, c } = forward();
        let L = 0;
        for (let k = 0; k < B * H; k++) L += dh[k] * h[k] + (spec.cellState ? dc[k] * c[k] : 0);
        return L;
      };
      // Keep away from the ReLU's kink, where a finite difference crosses to the other side.
      const base = forward();
      if (spec.forwardStatements.some((st) => functionsIn(st.expr).has('relu'))) {
        const pre = Array.from({ length: B * H }, (_, k) => xi[k] + xb[k % H] + (diagonal ? hh[k % H] * hp[k] : hh[k]) + hb[k % H]);
        if (!pre.every((p) => Math.abs(p) > 1e-3)) return false;
      }
      const g = {
        dxi: new Float64Array(B * GH), dhh: new Float64Array(B * GH), dur: new Float64Array(B * GH),
        dhd: new Float64Array(B * H), dco: new Float64Array(B * H),
      };
      backwardKernel(spec, false, 'f64')({
        B, H, sv: base.saved, svO: 0, hp, hpO: 0, cp, cpO: 0, hn: base.h, hnO: 0, dh, dhO: 0, dc, dcO: 0, u: hh,
        dxi: g.dxi, dxiO: 0, dxiLd: GH, dhh: spec.tied ? g.dxi : g.dhh, dhhO: 0, dhhLd: GH, dur: g.dur, durO: 0, durLd: GH,
        dhd: g.dhd, dhdO: 0, dco: g.dco, dcoO: 0,
      });
      const dhh = spec.tied ? g.dxi : g.dhh;
      /** Central difference of the loss in one element of one input array. */
      const fd = (arr: Float64Array, i: number): number => {
        const v = arr[i];
        const step = 1e-6 * Math.max(1, Math.abs(v));
        arr[i] = v + step;
        const up = loss();
        arr[i] = v - step;
        const down = loss();
        arr[i] = v;
        return (up - down) / (2 * step);
      };
      // Truncation O(step²) ≈ 1e-12 and rounding ~1e-16 / 1e-6 = 1e-10 of the loss's scale.
      const close = (what: string, got: number, want: number): void => {
        if (!(Math.abs(got - want) <= 1e-7 * (1 + Math.abs(want)))) throw new Error(`${kind} ${what}: analytic ${got}, finite difference ${want}`);
      };
      for (let i = 0; i < B * GH; i++) close(`dL/dxi[${i}]`, g.dxi[i], fd(xi, i));
      if (diagonal) {
        for (let i = 0; i < GH; i++) {
          let du = 0;
          for (let b = 0; b < B; b++) du += g.dur[b * GH + i];
          close(`dL/du[${i}]`, du, fd(hh, i));
        }
      } else {
        for (let i = 0; i < B * GH; i++) close(`dL/dhh[${i}]`, dhh[i], fd(hh, i));
      }
      // h's direct path (everything but W_hh h): the GRU's z dh, IndRNN's u ⊙ dhh, else nothing.
      for (let k = 0; k < B * H; k++) close(`dL/dh direct[${k}]`, writesDirect(spec) ? g.dhd[k] : 0, fd(hp, k));
      if (spec.cellState) for (let k = 0; k < B * H; k++) close(`dL/dc[${k}]`, g.dco[k], fd(cp, k));
      return true;
}

const unitCaseArb = fc.record({ B: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 4 }), seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }) });

describe.each(CELL_KINDS.map((k) => [k] as const))('the generated backward of %s', (kind) => {
  it('equals finite differences of its forward, per unit, in float64, for every input the step reads (xi, hh or u, h, c)', () => {
    fc.assert(fc.property(unitCaseArb, (c) => {
      fc.pre(unitCheck(cellSpec(kind), c));
    }), fcParams(60));
  });
});

it('the unit check catches a wrong derivative (the LSTM with c missing from the forget gate\'s)', () => {
  const lstm = cellSpec('lstm');
  const broken = defineCell('broken_lstm', {
    ...lstm,
    backward: lstm.backward.map(([n, e]): [string, string] => (n === 'dxi_f' ? [n, 'dct * f * (1 - f)'] : [n, e])),
  });
  expect(() => unitCheck(broken, { B: 2, H: 3, seed: 12345 })).toThrow(/broken_lstm dL\/dxi\[\d+\]: analytic/);
  expect(unitCheck(lstm, { B: 2, H: 3, seed: 12345 })).toBe(true);
});
