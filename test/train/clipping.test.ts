/**
 * clipGradNorm = torch.nn.utils.clip_grad_norm_ (torch 1.13, L2) and clipGradValue =
 * torch.nn.utils.clip_grad_value_.
 *
 * clip_grad_norm_: total = ||all grads||_2 (parameters without a grad are ignored),
 * coef = maxNorm / (total + 1e-6), every grad *= min(coef, 1), and the pre-clip total is returned.
 * The plain reference below sums the squares in gradlab's documented order (parameter by
 * parameter, element by element, in float64), so norm, factor and clipped grads must be bitwise
 * equal; the real torch sums in another order (a norm of per-parameter norms), hence the 1e-12
 * there. Documented departure from torch: a NaN/Inf total is returned as is and nothing is scaled.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/tensor/dtype.ts';
import { tensor } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { clipGradNorm, clipGradValue, globalGradNorm } from '../../src/train/clipping.ts';
import { fcParams } from '../helpers/fc.ts';
import { runPython } from '../helpers/python.ts';

const RUNS = 50;

interface ClipCase {
  dtype: DType;
  shapes: number[][];
  /** One gradient per parameter (null: the parameter has no .grad). */
  grads: (number[] | null)[];
}

const numel = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** Values a float32 tensor holds exactly, so the reference sees what the tensor stores. */
const stored = (dtype: DType, v: number[]) => (dtype === 'float32' ? v.map(Math.fround) : [...v]);

function makeParams(c: ClipCase): Tensor[] {
  return c.shapes.map((shape, i) => {
    const p = tensor(new Array<number>(numel(shape)).fill(0.5), shape, { dtype: c.dtype, requiresGrad: true });
    const g = c.grads[i];
    p.grad = g === null ? null : tensor(g, shape, { dtype: c.dtype });
    return p;
  });
}

const gradValues = (params: Tensor[]) => params.map((p) => (p.grad ? Array.from(p.grad.toFloat64Array()) : null));

/** Plain float64 norm in gradlab's documented order. */
/** torch's clip_grad_norm_: the norm of the per-parameter norms, in float64. */
function refNorm(c: ClipCase): number {
  let total = 0;
  for (const g of c.grads) {
    if (g === null) continue;
    let s = 0;
    for (const x of stored(c.dtype, g)) s += x * x;
    const n = Math.sqrt(s);
    total += n * n;
  }
  return Math.sqrt(total);
}

/** Bitwise equality (Object.is: -0 and +0 differ, NaN equals NaN). */
function expectBitwise(ours: (number[] | null)[], ref: (number[] | null)[], what: string): void {
  expect(ours.length).toBe(ref.length);
  ref.forEach((r, i) => {
    if (r === null) return expect(ours[i], `${what}: param ${i} should have no grad`).toBeNull();
    r.forEach((x, j) => {
      const a = ours[i]![j];
      if (!Object.is(a, x)) expect.fail(`${what}: param ${i} [${j}]: gradlab ${a}, reference ${x}`);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

type Real = (min: number, max: number) => fc.Arbitrary<number>;
const edgyReal: Real = (min, max) => fc.double({ min, max, noNaN: true });
const plainReal: Real = (min, max) => fc.integer({ min: 0, max: 2 ** 40 }).map((k) => min + (max - min) * (k / 2 ** 40));
const mixedReal: Real = (min, max) => fc.oneof(edgyReal(min, max), plainReal(min, max));

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 });

function clipCaseArb(real: Real, opts: { dtypes?: DType[]; missing?: boolean } = {}): fc.Arbitrary<ClipCase> {
  const { dtypes = ['float64', 'float32'], missing = true } = opts;
  return fc.record({ dtype: fc.constantFrom(...dtypes), shapes: fc.array(shapeArb, { minLength: 1, maxLength: 4 }) }).chain(({ dtype, shapes }) => {
    const vec = (s: number[]) => fc.array(real(-5, 5), { minLength: numel(s), maxLength: numel(s) });
    const grad = (s: number[]) => (missing ? fc.option(vec(s), { nil: null, freq: 5 }) : vec(s));
    return fc.tuple(...shapes.map(grad)).map((grads) => ({ dtype, shapes, grads }));
  });
}

/** maxNorm relative to the actual norm: far below, around (incl. exactly the norm and the 1e-6
 * boundary) and far above, so both branches and the boundary are hit. */
function maxNormArb(): fc.Arbitrary<(norm: number) => number> {
  return fc.oneof(
    plainReal(0, 3).map((k) => (n: number) => n * k),
    fc.constantFrom(
      (n: number) => n,
      (n: number) => n + 1e-6,
      (n: number) => (n + 1e-6) * (1 + 2 ** -52),
      (n: number) => (n + 1e-6) * (1 - 2 ** -52),
    ),
    plainReal(0, 100).map((c) => () => c),
  );
}

// ---------------------------------------------------------------------------------------------

describe('clipGradNorm (torch.nn.utils.clip_grad_norm_, L2)', () => {
  it('equals the plain formula bitwise: pre-clip norm, min(1, c/(norm+1e-6)), clipped flag and factor', async () => {
    await fc.assert(
      fc.asyncProperty(clipCaseArb(mixedReal), maxNormArb(), async (c, pickMaxNorm) => {
        const norm = refNorm(c);
        const maxNorm = pickMaxNorm(norm);
        const params = makeParams(c);
        expect(Object.is(await globalGradNorm(params), norm), 'globalGradNorm').toBe(true);

        const coef = maxNorm / (norm + 1e-6);
        const willClip = coef < 1;
        const r = await clipGradNorm(params, maxNorm);
        expect(Object.is(r.normBefore, norm), `normBefore ${r.normBefore} vs ${norm}`).toBe(true);
        expect(r.clipped).toBe(willClip);
        expect(Object.is(r.factor, willClip ? coef : 1), `factor ${r.factor} vs ${willClip ? coef : 1}`).toBe(true);
        // A float32 grad stores fround(g * coef): the product is formed in float64 and rounded once.
        const round = c.dtype === 'float32' ? Math.fround : (x: number) => x;
        const expected = c.grads.map((g) => (g === null ? null : stored(c.dtype, g).map((x) => (willClip ? round(x * coef) : x))));
        expectBitwise(gradValues(params), expected, `${c.dtype} maxNorm ${maxNorm} norm ${norm}`);
        // The result's norm is at most maxNorm (up to the rounding of the scaled values).
        if (willClip) expect(await globalGradNorm(params)).toBeLessThanOrEqual(maxNorm * (1 + 1e-6) + 1e-300);
      }),
      fcParams(RUNS),
    );
  });

  it('leaves gradients bitwise untouched when norm + 1e-6 <= maxNorm', async () => {
    await fc.assert(
      fc.asyncProperty(clipCaseArb(mixedReal), plainReal(0, 10), async (c, slack) => {
        const before = gradValues(makeParams(c));
        const params = makeParams(c);
        const norm = await globalGradNorm(params);
        const maxNorm = (norm + 1e-6) * (1 + slack);
        const r = await clipGradNorm(params, maxNorm);
        expect(r).toEqual({ normBefore: norm, clipped: false, factor: 1 });
        expectBitwise(gradValues(params), before, 'unclipped');
      }),
      fcParams(RUNS),
    );
  });

  it('a NaN or Inf gradient: returns the non-finite norm and scales nothing (documented departure from torch)', async () => {
    await fc.assert(
      fc.asyncProperty(clipCaseArb(mixedReal, { missing: false }), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity), plainReal(0, 10), async (c, at, bad, maxNorm) => {
        // Plant the bad value at a random element of a random parameter.
        const i = at % c.grads.length;
        const g = [...c.grads[i]!];
        g[Math.floor(at / c.grads.length) % g.length] = bad;
        const grads = c.grads.map((x, k) => (k === i ? g : x));
        const params = makeParams({ ...c, grads });
        const before = gradValues(params);
        const r = await clipGradNorm(params, maxNorm);
        if (Number.isNaN(bad)) expect(r.normBefore).toBeNaN();
        else expect(r.normBefore).toBe(Infinity);
        expect(r.clipped).toBe(false);
        expect(r.factor).toBe(1);
        expectBitwise(gradValues(params), before, 'non-finite');
      }),
      fcParams(30),
    );
  });

  it('no gradients at all: norm 0, nothing clipped (torch returns tensor(0.))', async () => {
    const params = [tensor([1, 2], [2], { dtype: 'float64' }), tensor([3], [1], { dtype: 'float64' })];
    expect(await clipGradNorm(params, 1)).toEqual({ normBefore: 0, clipped: false, factor: 1 });
  });
});

describe('clipGradValue (torch.nn.utils.clip_grad_value_)', () => {
  it('clamps every element to [-c, c] bitwise and returns how many elements changed', async () => {
    // Planted values: +-Inf (clamped, counted), exactly +-c (the boundary: unchanged, not
    // counted), -0 (kept) and NaN (kept, not counted: torch's clamp propagates NaN).
    const special = fc.constantFrom<(c: number) => number>(() => Infinity, () => -Infinity, () => -0, () => NaN, (c) => c, (c) => -c);
    await fc.assert(
      fc.asyncProperty(clipCaseArb(mixedReal), plainReal(0, 6), fc.array(fc.tuple(fc.nat(), special), { maxLength: 4 }), async (c, clip, plants) => {
        const grads = c.grads.map((g) => (g === null ? null : [...g]));
        // float32: plant the float32 value of c, so "exactly c" stays exactly c in storage.
        const limit = c.dtype === 'float32' ? Math.fround(clip) : clip;
        clip = limit;
        for (const [at, v] of plants) {
          const g = grads[at % grads.length];
          if (g) g[Math.floor(at / grads.length) % g.length] = v(clip);
        }
        const params = makeParams({ ...c, grads });
        let count = 0;
        const expected = grads.map((g) =>
          g === null
            ? null
            : stored(c.dtype, g).map((x) => {
                if (x > clip) return count++, clip;
                if (x < -clip) return count++, -clip;
                return x;
              }),
        );
        const round = c.dtype === 'float32' ? Math.fround : (x: number) => x;
        const expectedStored = expected.map((g) => (g === null ? null : g.map(round))); // a float32 tensor stores fround(c)
        expect(await clipGradValue(params, clip)).toBe(count);
        expectBitwise(gradValues(params), expectedStored, `clip ${clip}`);
      }),
      fcParams(RUNS),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The real torch (one python process for both functions).

const TORCH_SCRIPT = String.raw`
import json, sys
import torch
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

out = []
for c in json.load(sys.stdin):
    ps = []
    for shape, g in zip(c['shapes'], c['grads']):
        p = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
        p.grad = None if g is None else torch.tensor(g, dtype=torch.float64).reshape(shape)
        ps.append(p)
    if c['kind'] == 'norm':
        total = clip_grad_norm_(ps, c['limit'])
        res = {'norm': float(total)}
    else:
        res = {'count': int(sum(int((p.grad.abs() > c['limit']).sum()) for p in ps if p.grad is not None))}
        clip_grad_value_(ps, c['limit'])
    res['grads'] = [None if p.grad is None else p.grad.reshape(-1).tolist() for p in ps]
    out.append(res)
json.dump({'torch': torch.__version__, 'out': out}, sys.stdout)
`;

interface TorchClipCase extends ClipCase {
  kind: 'norm' | 'value';
  limit: number;
}

describe('clipping vs the real torch.nn.utils (torch 1.13, float64, one python process)', () => {
  /**
   * clip_grad_norm_: torch's total is the norm of the per-parameter norms, its reductions sum in a
   * vectorised order; with n <= 256 non-negative squares each order is within ~n*u <= 3e-14
   * relative of the exact sum (u = 2^-53), and the sqrt/square round trips add a few u; the coef
   * and the scaled grads inherit that relative error. 1e-12 relative (of the norm; of the tensor's
   * largest magnitude for grads) is ~30x above it; forgetting the 1e-6, or clipping at c/norm,
   * moves the result by >= 1e-7 relative at these norms (>= 0.1). clip_grad_value_ is a clamp:
   * the values and the count must be exact.
   */
  it('clip_grad_norm_ (norm and grads to 1e-12 relative) and clip_grad_value_ (exact, with the count)', async () => {
    const seed = Number(process.env.FC_SEED ?? 20260423);
    const base = fc.noBias(clipCaseArb(plainReal, { dtypes: ['float64'] }));
    const normCases = fc.sample(fc.tuple(base, plainReal(0, 2)), { seed, numRuns: 20 }).map(([c, k]): TorchClipCase => {
      const n = refNorm(c);
      return { ...c, kind: 'norm', limit: n > 0.1 ? n * k : 1 }; // limits around the norm: both branches
    });
    const valueCases = fc.sample(fc.tuple(base, plainReal(0, 5)), { seed: seed + 1, numRuns: 20 }).map(([c, limit]): TorchClipCase => ({ ...c, kind: 'value', limit }));
    const cases = [...normCases, ...valueCases];
    const res = JSON.parse(runPython(['-c', TORCH_SCRIPT], JSON.stringify(cases))) as { torch: string; out: { norm?: number; count?: number; grads: (number[] | null)[] }[] };
    expect(res.torch).toMatch(/^1\.13/);
    expect(normCases.some((c) => refNorm(c) + 1e-6 > c.limit) && normCases.some((c) => refNorm(c) + 1e-6 <= c.limit), 'both branches sampled').toBe(true);

    for (const [n, c] of cases.entries()) {
      const theirs = res.out[n];
      const tag = `${c.kind} case ${n} limit ${c.limit} (seed ${seed})`;
      const params = makeParams(c);
      if (c.kind === 'norm') {
        const r = await clipGradNorm(params, c.limit);
        const tn = theirs.norm!;
        if (!(Math.abs(r.normBefore - tn) <= 1e-12 * tn)) expect.fail(`${tag}: norm gradlab ${r.normBefore}, torch ${tn}`);
        theirs.grads.forEach((g, i) => {
          if (g === null) return expect(params[i].grad).toBeNull();
          const ours = Array.from(params[i].grad!.toFloat64Array());
          const scale = Math.max(...g.map(Math.abs));
          g.forEach((b, j) => {
            if (!(Math.abs(ours[j] - b) <= 1e-12 * scale)) expect.fail(`${tag}: param ${i} [${j}] gradlab ${ours[j]}, torch ${b} (clipped ${r.clipped}, factor ${r.factor})`);
          });
        });
      } else {
        expect(await clipGradValue(params, c.limit), `${tag}: count`).toBe(theirs.count);
        theirs.grads.forEach((g, i) => {
          if (g === null) return expect(params[i].grad).toBeNull();
          expect(Array.from(params[i].grad!.toFloat64Array()), `${tag}: param ${i}`).toEqual(g);
        });
      }
    }
  });
});
