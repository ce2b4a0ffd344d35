/**
 * NumpyRandomState and makeRegression against the real numpy / scikit-learn.
 *
 * The claim is bitwise identity, so numpy's float64 values travel as hex of their little-endian
 * bytes (no decimal round trip) and are compared with Object.is. The Python side needs the
 * Debian packages python3-numpy and python3-sklearn; without them the reference tests fail
 * with the install command rather than skipping, so a missing reference can never pass as
 * a success. The fast-check properties at the end need no Python.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeRegression, type MakeRegressionOptions, type RegressionData } from '../../src/tasks/makeRegression.ts';
import { fusedMultiplyAdd, glibcLog, NumpyRandomState } from '../../src/tasks/numpyRandomState.ts';
import { PYTHON, runPython } from '../helpers/python.ts';

const INSTALL_HINT = 'apt-get install python3-numpy python3-sklearn';

const STREAM_SEEDS = [0, 1, 7, 42, 123456789, 4294967295];
const STREAM_LENGTH = 1000;
const PERMUTATION_SIZES = [1, 2, 3, 10, 1000, 70001];

/**
 * Configurations whose every bit must match on any BLAS: one informative feature, so each y is
 * one product, rounded once whatever the library does (and the bias is added after the product).
 */
const EXACT_CASES: { seed: number; opts: MakeRegressionOptions }[] = [
  // The snippet this module exists for: np.random.seed(0); make_regression(1000, 1, noise=10).
  { seed: 0, opts: { nSamples: 1000, nFeatures: 1, noise: 10 } },
  // 101 * 3 normals is odd: the first noise value is the gauss cached while drawing X.
  { seed: 3, opts: { nSamples: 101, nFeatures: 3, nInformative: 1, nTargets: 2, noise: 2 } },
  { seed: 5, opts: { nSamples: 999, nFeatures: 1, bias: -1.25, noise: 3 } },
  { seed: 9, opts: { nSamples: 40, nFeatures: 5, nInformative: 1, bias: 2, shuffle: false } },
];

/**
 * Two or more informative features: numpy's X @ coef goes through BLAS, whose summation order and
 * use of fused multiply-add are the library's choice (OpenBLAS on an AVX-512 machine fuses even
 * the two-term sums that its SSE3 kernel does not), so X and coef are bitwise and y is held to
 * the rounding of a dot product summed in any order.
 */
const BLAS_DEPENDENT_CASES: { seed: number; opts: MakeRegressionOptions }[] = [
  { seed: 7, opts: { nSamples: 200, nFeatures: 3, nInformative: 2, bias: 5, noise: 0.5 } },
  { seed: 11, opts: { nSamples: 50, nFeatures: 4, nInformative: 2, shuffle: false } },
  { seed: 12, opts: { nSamples: 64, nFeatures: 2, nInformative: 2, nTargets: 3, noise: 0.1 } },
  { seed: 13, opts: { nSamples: 300, nFeatures: 6, noise: 1 } },
];

function toPythonKwargs(opts: MakeRegressionOptions): Record<string, number | boolean> {
  return {
    n_samples: opts.nSamples,
    n_features: opts.nFeatures,
    n_informative: opts.nInformative ?? 10,
    n_targets: opts.nTargets ?? 1,
    bias: opts.bias ?? 0,
    noise: opts.noise ?? 0,
    shuffle: opts.shuffle ?? true,
  };
}

const PY_SCRIPT = String.raw`
import json, sys
try:
    import numpy as np
    import sklearn
    from sklearn.datasets import make_regression
except ImportError as exc:
    print(json.dumps({"importError": repr(exc)}))
    sys.exit(0)

req = json.loads(sys.argv[1])
hexf = lambda a: np.ascontiguousarray(a, dtype="<f8").tobytes().hex()

streams = []
for seed in req["streamSeeds"]:
    n = req["streamLength"]
    np.random.seed(seed)
    key, pos = np.random.get_state()[1:3]
    np.random.seed(seed); uint32 = np.random.randint(0, 2**32, size=n, dtype=np.uint32)
    np.random.seed(seed); samples = np.random.random_sample(n)
    np.random.seed(seed); normals = np.random.standard_normal(n)
    # One mixed sequence: the gauss cache must survive uniform/normal/shuffle draws in between.
    np.random.seed(seed)
    mixed = np.concatenate([np.random.standard_normal(3), np.random.uniform(-3.0, 5.0, 4),
                            np.random.normal(2.5, 0.75, 5), np.random.random_sample(2)])
    perms = [np.random.permutation(k).tolist() for k in req["permutationSizes"]]
    mixed_tail = np.random.standard_normal(3)
    state = np.random.get_state()
    streams.append({
        "seed": seed, "key": key.tolist(), "pos": int(pos), "uint32": uint32.tolist(),
        "randomSample": hexf(samples), "standardNormal": hexf(normals),
        "mixed": hexf(mixed), "permutations": perms, "mixedTail": hexf(mixed_tail),
        "endState": {"key": state[1].tolist(), "pos": int(state[2]), "hasGauss": int(state[3]),
                     "cachedGaussian": hexf(state[4])},
    })

# The C library's log, which legacy gauss calls (math.log is a direct call to it), on the
# inputs gauss feeds it (x1^2 + x2^2 in (0, 1)), on the separate path near 1, and far out.
import math
from fractions import Fraction
gen = np.random.RandomState(2718)
n = req["logCount"]
pairs = 2.0 * gen.random_sample((2, n)) - 1.0
radii = (pairs * pairs).sum(axis=0)
log_inputs = np.concatenate([radii[(radii > 0) & (radii < 1)], 1.0 + gen.uniform(-0.0625, 0.065, n // 4),
                             np.exp(gen.uniform(-744.0, 709.0, n // 4)), [1.0, 5e-324, 2.2250738585072014e-308]])
logs = np.array([math.log(v) for v in log_inputs.tolist()])
# Exact a * b + c, rounded once: what the emulated fused multiply-add must return.
m = req["fmaCount"]
fa = gen.standard_normal(m) * np.exp2(gen.randint(-60, 60, m))
fb = gen.standard_normal(m) * np.exp2(gen.randint(-60, 60, m))
fc = np.where(gen.random_sample(m) < 0.5, -(fa * fb) * (1 + gen.standard_normal(m) * 2.0**-40),
              gen.standard_normal(m) * np.exp2(gen.randint(-120, 120, m)))
fused = [float(Fraction(a) * Fraction(b) + Fraction(c)) for a, b, c in zip(fa.tolist(), fb.tolist(), fc.tolist())]

regressions = []
for case in req["regressionCases"]:
    np.random.seed(case["seed"])
    X, y, coef = make_regression(**case["kwargs"], coef=True)
    regressions.append({"X": hexf(X), "y": hexf(y), "coef": hexf(coef)})

print(json.dumps({"numpy": np.__version__, "sklearn": sklearn.__version__,
                  "streams": streams, "regressions": regressions,
                  "log": {"x": hexf(log_inputs), "y": hexf(logs)},
                  "fma": {"a": hexf(fa), "b": hexf(fb), "c": hexf(fc), "result": hexf(np.array(fused))}}))
`;

interface PyStream {
  seed: number;
  key: number[];
  pos: number;
  uint32: number[];
  randomSample: string;
  standardNormal: string;
  mixed: string;
  permutations: number[][];
  mixedTail: string;
  endState: { key: number[]; pos: number; hasGauss: number; cachedGaussian: string };
}

interface PyRegression {
  X: string;
  y: string;
  coef: string;
}

interface PyReference {
  numpy: string;
  sklearn: string;
  streams: PyStream[];
  regressions: PyRegression[];
  log: { x: string; y: string };
  fma: { a: string; b: string; c: string; result: string };
}

/** Runs numpy/sklearn once; any way of not getting a reference is a thrown, explained failure. */
function loadPythonReference(): PyReference {
  const request = {
    streamSeeds: STREAM_SEEDS,
    streamLength: STREAM_LENGTH,
    permutationSizes: PERMUTATION_SIZES,
    logCount: 20000,
    fmaCount: 5000,
    regressionCases: [...EXACT_CASES, ...BLAS_DEPENDENT_CASES].map((c) => ({ seed: c.seed, kwargs: toPythonKwargs(c.opts) })),
  };
  const stdout = runPython(['-c', PY_SCRIPT, JSON.stringify(request)], '');
  const parsed: unknown = JSON.parse(stdout);
  if (typeof parsed === 'object' && parsed !== null && 'importError' in parsed) {
    throw new Error(`${PYTHON} cannot import numpy/sklearn (${String(parsed.importError)}). Install them: ${INSTALL_HINT}`);
  }
  return parsed as PyReference;
}

/** Little-endian float64 bytes, as numpy wrote them, back to numbers without any rounding. */
function fromHex(hex: string): Float64Array {
  const bytes = Buffer.from(hex, 'hex');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float64Array.from({ length: bytes.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

function bitsOf(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}

/** Fails on the first element that is not the identical float64 (Object.is: -0 and NaN too). */
function expectBitwiseEqual(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(
        `${label}[${i}]: got ${actual[i]} (0x${bitsOf(actual[i])}), numpy has ${expected[i]} (0x${bitsOf(expected[i])})`,
      );
    }
  }
}

/** make_regression drawn here and by numpy (reference case `index`): X and coef must be bitwise
 * identical in every case; y is returned for the caller's own comparison. */
function drawAndCompareXCoef(seed: number, opts: MakeRegressionOptions, index: number): { actual: RegressionData; expectedY: Float64Array } {
  const actual = makeRegression(opts, new NumpyRandomState(seed));
  const py = reference().regressions[index];
  expectBitwiseEqual(actual.X, fromHex(py.X), 'X');
  expectBitwiseEqual(actual.coef, fromHex(py.coef), 'coef');
  return { actual, expectedY: fromHex(py.y) };
}

function draw(n: number, next: () => number): Float64Array {
  return Float64Array.from({ length: n }, () => next());
}

let referenceOutcome: { value: PyReference } | { error: Error } | undefined;

/**
 * The reference, computed on first use and shared. A missing reference is rethrown by every
 * test that needs it, so each of them fails with the reason instead of being skipped.
 */
function reference(): PyReference {
  if (referenceOutcome === undefined) {
    try {
      referenceOutcome = { value: loadPythonReference() };
    } catch (error) {
      referenceOutcome = { error: error instanceof Error ? error : new Error(String(error)) };
    }
  }
  if ('error' in referenceOutcome) throw referenceOutcome.error;
  return referenceOutcome.value;
}

function referenceStream(seed: number): PyStream {
  const stream = reference().streams.find((s) => s.seed === seed);
  if (!stream) throw new Error(`the Python reference has no stream for seed ${seed}`);
  return stream;
}

// The first test pays for starting Python (about two seconds here).
describe('NumpyRandomState and makeRegression against numpy/sklearn', { timeout: 180_000 }, () => {
  it('reports the versions it compared against', () => {
    expect(reference().numpy).toMatch(/^\d+\.\d+/);
    expect(reference().sklearn).toMatch(/^\d+\.\d+/);
  });

  it('glibcLog is bitwise the C library log that numpy\'s legacy gauss calls', () => {
    const inputs = fromHex(reference().log.x);
    // A mismatch here on another machine most likely means its glibc chose a non-FMA variant
    // of log (CPU without FMA/AVX2) or is not glibc 2.28+; gauss values then drift by 1 ulp.
    expectBitwiseEqual(inputs.map(glibcLog), fromHex(reference().log.y), 'log');
  });

  it('fusedMultiplyAdd rounds a * b + c once, exactly', () => {
    const [a, b, c] = [fromHex(reference().fma.a), fromHex(reference().fma.b), fromHex(reference().fma.c)];
    expectBitwiseEqual(a.map((ai, i) => fusedMultiplyAdd(ai, b[i], c[i])), fromHex(reference().fma.result), 'fma');
  });

  it.each(STREAM_SEEDS)('seed %i: legacy seeding gives numpy\'s MT19937 key word for word', (seed) => {
    const py = referenceStream(seed);
    const state = new NumpyRandomState(seed).getState();
    expect(Array.from(state.key)).toEqual(py.key);
    expect(state.pos).toBe(py.pos);
  });

  it.each(STREAM_SEEDS)('seed %i: uint32, random_sample and standard_normal streams are bitwise identical', (seed) => {
    const py = referenceStream(seed);
    const raw = new NumpyRandomState(seed);
    expect(Array.from({ length: STREAM_LENGTH }, () => raw.nextUint32())).toEqual(py.uint32);
    const uniform = new NumpyRandomState(seed);
    expectBitwiseEqual(draw(STREAM_LENGTH, () => uniform.randomSample()), fromHex(py.randomSample), 'random_sample');
    const gauss = new NumpyRandomState(seed);
    expectBitwiseEqual(draw(STREAM_LENGTH, () => gauss.standardNormal()), fromHex(py.standardNormal), 'standard_normal');
  });

  it.each(STREAM_SEEDS)('seed %i: mixed draws, permutations and the final state match numpy', (seed) => {
    const py = referenceStream(seed);
    const rng = new NumpyRandomState(seed);
    const mixed = [
      ...draw(3, () => rng.standardNormal()),
      ...draw(4, () => rng.uniform(-3, 5)),
      ...draw(5, () => rng.normal(2.5, 0.75)),
      ...draw(2, () => rng.randomSample()),
    ];
    expectBitwiseEqual(mixed, fromHex(py.mixed), 'mixed');
    PERMUTATION_SIZES.forEach((n, i) => expect(rng.permutation(n), `permutation(${n})`).toEqual(py.permutations[i]));
    expectBitwiseEqual(draw(3, () => rng.standardNormal()), fromHex(py.mixedTail), 'standard_normal after permutations');

    const state = rng.getState();
    expect(Array.from(state.key)).toEqual(py.endState.key);
    expect(state.pos).toBe(py.endState.pos);
    expect(state.hasGauss).toBe(py.endState.hasGauss === 1);
    expectBitwiseEqual([state.cachedGaussian], fromHex(py.endState.cachedGaussian), 'cached gaussian');
  });

  it.each(EXACT_CASES.map((c, i) => ({ ...c, i, name: JSON.stringify(c.opts) })))(
    'np.random.seed($seed); make_regression($name) is bitwise identical',
    ({ seed, opts, i }) => {
      const { actual, expectedY } = drawAndCompareXCoef(seed, opts, i);
      expectBitwiseEqual(actual.y, expectedY, 'y');
    },
  );

  it.each(BLAS_DEPENDENT_CASES.map((c, i) => ({ ...c, i, name: JSON.stringify(c.opts) })))(
    'np.random.seed($seed); make_regression($name): X and coef bitwise, y within BLAS rounding',
    ({ seed, opts, i }) => {
      const { actual, expectedY } = drawAndCompareXCoef(seed, opts, EXACT_CASES.length + i);
      const nTargets = opts.nTargets ?? 1;
      expect(actual.y.length).toBe(expectedY.length);
      actual.y.forEach((v, j) => {
        // A dot product of n <= 6 terms summed in any order, fused or not, is within n·u·Σ|x_k c_k|
        // of the exact sum (u = 2^-53 = EPSILON / 2), and the bias and noise add two more roundings of
        // |y|. Both sides carry such errors: 16·EPSILON·(|y| + Σ|x_k c_k|) covers (6 + 2)·2 roundings
        // of u each, twice over. A wrong draw would be off by far more than this.
        const row = Math.floor(j / nTargets);
        const t = j % nTargets;
        let magnitude = Math.abs(expectedY[j]);
        for (let k = 0; k < opts.nFeatures; k++) magnitude += Math.abs(actual.X[row * opts.nFeatures + k] * actual.coef[k * nTargets + t]);
        expect(Math.abs(v - expectedY[j]), `y[${j}]`).toBeLessThanOrEqual(16 * Number.EPSILON * magnitude);
      });
    },
  );
});

describe('NumpyRandomState properties (no Python)', () => {
  const seed = fc.integer({ min: 0, max: 0xffffffff });

  it('random_sample stays in [0, 1) and uniform(low, high) starts at low', () => {
    fc.assert(
      fc.property(seed, (s) => {
        const rng = new NumpyRandomState(s);
        for (let i = 0; i < 200; i++) {
          const u = rng.randomSample();
          if (!(u >= 0 && u < 1)) return false;
        }
        return true;
      }),
    );
  });

  it('the same seed gives the same stream of every kind', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 300 }), (s, n) => {
        const a = new NumpyRandomState(s);
        const b = new NumpyRandomState(s);
        for (let i = 0; i < n; i++) {
          if (a.nextUint32() !== b.nextUint32()) return false;
          if (!Object.is(a.standardNormal(), b.standardNormal())) return false;
          if (!Object.is(a.randomSample(), b.randomSample())) return false;
        }
        return true;
      }),
    );
  });

  it('nextUint32 is an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(seed, (s) => {
        const rng = new NumpyRandomState(s);
        return Array.from({ length: 700 }, () => rng.nextUint32()).every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
      }),
    );
  });

  it('normal(loc, scale) is loc + scale * standardNormal on a twin generator', () => {
    fc.assert(
      fc.property(seed, fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (s, loc, scale) => {
        const a = new NumpyRandomState(s);
        const b = new NumpyRandomState(s);
        return [0, 1, 2].every(() => Object.is(a.normal(loc, scale), loc + scale * b.standardNormal()));
      }),
    );
  });

  it('randomInterval(max) lies in [0, max] and permutation(n) is a permutation', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 500 }), (s, max, n) => {
        const rng = new NumpyRandomState(s);
        const v = rng.randomInterval(max);
        const perm = rng.permutation(n);
        const sorted = [...perm].sort((x, y) => x - y);
        return Number.isInteger(v) && v >= 0 && v <= max && sorted.every((x, i) => x === i);
      }),
    );
  });

  it('rejects seeds numpy rejects', () => {
    for (const bad of [-1, 2 ** 32, 0.5, Number.NaN]) {
      expect(() => new NumpyRandomState(bad)).toThrow(RangeError);
    }
  });
});

describe('makeRegression properties (no Python)', () => {
  const options = fc.record({
    nSamples: fc.integer({ min: 1, max: 40 }),
    nFeatures: fc.integer({ min: 1, max: 6 }),
    nInformative: fc.integer({ min: 0, max: 2 }),
    nTargets: fc.integer({ min: 1, max: 3 }),
    bias: fc.double({ min: -100, max: 100, noNaN: true }),
  });

  const generate = (seed: number, opts: MakeRegressionOptions): RegressionData => makeRegression(opts, new NumpyRandomState(seed));

  it('shuffling only permutes what the unshuffled call drew (all its draws come last)', () => {
    fc.assert(
      fc.property(fc.nat(), options, (s, o) => {
        const plain = generate(s, { ...o, shuffle: false });
        const shuffled = generate(s, { ...o, shuffle: true });
        const sorted = (a: Float64Array): number[] => Array.from(a).sort((x, y) => x - y);
        expect(sorted(shuffled.X)).toEqual(sorted(plain.X));
        expect(sorted(shuffled.y)).toEqual(sorted(plain.y));
        expect(sorted(shuffled.coef)).toEqual(sorted(plain.coef));
      }),
      { numRuns: 50 },
    );
  });

  it('without noise y = X @ coef + bias exactly, and only the first nInformative coef rows are nonzero', () => {
    fc.assert(
      fc.property(fc.nat(), options, fc.boolean(), (s, o, shuffle) => {
        const { X, y, coef } = generate(s, { ...o, shuffle });
        const nInformative = Math.min(o.nInformative, o.nFeatures);
        for (let i = 0; i < o.nSamples; i++) {
          for (let t = 0; t < o.nTargets; t++) {
            // At most two nonzero products: their sum is exact up to order, so the column
            // shuffle cannot change a bit.
            let sum = 0;
            for (let k = 0; k < o.nFeatures; k++) sum += X[i * o.nFeatures + k] * coef[k * o.nTargets + t];
            expect(y[i * o.nTargets + t]).toBe(sum + o.bias);
          }
        }
        const nonzeroRows = new Set<number>();
        coef.forEach((c, idx) => {
          if (c !== 0) nonzeroRows.add(Math.floor(idx / o.nTargets));
        });
        expect(nonzeroRows.size).toBeLessThanOrEqual(nInformative);
        if (!shuffle) expect([...nonzeroRows].every((r) => r < nInformative)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('shapes follow the options', () => {
    fc.assert(
      fc.property(fc.nat(), options, (s, o) => {
        const { X, y, coef } = generate(s, o);
        return X.length === o.nSamples * o.nFeatures && y.length === o.nSamples * o.nTargets && coef.length === o.nFeatures * o.nTargets;
      }),
      { numRuns: 50 },
    );
  });
});
