import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Four well-mixed 32-bit state words from a list of integers (a tiny SeedSequence): pure-rand's
 * own xoroshiro128plus(seed) barely mixes the seed, so seeds 0, 1, 2 would start almost alike.
 */
function stateFrom(words: readonly number[]): number[] {
  const state: number[] = [0, 1, 2, 3].map((i): number => {
    let h = fmix32(0x9e3779b9 * (i + 1));
    for (const w of words) h = fmix32(h ^ fmix32(w + 0x7f4a7c15 * (i + 1)));
    return h | 0;
  });
  if (!state.some((w) => w !== 0)) state[0] = 1; // the one state xoroshiro cannot leave
  return state;
}

/** Split a non-negative integer below 2^53 into its low and high 32-bit words. */
function seedWords(seed: number): number[] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/** Everything a generator needs to continue exactly where it was (a checkpoint's RNG stream). */
export interface RngState {
  /** xoroshiro128+'s four 32-bit state words. */
  words: number[];
  /** The second Box-Muller value, kept for the next normal(). */
  spareNormal: number | null;
  /** The stream's path from the root seed, so fork() keeps working after a restore. */
  path: number[];
}

/**
 * The one seeded generator of gradlab: xoroshiro128+ from pure-rand (the generator fast-check
 * itself uses), with its state derived by hashing the seed, so the same seed gives
 * bitwise-identical streams on every platform and neighbouring seeds are unrelated.
 */
export class Rng {
  private spareNormal: number | null = null;

  private constructor(private readonly gen: JumpableRandomGenerator, private readonly path: readonly number[]) {}

  static seeded(seed: number): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be an integer in [0, 2^53), got ${seed}`);
    const path = seedWords(seed);
    return new Rng(xoroshiro128plusFromState(stateFrom(path)), path);
  }

  /** The exact state, to continue this stream later with Rng.fromState. */
  saveState(): RngState {
    return { words: [...this.gen.getState()], spareNormal: this.spareNormal, path: [...this.path] };
  }

  static fromState(state: RngState): Rng {
    const ok = Array.isArray(state.words) && state.words.length === 4 && state.words.every((w) => Number.isInteger(w))
      && (state.spareNormal === null || Number.isFinite(state.spareNormal)) && Array.isArray(state.path);
    if (!ok) throw new Error('not a saved generator state (words: four integers, spareNormal, path)');
    const rng = new Rng(xoroshiro128plusFromState(state.words), [...state.path]);
    rng.spareNormal = state.spareNormal;
    return rng;
  }

  /** An independent stream, named by the path of stream numbers from the root seed (so
   * rng.fork(0).fork(0) and rng.fork(1) differ), hashed into a fresh state. */
  fork(stream: number): Rng {
    if (!Number.isInteger(stream) || stream < 0) throw new Error(`stream must be an integer >= 0, got ${stream}`);
    const path = [...this.path, 0xf0f0f0f0, stream >>> 0];
    return new Rng(xoroshiro128plusFromState(stateFrom(path)), path);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.gen.next() >>> 5; // 27 bits
    const lo = this.gen.next() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Integer in [0, n). Multiply-shift on 53 bits: bias below 2^-40 for any n we use. */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal by the polar Box-Muller method (keeps the second value). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}
