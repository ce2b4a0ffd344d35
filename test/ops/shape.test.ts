/**
 * Shape ops: reshape, transpose, slice, select, concat, split, chunk, unbind, stack.
 *
 * These move data and do no arithmetic, so the forward is compared with index math EXACTLY, and
 * the float32 forward must equal fround of the float64 forward exactly (a copy of a float32
 * value is that value). gradcheck uses the full Jacobian; the multi-output ops (split, chunk,
 * unbind) are turned into one tensor by concatenating/stacking a random non-empty subset of
 * their pieces, each scaled by a distinct factor, in reversed order — so unused pieces (a null
 * gradient on some outputs of the node) are covered too, and a piece's gradient landing in the
 * wrong place changes the Jacobian.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/index.ts';
import { chunk, concat, reshape, scale, select, slice, split, stack, transpose, unbind } from '../../src/ops/index.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { fcParams } from '../helpers/fc.ts';
import {
  dimArb, doubleIn, expectClose, expectGradcheck, expectShape, fround, numel, ravel, RUNS, shapeArb, shapedArb, t32, t64,
  unravel, valuesArb,
} from './helpers.ts';

const value = doubleIn(-10, 10);

/** Runs `build` on float64 and float32 copies of the same float32-representable inputs and
 * checks float32 == fround(float64) exactly (pure data movement). */
function expectFloat32Copy(inputs: { values: number[]; shape: number[] }[], build: (...xs: Tensor[]) => Tensor[]): void {
  const v32 = inputs.map((i) => fround(i.values));
  const outs64 = build(...inputs.map((i, j) => t64(v32[j], i.shape, false)));
  const outs32 = build(...inputs.map((i, j) => t32(v32[j], i.shape)));
  expect(outs32.length).toBe(outs64.length);
  outs32.forEach((o, j) => {
    expect(o.dtype).toBe('float32');
    expectShape(o, outs64[j].shape, 'float32 shape');
    expectClose(o.toFloat64Array(), fround(outs64[j].toFloat64Array()), 0, 'float32');
  });
}

/** Values of x[..., start:end, ...] along `axis` by index math. */
function refSlice(values: number[], shape: number[], axis: number, start: number, end: number) {
  const outShape = shape.map((d, i) => (i === axis ? end - start : d));
  const out = Array.from({ length: numel(outShape) }, (_, flat) => {
    const idx = unravel(flat, outShape);
    idx[axis] += start;
    return values[ravel(idx, shape)];
  });
  return { outShape, out };
}

/** Values of the concatenation along `axis` by index math. */
function refConcat(parts: { values: number[]; shape: number[] }[], axis: number) {
  const outShape = parts[0].shape.map((d, i) => (i === axis ? parts.reduce((s, p) => s + p.shape[axis], 0) : d));
  const out = Array.from({ length: numel(outShape) }, (_, flat) => {
    const idx = unravel(flat, outShape);
    let k = 0;
    while (idx[axis] >= parts[k].shape[axis]) idx[axis] -= parts[k++].shape[axis];
    return parts[k].values[ravel(idx, parts[k].shape)];
  });
  return { outShape, out };
}

// ---------------------------------------------------------------------------------------------
// reshape

/** A shape and another with the same number of elements: the prime factors of the size dealt
 * out to 1-4 new dimensions (a dimension that gets none is 1). */
const reshapeCaseArb = shapedArb(shapeArb(), value).chain(({ shape, values }) => {
  const primes: number[] = [];
  let n = numel(shape);
  for (let p = 2; n > 1; p++) while (n % p === 0) { primes.push(p); n /= p; }
  return fc.record({
    rank: fc.integer({ min: 1, max: 4 }),
    deal: valuesArb(primes.length, fc.nat(3)),
  }).map(({ rank, deal }) => {
    const target = new Array<number>(rank).fill(1);
    primes.forEach((p, i) => (target[deal[i] % rank] *= p));
    return { shape, values, target };
  });
});

describe('reshape', () => {
  it('passes gradcheck (full Jacobian)', () => {
    fc.assert(fc.property(reshapeCaseArb, ({ shape, values, target }) => {
      expectGradcheck((x) => reshape(x, target), [t64(values, shape)]);
    }), fcParams(RUNS));
  });

  it('float64 forward keeps row-major order with the new shape', () => {
    fc.assert(fc.property(reshapeCaseArb, ({ shape, values, target }) => {
      const y = reshape(t64(values, shape, false), target);
      expectShape(y, target);
      expectClose(y.toFloat64Array(), values, 0);
    }), fcParams(RUNS));
  });

  it('float32 forward equals fround(float64 forward)', () => {
    fc.assert(fc.property(reshapeCaseArb, ({ shape, values, target }) => {
      expectFloat32Copy([{ values, shape }], (x) => [reshape(x, target)]);
    }), fcParams(RUNS));
  });

  it('refuses a shape of another size', () => {
    expect(() => reshape(t64([1, 2, 3, 4, 5, 6], [2, 3], false), [4])).toThrow(/reshape/);
  });
});

// ---------------------------------------------------------------------------------------------
// transpose (2-D)

const matrixArb = shapedArb(shapeArb(2, 2), value);

describe('transpose', () => {
  it('passes gradcheck (full Jacobian)', () => {
    fc.assert(fc.property(matrixArb, ({ shape, values }) => {
      expectGradcheck(transpose, [t64(values, shape)]);
    }), fcParams(RUNS));
  });

  it('float64 forward: y[j][i] = x[i][j]', () => {
    fc.assert(fc.property(matrixArb, ({ shape, values }) => {
      const [r, c] = shape;
      const y = transpose(t64(values, shape, false));
      expectShape(y, [c, r]);
      const expected = Array.from({ length: r * c }, (_, flat) => values[(flat % r) * c + Math.floor(flat / r)]);
      expectClose(y.toFloat64Array(), expected, 0);
    }), fcParams(RUNS));
  });

  it('float32 forward equals fround(float64 forward)', () => {
    fc.assert(fc.property(matrixArb, ({ shape, values }) => {
      expectFloat32Copy([{ values, shape }], (x) => [transpose(x)]);
    }), fcParams(RUNS));
  });
});

// ---------------------------------------------------------------------------------------------
// slice and select

/** A shape, an axis (possibly negative) and start <= end within it; `nonEmpty` forces start < end. */
function sliceCaseArb(nonEmpty: boolean) {
  return shapedArb(shapeArb(), value).chain(({ shape, values }) => fc.record({
    axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
    a: fc.nat(),
    b: fc.nat(),
  }).map(({ axis, a, b }) => {
    const ax = (axis + shape.length) % shape.length;
    const d = shape[ax];
    let start = a % (d + 1);
    let end = b % (d + 1);
    if (start > end) [start, end] = [end, start];
    if (nonEmpty && start === end) {
      if (end < d) end++;
      else start--;
    }
    return { shape, values, axis, ax, start, end };
  }));
}

describe('slice', () => {
  it('passes gradcheck (full Jacobian)', () => {
    fc.assert(fc.property(sliceCaseArb(true), ({ shape, values, axis, start, end }) => {
      expectGradcheck((x) => slice(x, axis, start, end), [t64(values, shape)]);
    }), fcParams(RUNS));
  });

  it('float64 forward matches index math (empty slices included)', () => {
    fc.assert(fc.property(sliceCaseArb(false), ({ shape, values, axis, ax, start, end }) => {
      const y = slice(t64(values, shape, false), axis, start, end);
      const ref = refSlice(values, shape, ax, start, end);
      expectShape(y, ref.outShape);
      expectClose(y.toFloat64Array(), ref.out, 0);
    }), fcParams(RUNS));
  });

  it('float32 forward equals fround(float64 forward)', () => {
    fc.assert(fc.property(sliceCaseArb(false), ({ shape, values, axis, start, end }) => {
      expectFloat32Copy([{ values, shape }], (x) => [slice(x, axis, start, end)]);
    }), fcParams(RUNS));
  });

  it('refuses a range outside the axis', () => {
    const x = t64([1, 2, 3, 4, 5, 6], [2, 3], false);
    expect(() => slice(x, 1, 2, 4)).toThrow(/out of range/);
    expect(() => slice(x, 0, 2, 1)).toThrow(/out of range/);
  });
});

const selectCaseArb = sliceCaseArb(true).map((c) => ({ ...c, index: c.start }));

describe('select', () => {
  it('passes gradcheck (full Jacobian)', () => {
    fc.assert(fc.property(selectCaseArb, ({ shape, values, axis, index }) => {
      expectGradcheck((x) => select(x, axis, index), [t64(values, shape)]);
    }), fcParams(RUNS));
  });

  it('float64 forward is the slice at index with the axis dropped', () => {
    fc.assert(fc.property(selectCaseArb, ({ shape, values, axis, ax, index }) => {
      const y = select(t64(values, shape, false), axis, index);
      const ref = refSlice(values, shape, ax, index, index + 1);
      expectShape(y, shape.filter((_, i) => i !== ax));
      expectClose(y.toFloat64Array(), ref.out, 0);
    }), fcParams(RUNS));
  });

  it('float32 forward equals fround(float64 forward)', () => {
    fc.assert(fc.property(selectCaseArb, ({ shape, values, axis, index }) => {
      expectFloat32Copy([{ values, shape }], (x) => [select(x, axis, index)]);
    }), fcParams(RUNS));
  });
});

// ---------------------------------------------------------------------------------------------
// concat and stack

/** 1-3 tensors that agree off `axis`, with sizes 1-5 along it, and which of them require grad
 * (at least one). */
const concatCaseArb = shapeArb().chain((base) => fc.record({
  axis: fc.integer({ min: -base.length, max: base.length - 1 }),
  sizes: fc.array(dimArb, { minLength: 1, maxLength: 3 }),
}).chain(({ axis, sizes }) => {
  const ax = (axis + base.length) % base.length;
  const shapes = sizes.map((s) => base.map((d, i) => (i === ax ? s : d)));
  return fc.record({
    parts: fc.tuple(...shapes.map((s) => valuesArb(numel(s), value).map((values) => ({ values, shape: s })))),
    needs: valuesArb(shapes.length, fc.boolean()),
  }).map(({ parts, needs }) => ({ axis, ax, parts, needs: needs.some((n) => n) ? needs : needs.map((_, i) => i === 0) }));
}));

describe('concat', () => {
  it('passes gradcheck (full Jacobian) for every input that requires grad', () => {
    fc.assert(fc.property(concatCaseArb, ({ axis, parts, needs }) => {
      expectGradcheck((...xs) => concat(xs, axis), parts.map((p, i) => t64(p.values, p.shape, needs[i])));
    }), fcParams(RUNS));
  });

  it('float64 forward matches index math', () => {
    fc.assert(fc.property(concatCaseArb, ({ axis, ax, parts }) => {
      const y = concat(parts.map((p) => t64(p.values, p.shape, false)), axis);
      const ref = refConcat(parts, ax);
      expectShape(y, ref.outShape);
      expectClose(y.toFloat64Array(), ref.out, 0);
    }), fcParams(RUNS));
  });

  it('float32 forward equals fround(float64 forward)', () => {
    fc.assert(fc.property(concatCaseArb, ({ axis, parts }) => {
      expectFloat32Copy(parts, (...xs) => [concat(xs, axis)]);
    }), fcParams(RUNS));
  });

  it('refuses tensors that differ off the axis', () => {
    expect(() => concat([t64([1, 2], [1, 2], false), t64([1, 2, 3], [1, 3], false)], 0)).toThrow(/concat/);
  });
});

/** 1-3 tensors of one shape, and a new-axis position in [-(rank+1), rank]. */
const stackCaseArb = shapeArb().chain((shape) => fc.record({
  axis: fc.integer({ min: -(shape.length + 1), max: shape.length }),
  parts: fc.array(valuesArb(numel(shape), value), { minLength: 1, maxLength: 3 }),
}).map(({ axis, parts }) => ({ shape, axis, ax: (axis + shape.length + 1) % (shape.length + 1), parts })));

describe('stack', () => {
  it('passes gradcheck (full Jacobian)', () => {
    fc.assert(fc.property(stackCaseArb, ({ shape, axis, parts }) => {
      expectGradcheck((...xs) => stack(xs, axis), parts.map((p) => t64(p, shape)));
    }), fcParams(RUNS));
  });

  it('float64 forward: y[..., k, ...] = xs[k]', () => {
    fc.assert(fc.property(stackCaseArb, ({ shape, axis, ax, parts }) => {
      const y = stack(parts.map((p) => t64(p, shape, false)), axis);
      const outShape = [...shape.slice(0, ax), parts.length, ...shape.slice(ax)];
      expectShape(y, outShape);
      const expected = Array.from({ length: numel(outShape) }, (_, flat) => {
        const idx = unravel(flat, outShape);
        const k = idx.splice(ax, 1)[0];
        return parts[k][ravel(idx, shape)];
      });
      expectClose(y.toFloat64Array(), expected, 0);
    }), fcParams(RUNS));
  });

  it('float32 forward equals fround(float64 forward)', () => {
    fc.assert(fc.property(stackCaseArb, ({ shape, axis, parts }) => {
      expectFloat32Copy(parts.map((values) => ({ values, shape })), (...xs) => [stack(xs, axis)]);
    }), fcParams(RUNS));
  });
});

// ---------------------------------------------------------------------------------------------
// split, chunk, unbind (multi-output)

/** Subset of pieces to keep (non-empty), reversed and each scaled by a distinct factor. */
function recombine(pieces: Tensor[], keep: boolean[], join: (xs: Tensor[]) => Tensor): Tensor {
  const used = pieces.flatMap((p, i) => (keep[i % keep.length] ? [scale(p, i + 2)] : []));
  return join((used.length > 0 ? used : [scale(pieces[0], 2)]).reverse());
}

/** A shape, an axis, and the axis's size cut into 1..d positive sizes at random cut points. */
const splitCaseArb = shapedArb(shapeArb(), value).chain(({ shape, values }) => fc.record({
  axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
  cuts: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  keep: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
}).map(({ axis, cuts, keep }) => {
  const ax = (axis + shape.length) % shape.length;
  const sizes: number[] = [];
  let run = 0;
  for (let i = 0; i < shape[ax]; i++) {
    run++;
    if (i === shape[ax] - 1 || cuts[i]) {
      sizes.push(run);
      run = 0;
    }
  }
  return { shape, values, axis, ax, sizes, keep };
}));

describe('split', () => {
  it('passes gradcheck (full Jacobian) through a concat of a subset of the pieces', () => {
    fc.assert(fc.property(splitCaseArb, ({ shape, values, axis, sizes, keep }) => {
      expectGradcheck((x) => recombine(split(x, sizes, axis), keep, (xs) => concat(xs, axis)), [t64(values, shape)]);
    }), fcParams(RUNS));
  });

  it('float64 forward: piece i is the slice at its offset', () => {
    fc.assert(fc.property(splitCaseArb, ({ shape, values, axis, ax, sizes }) => {
      const pieces = split(t64(values, shape, false), sizes, axis);
      expect(pieces.length).toBe(sizes.length);
      let at = 0;
      pieces.forEach((p, i) => {
        const ref = refSlice(values, shape, ax, at, at + sizes[i]);
        expectShape(p, ref.outShape, `piece ${i}`);
        expectClose(p.toFloat64Array(), ref.out, 0, `piece ${i}`);
        at += sizes[i];
      });
    }), fcParams(RUNS));
  });

  it('float32 forward equals fround(float64 forward)', () => {
    fc.assert(fc.property(splitCaseArb, ({ shape, values, axis, sizes }) => {
      expectFloat32Copy([{ values, shape }], (x) => split(x, sizes, axis));
    }), fcParams(RUNS));
  });

  it('refuses sizes that do not add up to the axis', () => {
    expect(() => split(t64([1, 2, 3, 4, 5, 6], [2, 3], false), [1, 1], 1)).toThrow(/split/);
  });

  // unbind splits a [B, T, I] input into T pieces, so split must stay right (and one node) at
  // sequence lengths, not only at the handful of pieces the property tests above draw. The
  // gradcheck above is the full Jacobian and cannot run at this size; here the gradient is
  // checked against its closed form instead: y = concat of the kept pieces, piece i scaled by
  // i + 2, seeded with ones, gives x.grad = i + 2 on piece i's columns and 0 on dropped pieces.
  it('10,000 pieces of random sizes: right offsets and values, one graph node, right gradient', () => {
    const piecesArb = fc.record({
      // No shrinking: it would take minutes on 10,000 entries, and the failure names the piece.
      sizes: fc.noShrink(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 10_000, maxLength: 10_000 })),
      rows: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(fc.property(piecesArb, ({ sizes, rows }) => {
      const cols = sizes.reduce((s, n) => s + n, 0);
      // Distinct, exactly representable values: x[r, c] = r * cols + c.
      const x = t64(Float64Array.from({ length: rows * cols }, (_, i) => i), [rows, cols]);
      const pieces = split(x, sizes, 1);
      expect(pieces.length).toBe(sizes.length);
      const node = pieces[0].node;
      expect(node).not.toBeNull();
      let start = 0;
      const pieceOfCol = new Int32Array(cols);
      pieces.forEach((p, i) => {
        if (p.node !== node) expect.fail(`piece ${i} has its own graph node`);
        const n = sizes[i];
        if (p.shape[0] !== rows || p.shape[1] !== n) expect.fail(`piece ${i} has shape [${p.shape.join(', ')}], expected [${rows}, ${n}]`);
        const v = p.toFloat64Array();
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < n; c++) {
            if (v[r * n + c] !== r * cols + start + c) expect.fail(`piece ${i} [${r}, ${c}] is ${v[r * n + c]}, expected x[${r}, ${start + c}]`);
          }
        }
        pieceOfCol.fill(i, start, start + n);
        start += n;
      });
      const kept = (i: number): boolean => i % 3 !== 1; // dropped pieces get a null gradient
      const y = concat(pieces.flatMap((p, i) => (kept(i) ? [scale(p, i + 2)] : [])), 1);
      backward(y, t64(new Float64Array(y.size).fill(1), y.shape, false));
      const g = x.grad!.toFloat64Array();
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const i = pieceOfCol[c];
          const want = kept(i) ? i + 2 : 0;
          if (g[r * cols + c] !== want) expect.fail(`dL/dx[${r}, ${c}] (piece ${i}) is ${g[r * cols + c]}, expected ${want}`);
        }
      }
    }), fcParams(3));
  });
});

/** A shape, an axis and a number of chunks dividing the axis's size. */
const chunkCaseArb = shapedArb(shapeArb(), value).chain(({ shape, values }) => fc.record({
  axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
  pick: fc.nat(),
  keep: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
}).map(({ axis, pick, keep }) => {
  const ax = (axis + shape.length) % shape.length;
  const divisors = Array.from({ length: shape[ax] }, (_, i) => i + 1).filter((c) => shape[ax] % c === 0);
  return { shape, values, axis, ax, chunks: divisors[pick % divisors.length], keep };
}));

describe('chunk', () => {
  it('passes gradcheck (full Jacobian) through a concat of a subset of the chunks', () => {
    fc.assert(fc.property(chunkCaseArb, ({ shape, values, axis, chunks, keep }) => {
      expectGradcheck((x) => recombine(chunk(x, chunks, axis), keep, (xs) => concat(xs, axis)), [t64(values, shape)]);
    }), fcParams(RUNS));
  });

  it('float64 forward: chunks equal pieces in order', () => {
    fc.assert(fc.property(chunkCaseArb, ({ shape, values, axis, ax, chunks }) => {
      const pieces = chunk(t64(values, shape, false), chunks, axis);
      expect(pieces.length).toBe(chunks);
      const w = shape[ax] / chunks;
      pieces.forEach((p, i) => {
        const ref = refSlice(values, shape, ax, i * w, (i + 1) * w);
        expectShape(p, ref.outShape, `chunk ${i}`);
        expectClose(p.toFloat64Array(), ref.out, 0, `chunk ${i}`);
      });
    }), fcParams(RUNS));
  });

  it('float32 forward equals fround(float64 forward)', () => {
    fc.assert(fc.property(chunkCaseArb, ({ shape, values, axis, chunks }) => {
      expectFloat32Copy([{ values, shape }], (x) => chunk(x, chunks, axis));
    }), fcParams(RUNS));
  });

  it('refuses a count that does not divide the axis', () => {
    expect(() => chunk(t64([1, 2, 3, 4, 5, 6], [2, 3], false), 2, 1)).toThrow(/chunk/);
  });
});

const unbindCaseArb = shapedArb(shapeArb(), value).chain(({ shape, values }) => fc.record({
  axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
  keep: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
}).map(({ axis, keep }) => ({ shape, values, axis, ax: (axis + shape.length) % shape.length, keep })));

describe('unbind', () => {
  it('passes gradcheck (full Jacobian) through a stack of a subset of the slices', () => {
    fc.assert(fc.property(unbindCaseArb, ({ shape, values, axis, keep }) => {
      expectGradcheck((x) => recombine(unbind(x, axis), keep, (xs) => stack(xs, 0)), [t64(values, shape)]);
    }), fcParams(RUNS));
  });

  it('float64 forward: slice k is select(x, axis, k)', () => {
    fc.assert(fc.property(unbindCaseArb, ({ shape, values, axis, ax }) => {
      const pieces = unbind(t64(values, shape, false), axis);
      expect(pieces.length).toBe(shape[ax]);
      pieces.forEach((p, k) => {
        expectShape(p, shape.filter((_, i) => i !== ax), `slice ${k}`);
        expectClose(p.toFloat64Array(), refSlice(values, shape, ax, k, k + 1).out, 0, `slice ${k}`);
      });
    }), fcParams(RUNS));
  });

  it('float32 forward equals fround(float64 forward)', () => {
    fc.assert(fc.property(unbindCaseArb, ({ shape, values, axis }) => {
      expectFloat32Copy([{ values, shape }], (x) => unbind(x, axis));
    }), fcParams(RUNS));
  });
});
