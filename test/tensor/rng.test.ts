/**
 * The seeded generator (src/tensor/rng.ts): reproducible streams, forks, and the distributions.
 *
 * Statistical checks allow 5 standard errors of the estimated quantity: a correct generator
 * fails one with probability ~6e-7, while a wrong transform (Box-Muller scale, a uniform on
 * [-1, 1), a lost bit) is off by hundreds of standard errors at 20k+ draws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/tensor/rng.ts';
import { fcParams } from '../helpers/fc.ts';

// Seeds are integers in [0, 2^53); the arbitrary covers the 32-bit range and beyond.
const seedArb = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

/** A mixed sequence of every kind of draw, so a generator state shared wrongly shows up. */
function mixedStream(rng: Rng, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    switch (i % 5) {
      case 0: out.push(rng.uniform()); break;
      case 1: out.push(rng.normal()); break;
      case 2: out.push(rng.int(1000)); break;
      case 3: out.push(rng.uniformIn(-3, 5)); break;
      default: out.push(rng.normal()); break;
    }
  }
  return out;
}

function uniforms(rng: Rng, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.uniform());
}

function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`draw ${i}: ${a[i]} vs ${b[i]}`);
}

function expectWithin5Se(estimate: number, expected: number, se: number, what: string): void {
  const z = (estimate - expected) / se;
  if (!(Math.abs(z) <= 5)) throw new Error(`${what}: ${estimate} vs expected ${expected} is ${z.toFixed(1)} standard errors off (se ${se})`);
}

describe('Rng streams', () => {
  it('the same seed gives the identical stream (bitwise), for every kind of draw', () => {
    fc.assert(fc.property(seedArb, (seed) => {
      expectSameBits(mixedStream(Rng.seeded(seed), 2000), mixedStream(Rng.seeded(seed), 2000));
    }), fcParams(30));
  });

  it('different seeds give different streams', () => {
    fc.assert(fc.property(seedArb, seedArb, (a, b) => {
      fc.pre(a !== b);
      const x = uniforms(Rng.seeded(a), 8);
      const y = uniforms(Rng.seeded(b), 8);
      expect(x.some((v, i) => v !== y[i])).toBe(true);
    }), fcParams(200));
  });

  it('adjacent seeds (0, 1, 2, ... as experiments use them) give independent streams from the first draw', () => {
    // For each of the first 16 uniform() draws u_k, over seeds 0..19999: u_k(seed) must look
    // U(0, 1) across seeds (mean 1/2, se sqrt(1/12/n)), and the pairs (seed 2j, seed 2j+1)
    // must look independent: E|u - v| = 1/3 for independent U(0, 1), with Var|u - v| = 1/18.
    const n = 20_000;
    const K = 16;
    const draws = Array.from({ length: n }, (_, seed) => uniforms(Rng.seeded(seed), K));
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let seed = 0; seed < n; seed++) s += draws[seed][k];
      expectWithin5Se(s / n, 0.5, Math.sqrt(1 / 12 / n), `mean over seeds of uniform draw #${k + 1}`);
      let d = 0;
      for (let j = 0; j < n / 2; j++) d += Math.abs(draws[2 * j][k] - draws[2 * j + 1][k]);
      expectWithin5Se(d / (n / 2), 1 / 3, Math.sqrt(1 / 18 / (n / 2)), `E|u(2j) - u(2j+1)| of uniform draw #${k + 1}`);
    }
  });

  it('rejects a seed that is not an integer', () => {
    for (const bad of [0.5, NaN, Infinity, -1.25, -1, 2 ** 53]) expect(() => Rng.seeded(bad)).toThrow(/integer/);
  });
});

describe('Rng.fork', () => {
  it('is reproducible: the same parent state and stream number give the same stream', () => {
    fc.assert(fc.property(seedArb, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 50 }), (seed, stream, skip) => {
      const p = Rng.seeded(seed);
      const q = Rng.seeded(seed);
      uniforms(p, skip);
      uniforms(q, skip);
      expectSameBits(mixedStream(p.fork(stream), 500), mixedStream(q.fork(stream), 500));
    }), fcParams(30));
  });

  it('does not advance or disturb the parent', () => {
    fc.assert(fc.property(seedArb, (seed) => {
      const p = Rng.seeded(seed);
      const before = uniforms(p, 10);
      const child = p.fork(0);
      uniforms(child, 100); // drawing from the child must not move the parent either
      const after = mixedStream(p, 500);
      const fresh = Rng.seeded(seed);
      expectSameBits(uniforms(fresh, 10), before);
      expectSameBits(mixedStream(fresh, 500), after);
    }), fcParams(30));
  });

  it('sibling forks and the parent give disjoint streams (no shared value in 10k draws each)', () => {
    fc.assert(fc.property(seedArb, (seed) => {
      const p = Rng.seeded(seed);
      const streams = [p.fork(0), p.fork(1), p.fork(2), p.fork(7)].map((r) => uniforms(r, 10_000));
      streams.push(uniforms(p, 10_000));
      // 53-bit values: 50k random draws share a value by chance with probability ~1e-7, while
      // overlapping streams (a fork that is the parent shifted by a few draws) share thousands.
      const seen = new Map<number, number>();
      streams.forEach((s, k) => s.forEach((v) => {
        const other = seen.get(v);
        if (other !== undefined && other !== k) throw new Error(`streams ${other} and ${k} share the value ${v}`);
        seen.set(v, k);
      }));
    }), fcParams(3));
  });
});

describe('Rng distributions', () => {
  it('uniform() is in [0, 1), a multiple of 2^-53, mean 1/2, E[u²] = 1/3, and fills 10 equal bins', () => {
    fc.assert(fc.property(seedArb, (seed) => {
      const n = 100_000;
      const v = uniforms(Rng.seeded(seed), n);
      let s = 0;
      let s2 = 0;
      const bins = new Array<number>(10).fill(0);
      for (const u of v) {
        if (!(u >= 0 && u < 1)) throw new Error(`uniform() gave ${u}`);
        if (!Number.isInteger(u * 2 ** 53)) throw new Error(`uniform() gave ${u}, not a multiple of 2^-53`);
        s += u;
        s2 += u * u;
        bins[Math.floor(u * 10)]++;
      }
      expectWithin5Se(s / n, 0.5, Math.sqrt(1 / 12 / n), 'mean');
      // Var(u²) = E[u⁴] - E[u²]² = 1/5 - 1/9 = 4/45.
      expectWithin5Se(s2 / n, 1 / 3, Math.sqrt(4 / 45 / n), 'E[u²]');
      bins.forEach((c, b) => expectWithin5Se(c / n, 0.1, Math.sqrt(0.1 * 0.9 / n), `bin ${b}`));
    }), fcParams(3));
  });

  it('uniform() uses all 53 bits: the low bits are not constant', () => {
    const v = uniforms(Rng.seeded(5), 1000).map((u) => (u * 2 ** 53) % 4);
    expect(new Set(v).size).toBe(4);
  });

  it('uniformIn(low, high) lies in [low, high); int(n) is an integer in [0, n) hitting every value', () => {
    fc.assert(fc.property(seedArb, fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: 1e-3, max: 100, noNaN: true }), fc.integer({ min: 1, max: 20 }),
      (seed, low, width, n) => {
        const rng = Rng.seeded(seed);
        const high = low + width;
        const counts = new Array<number>(n).fill(0);
        for (let i = 0; i < 2000; i++) {
          const x = rng.uniformIn(low, high);
          if (!(x >= low && x <= high)) throw new Error(`uniformIn(${low}, ${high}) gave ${x}`);
          const k = rng.int(n);
          if (!(Number.isInteger(k) && k >= 0 && k < n)) throw new Error(`int(${n}) gave ${k}`);
          counts[k]++;
        }
        // Each of n <= 20 values has probability 1/n per draw: all appear in 2000 draws
        // except with probability below 20 (19/20)^2000 ≈ 1e-43.
        expect(counts.every((c) => c > 0)).toBe(true);
      }), fcParams(30));
  });

  it('normal(): mean 0 and variance 1 within 5 standard errors over 20k draws (and P(|x| <= 1) = 0.6827)', () => {
    fc.assert(fc.property(seedArb, (seed) => {
      const n = 20_000;
      const rng = Rng.seeded(seed);
      let s = 0;
      let s2 = 0;
      let inside = 0;
      for (let i = 0; i < n; i++) {
        const x = rng.normal();
        s += x;
        s2 += x * x;
        if (Math.abs(x) <= 1) inside++;
      }
      const mean = s / n;
      expectWithin5Se(mean, 0, 1 / Math.sqrt(n), 'mean');
      // The sample variance of n normals has standard error sqrt(2/(n-1)) ≈ sqrt(2/n).
      const variance = (s2 - n * mean * mean) / (n - 1);
      expectWithin5Se(variance, 1, Math.sqrt(2 / (n - 1)), 'variance');
      const p = 0.6826894921370859;
      expectWithin5Se(inside / n, p, Math.sqrt(p * (1 - p) / n), 'P(|x| <= 1)');
    }), fcParams(5));
  });

  it('normal() pairs are uncorrelated (the cached second value of Box-Muller is not a copy)', () => {
    const n = 20_000;
    const rng = Rng.seeded(17);
    let sxy = 0;
    for (let i = 0; i < n; i++) sxy += rng.normal() * rng.normal();
    // E[xy] = 0 with Var(xy) = 1 for independent standard normals.
    expectWithin5Se(sxy / n, 0, 1 / Math.sqrt(n), 'E[x y] of consecutive normals');
  });

  it('shuffle() returns a permutation of its input, in place, and is reproducible', () => {
    fc.assert(fc.property(seedArb, fc.array(fc.integer(), { maxLength: 50 }), (seed, items) => {
      const a = [...items];
      const out = Rng.seeded(seed).shuffle(a);
      expect(out).toBe(a);
      expect([...a].sort((x, y) => x - y)).toEqual([...items].sort((x, y) => x - y));
      expect(Rng.seeded(seed).shuffle([...items])).toEqual(a);
    }), fcParams(50));
  });
});
