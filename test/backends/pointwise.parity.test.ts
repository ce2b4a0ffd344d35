/**
 * Pointwise kernels (the shared op table, broadcasting binary ops, scale, in-place updates) on
 * every backend in float32 against the CPU backend in float64.
 *
 * Bounds, in units of u = 2^-24 (float32's unit roundoff) times |reference|:
 * - +, -, *, x², scale, relu, neg: correctly rounded in IEEE float32 (WGSL too): 1u.
 * - /: WGSL allows 2.5 ulp (5u); sqrt: 2.5 ulp as 1/inverseSqrt (5u) — we allow 6u.
 * - exp: WGSL allows 3 + 2|x| ulp: (6 + 4|x|)u.
 * - log: 3 ulp outside [0.5, 2] (6u), 2^-21 absolute inside.
 * - tanh, sigmoid: built from exp (tanh as sinh/cosh by WGSL's rule), so the exp bound on |x| ≤ 15
 *   plus the few roundings of the formula: (16 + 4|x|)u relative, and 2^-21 absolute near 0 where
 *   sinh's cancellation dominates.
 * - gradient formulas (a product of 2-3 factors, or one division): 8u.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { UNARY_OPS, type UnaryOp } from '../../src/backends/pointwise.ts';
import { fcParams } from '../helpers/fc.ts';
import { shapeArb } from '../ops/helpers.ts';
import { BACKENDS, f32s, read, ref64, U32, within } from './backends.ts';

const RUNS = 15;

const DOMAIN: Record<UnaryOp, [number, number]> = {
  neg: [-50, 50], tanh: [-20, 20], sigmoid: [-30, 30], relu: [-5, 5], exp: [-20, 20], log: [0.01, 100], square: [-100, 100], sqrt: [0, 100],
};

function forwardBound(op: UnaryOp, x: number, ref: number): number {
  const r = Math.abs(ref);
  switch (op) {
    case 'neg': case 'relu': case 'square': return U32 * r;
    case 'sqrt': return 6 * U32 * r;
    case 'exp': return (6 + 4 * Math.abs(x)) * U32 * r;
    case 'log': return Math.max(6 * U32 * r, x >= 0.5 && x <= 2 ? 2 ** -21 : 0);
    case 'tanh': case 'sigmoid': return (16 + 4 * Math.min(Math.abs(x), 15)) * U32 * r + 2 ** -21;
  }
}

const valuesOf = (shape: number[], lo: number, hi: number) =>
  fc.array(fc.double({ min: lo, max: hi, noNaN: true }), { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }).map(f32s);
const shaped = (lo: number, hi: number) => shapeArb(1, 3).chain((shape) => valuesOf(shape, lo, hi).map((values) => ({ shape, values })));

describe.each(BACKENDS)('pointwise kernels on $name (float32) = cpu float64 within float32 bounds', (b) => {
  it.each(Object.keys(UNARY_OPS) as UnaryOp[])('unary %s: forward and its gradient', async (op) => {
    const k = await b.get();
    const [lo, hi] = DOMAIN[op];
    await fc.assert(
      fc.asyncProperty(shaped(lo, hi), shaped(-3, 3), async ({ shape, values }, dyArb) => {
        const dyValues = f32s(Array.from({ length: values.length }, (_, i) => dyArb.values[i % dyArb.values.length]));
        const x = k.fromValues(values, shape, 'float32');
        const y = k.unary(op, x);
        const yRef = cpu.unary(op, ref64(values, shape)).toFloat64Array();
        within(await read(y), yRef, (i) => forwardBound(op, values[i], yRef[i]), `${op} forward ${JSON.stringify(shape)}`);
        // The gradient from the backend's own y (its forward is checked above), against float64
        // evaluated on that same y.
        const yGot = await read(y);
        const dy = k.fromValues(dyValues, shape, 'float32');
        const gRef = cpu.unaryBackward(op, ref64(values, shape), ref64([...yGot], shape), ref64(dyValues, shape)).toFloat64Array();
        within(await read(k.unaryBackward(op, x, y, dy)), gRef, (i) => 8 * U32 * Math.abs(gRef[i]), `${op} backward`);
      }),
      fcParams(RUNS),
    );
  });

  it.each(['add', 'sub', 'mul', 'div'] as const)('binary %s with numpy broadcasting', async (op) => {
    const k = await b.get();
    // Two shapes that broadcast: drop leading axes of one and set some axes of either to 1.
    const pair = shapeArb(1, 3).chain((full) =>
      fc.tuple(fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }), fc.nat(full.length), fc.boolean()).map(([ones, drop, swap]) => {
        const small = full.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
        return swap ? [small, full] : [full, small];
      }));
    await fc.assert(
      fc.asyncProperty(pair.chain(([sa, sb]) => fc.tuple(fc.constant(sa), fc.constant(sb), valuesOf(sa, -10, 10), valuesOf(sb, 0.5, 10))), async ([sa, sb, va, vb]) => {
        const out = k.binary(op, k.fromValues(va, sa, 'float32'), k.fromValues(vb, sb, 'float32'));
        const ref = cpu.binary(op, ref64(va, sa), ref64(vb, sb));
        within(await read(out), ref.toFloat64Array(), (i) => (op === 'div' ? 5 : 1) * U32 * Math.abs(ref.toFloat64Array()[i]), `${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`);
      }),
      fcParams(RUNS),
    );
  });

  it('scale, scaleInPlace, addInto, copyInto, cast and full', async () => {
    const k = await b.get();
    await fc.assert(
      fc.asyncProperty(shaped(-10, 10), fc.double({ min: -4, max: 4, noNaN: true }).map((v) => f32s([v])[0]), async ({ shape, values }, factor) => {
        const n = values.length;
        const scaled = cpu.scale(ref64(values, shape), factor).toFloat64Array();
        const oneRounding = (ref: Float64Array) => (i: number) => U32 * Math.abs(ref[i]);
        within(await read(k.scale(k.fromValues(values, shape, 'float32'), factor)), scaled, oneRounding(scaled), 'scale');
        const inPlace = k.fromValues(values, shape, 'float32');
        k.scaleInPlace(inPlace, factor);
        within(await read(inPlace), scaled, oneRounding(scaled), 'scaleInPlace');
        const acc = k.fromValues(values, shape, 'float32');
        k.addInto(acc, k.fromValues([...values].reverse(), shape, 'float32'));
        const sum = values.map((v, i) => v + values[n - 1 - i]);
        within(await read(acc), sum, (i) => U32 * Math.abs(sum[i]), 'addInto');
        k.addInto(acc, acc); // the same tensor on both sides
        within(await read(acc), sum.map((v) => 2 * v), (i) => 2 * U32 * Math.abs(sum[i]), 'addInto itself');
        const dst = k.full(shape, 'float32', 7);
        within(await read(dst), values.map(() => 7), () => 0, 'full');
        k.copyInto(dst, k.fromValues(values, shape, 'float32'));
        within(await read(dst), values, () => 0, 'copyInto');
        within(await read(k.cast(dst, 'float32')), values, () => 0, 'cast (a copy)');
      }),
      fcParams(RUNS),
    );
  });

  it('clampInPlace clamps to [-c, c] exactly and counts the changed elements', async () => {
    const k = await b.get();
    await fc.assert(
      fc.asyncProperty(shaped(-10, 10), fc.double({ min: 0, max: 8, noNaN: true }).map((v) => f32s([v])[0]), async ({ shape, values }, c) => {
        const x = k.fromValues(values, shape, 'float32');
        const count = k.clampInPlace(x, c);
        within(await read(x), values.map((v) => Math.min(c, Math.max(-c, v))), () => 0, 'clamped values');
        within(await read(count), [values.filter((v) => v > c || v < -c).length], () => 0, 'count');
      }),
      fcParams(RUNS),
    );
  });
});
