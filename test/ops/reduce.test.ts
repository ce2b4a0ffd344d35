/**
 * sum and mean: over all elements and over each axis (0, 1, 2 and the negative axis -1), with
 * keepDim false and true.
 *
 * gradcheck uses the full Jacobian (outputs have at most 25 elements). The forward reference is
 * nested loops over multi-indices; output shapes follow torch (keepDim keeps a 1, the full
 * reduction without keepDim is a 0-d tensor).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mean, sum } from '../../src/ops/index.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { fcParams } from '../helpers/fc.ts';
import { doubleIn, expectClose, expectGradcheck, expectShape, fround, numel, RUNS, shapeArb, shapedArb, t32, t64, U32, U64, unravel, ravel } from './helpers.ts';

type Reduce = (x: Tensor, axis?: number, keepDim?: boolean) => Tensor;

/** Reference: out[j] = sum (or mean) of the x whose index, with the axis dropped, is j. Also
 * the number of terms and sum|x| per output, for the rounding bounds. */
function refReduce(values: number[], shape: number[], axis: number | undefined, keepDim: boolean, isMean: boolean) {
  const rank = shape.length;
  const ax = axis === undefined ? undefined : (axis + rank) % rank;
  const outShape = ax === undefined
    ? (keepDim ? shape.map(() => 1) : [])
    : shape.flatMap((d, i) => (i === ax ? (keepDim ? [1] : []) : [d]));
  const reducedShape = ax === undefined ? [] : shape.filter((_, i) => i !== ax);
  const size = numel(reducedShape);
  const acc = new Array<number>(size).fill(0);
  const mag = new Array<number>(size).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    const idx = unravel(flat, shape);
    const j = ax === undefined ? 0 : ravel(idx.filter((_, i) => i !== ax), reducedShape);
    acc[j] += values[flat];
    mag[j] += Math.abs(values[flat]);
  }
  const count = ax === undefined ? values.length : shape[ax];
  return { outShape, out: isMean ? acc.map((s) => s / count) : acc, mag, count };
}

const AXES: (number | undefined)[] = [undefined, 0, 1, 2, -1];
const CASES = [sum, mean].flatMap((op) => AXES.flatMap((axis) => [false, true].map((keepDim) => ({
  name: op === sum ? 'sum' : 'mean',
  op: op as Reduce,
  isMean: op === mean,
  axis,
  keepDim,
}))));

describe.each(CASES)('$name axis=$axis keepDim=$keepDim', ({ op, isMean, axis, keepDim }) => {
  // Rank at least axis + 1 so the axis exists (rank 1-3 otherwise).
  const minRank = axis === undefined || axis < 0 ? 1 : axis + 1;
  const cases = shapedArb(shapeArb(minRank, 3), doubleIn(-10, 10));
  const apply = (x: Tensor) => (axis === undefined ? op(x, undefined, keepDim) : op(x, axis, keepDim));

  it('passes gradcheck (full Jacobian)', () => {
    fc.assert(fc.property(cases, ({ shape, values }) => {
      expectGradcheck(apply, [t64(values, shape)]);
    }), fcParams(RUNS));
  });

  it('float64 forward matches nested loops, with torch output shape', () => {
    // Same terms summed in possibly different orders: <= 2 gamma_n sum|x| apart (gamma_n ~ n u);
    // mean divides by the count (the op may multiply by 1/count instead: <= 2 more roundings).
    fc.assert(fc.property(cases, ({ shape, values }) => {
      const y = apply(t64(values, shape, false));
      const ref = refReduce(values, shape, axis, keepDim, isMean);
      expectShape(y, ref.outShape);
      expectClose(y.toFloat64Array(), ref.out, (j) => {
        const sumBound = 2 * ref.count * U64 * ref.mag[j];
        return isMean ? sumBound / ref.count + 3 * U64 * Math.abs(ref.out[j]) : sumBound;
      });
    }), fcParams(RUNS));
  });

  it('float32 forward is within (n+1) 2^-24 sum|x| of fround(float64 forward)', () => {
    // A float32 recursive sum of n terms errs by <= gamma_{n-1} sum|x| (u = 2^-24); fround of the
    // float64 sum adds <= 2^-24 |s|. mean: one more float32 rounding of the scaled value, and a
    // float32 kernel may use fround(1/count): 2 more u relative.
    fc.assert(fc.property(cases, ({ shape, values }) => {
      const x32 = fround(values);
      const y32 = apply(t32(x32, shape));
      expect(y32.dtype).toBe('float32');
      const expected = fround(apply(t64(x32, shape, false)).toFloat64Array());
      const ref = refReduce(x32, shape, axis, keepDim, isMean);
      expectClose(y32.toFloat64Array(), expected, (j) => {
        const sumBound = (ref.count + 1) * U32 * ref.mag[j];
        return isMean ? sumBound / ref.count + 2 * U32 * Math.abs(expected[j]) : sumBound;
      }, 'float32');
    }), fcParams(RUNS));
  });
});

describe('reduce errors', () => {
  it('refuses an axis out of range', () => {
    const x = t64([1, 2, 3, 4, 5, 6], [2, 3], false);
    expect(() => sum(x, 2)).toThrow(/axis/);
    expect(() => mean(x, -3)).toThrow(/axis/);
  });
});
