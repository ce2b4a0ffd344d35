/**
 * A bit-for-bit replica of numpy's legacy `np.random.RandomState` (the generator behind
 * `np.random.seed` and every `np.random.*` module function), so that datasets generated in
 * Python with the global seed (e.g. sklearn's `make_regression` with no random_state) can be
 * regenerated here without Python.
 *
 * Everything follows numpy's C sources (numpy/random/src/mt19937/mt19937.c, legacy-distributions.c,
 * distributions.c, mtrand.pyx) and is checked against numpy by test/tasks/makeRegression.test.ts.
 * The normals also depend on the C library's log(); they match numpy on x86-64 glibc (2.28+)
 * with an FMA-capable CPU, where glibc runs the log variant replayed below. Uniforms, integers
 * and permutations depend on nothing but MT19937.
 */

/** Anything indexable and writable: plain arrays and typed arrays alike. */
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

/** Snapshot of the generator, laid out like numpy's `RandomState.get_state()`. */
export interface NumpyRandomStateSnapshot {
  /** The 624-word MT19937 key. */
  readonly key: Uint32Array;
  /** Index of the next word to temper; 624 means "twist before the next draw". */
  readonly pos: number;
  readonly hasGauss: boolean;
  readonly cachedGaussian: number;
}

// ---------------------------------------------------------------------------------------------
// Why this file carries its own log: legacy gauss calls the C library's log(), and V8's Math.log
// (an fdlibm port) differs from glibc's in the last bit for a few percent of inputs, so a
// Math.log version drifts from numpy within the first hundred normals. glibc's log is not
// correctly rounded either (about 1 in 1200 of the inputs gauss produces comes out 0.5001 to
// 0.502 ulp off), so the only way to bitwise identity is to replay glibc's own algorithm, with
// its table and the exact operations its compiled code performs.
// ---------------------------------------------------------------------------------------------

/** The two 32-bit words of one float64, for bit-level access without allocating. */
const scratchFloat = new Float64Array(1);
const scratchWords = new Uint32Array(scratchFloat.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOW_WORD = LITTLE_ENDIAN ? 0 : 1;
const HIGH_WORD = LITTLE_ENDIAN ? 1 : 0;

function highWord(x: number): number {
  scratchFloat[0] = x;
  return scratchWords[HIGH_WORD];
}

function fromWords(high: number, low: number): number {
  scratchWords[HIGH_WORD] = high;
  scratchWords[LOW_WORD] = low;
  return scratchFloat[0];
}

/** Veltkamp/Dekker: a * b = product + error exactly (barring overflow and underflow). */
function twoProductError(a: number, b: number, product: number): number {
  const splitter = 134217729; // 2^27 + 1
  const ta = splitter * a;
  const aHigh = ta - (ta - a);
  const aLow = a - aHigh;
  const tb = splitter * b;
  const bHigh = tb - (tb - b);
  const bLow = b - bHigh;
  return aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow;
}

/** Knuth's TwoSum: a + b = sum + error exactly. */
function twoSumError(a: number, b: number, sum: number): number {
  const bVirtual = sum - a;
  return a - (sum - bVirtual) + (b - bVirtual);
}

/** a + b rounded to odd: truncate, then force the last mantissa bit to 1 if inexact. */
function addRoundToOdd(a: number, b: number): number {
  const sum = a + b;
  const error = twoSumError(a, b, sum);
  scratchFloat[0] = sum;
  const low = scratchWords[LOW_WORD];
  if (error === 0 || (low & 1) === 1) return sum;
  // sum is even and inexact: the odd neighbour on the side of `error` is the round-to-odd value.
  const high = scratchWords[HIGH_WORD];
  const awayFromZero = (error > 0) === (sum > 0);
  if (awayFromZero) return fromWords(high, low + 1); // low is even, so no carry
  return low === 0 ? fromWords(high - 1, 0xffffffff) : fromWords(high, low - 1);
}

/** The largest operand Veltkamp's split takes without overflowing (2^995, with a margin). */
const SPLIT_SAFE = 2 ** 995;

/**
 * Correctly rounded a * b + c, i.e. the x86 vfmadd instruction, which JavaScript lacks.
 * Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using
 * rounding to odd" (IEEE TC 2008): exact product, TwoSum with c, round-to-odd of the two
 * error terms, one final rounding. Valid while a * b neither overflows nor underflows (its
 * error terms then stay normal), which holds for every call the log below makes.
 */
export function fusedMultiplyAdd(a: number, b: number, c: number): number {
  const product = a * b;
  if (product === 0 || !Number.isFinite(product) || !Number.isFinite(c)) return product + c;
  // Veltkamp's split multiplies each operand by 2^27 + 1, which overflows above ~2^996 even
  // when the product does not: move 2^60 from a huge operand to the other one. Both scalings are
  // exact, since a finite product keeps the other operand far below the top of the range.
  if (Math.abs(a) > SPLIT_SAFE) return fusedMultiplyAdd(a * 2 ** -60, b * 2 ** 60, c);
  if (Math.abs(b) > SPLIT_SAFE) return fusedMultiplyAdd(a * 2 ** 60, b * 2 ** -60, c);
  const productError = twoProductError(a, b, product);
  const sum = c + product;
  const sumError = twoSumError(c, product, sum);
  return sum + addRoundToOdd(sumError, productError);
}

// glibc 2.36 log (sysdeps/ieee754/dbl-64/e_log.c, from ARM optimized-routines) as built into
// __ieee754_log_fma, the variant glibc's ifunc picks on every x86-64 CPU with FMA and AVX2.
// The constants are __log_data read out of Debian's libm.so.6; the order of fused and unfused
// operations below follows that function's disassembly, since the C source leaves contraction
// to the compiler and each choice changes some last bits. (glibc's SSE2/AVX variants for CPUs
// without FMA, and other C libraries, round differently on rare inputs.)
const TWO_POW_27 = 134217728;
const TWO_POW_52 = 4503599627370496;
const LN2_HIGH = 0.6931471805598903;
const LN2_LOW = 5.497923018708371e-14;
/** log1p(r) - r ~ r^2 * (A0 + r A1 + ... + r^4 A4) on the main path. */
const A0 = -0.5000000000000001;
const A1 = 0.33333333331825593;
const A2 = -0.2499999999622955;
const A3 = 0.20000304511814496;
const A4 = -0.16667054827627667;
/** log(1 + r) for |r| < 0.065: r + B0 r^2 + r^3 * (B1 + ... ), B0 = -0.5. */
const B0 = -0.5;
const B1 = 0.3333333333333352;
const B2 = -0.24999999999998432;
const B3 = 0.19999999999320328;
const B4 = -0.16666666669929706;
const B5 = 0.14285715076560868;
const B6 = -0.12499997863982555;
const B7 = 0.11110712032936046;
const B8 = -0.10000486757818193;
const B9 = 0.09181994006195467;
const B10 = -0.08328363062289341;
/** 128 pairs (invc, logc): c near the centre of each subinterval of [0x1.6p-1, 0x1.6p0). */
const LOG_TABLE = new Float64Array([
  1.4504249240398293, -0.3718565645633589,
  1.442253508327276, -0.36620682668944937,
  1.4341736174350004, -0.3605888069791945,
  1.426183816329995, -0.3550022171419869,
  1.4182825527052965, -0.34944666968829097,
  1.4104682921759335, -0.3439217713603284,
  1.4027396147468003, -0.3384271921261188,
  1.3950954438932313, -0.332962831494342,
  1.3875338232485754, -0.32752794345742586,
  1.3800539211058593, -0.32212257167088865,
  1.3726542695419708, -0.3167462884799761,
  1.3653332798446802, -0.3113985598928366,
  1.358090204587874, -0.3060794515165526,
  1.3509234892132138, -0.300788424667644,
  1.3438320840699889, -0.2955252968476998,
  1.3368146974742003, -0.29028969275850613,
  1.329870114677736, -0.2850812793277555,
  1.322997339161106, -0.27989987391470095,
  1.316195352741367, -0.27474526621870154,
  1.3094628125672239, -0.2696169863701243,
  1.3027990455471041, -0.26451506180308115,
  1.2962024229438942, -0.2594387762767383,
  1.2896726275815547, -0.2543884090981692,
  1.2832080305745537, -0.24936321635129843,
  1.276807885983376, -0.24436312405975968,
  1.2704714060687552, -0.23938801747897287,
  1.2641976054949482, -0.23443761696705678,
  1.257985357514882, -0.22951151871518505,
  1.2518337750655457, -0.2246094963439873,
  1.2457421919097305, -0.21973149037705753,
  1.2397094966625508, -0.2148770752847895,
  1.2337348463589233, -0.210046029103637,
  1.2278176973028803, -0.20523836373934046,
  1.2219570190618474, -0.20045368751368642,
  1.2161519732977757, -0.1956917537758045,
  1.2104018095009725, -0.19095237845203883,
  1.204705805718973, -0.18623539250290833,
  1.1990631185441964, -0.18154051731551135,
  1.1934733004462308, -0.1768677957431919,
  1.1879350812847385, -0.17221657406412305,
  1.1824481322833125, -0.16758697765942543,
  1.1770114976921955, -0.16297859687290384,
  1.1716248121809465, -0.15839151377804228,
  1.1662869231674715, -0.15382513241456763,
  1.1609977486762766, -0.14927976358922024,
  1.1557563220795803, -0.14475495398119165,
  1.1505619105480347, -0.14025044090817573,
  1.1454138888505974, -0.1357660466685502,
  1.140311877374656, -0.1313018016355727,
  1.1352550225747513, -0.12685731518763532,
  1.1302429094831266, -0.1224325737671279,
  1.1252747693068048, -0.11802724521862729,
  1.1203501571039876, -0.11364127671663482,
  1.1154683327680124, -0.10927434611278386,
  1.1106291463292157, -0.10492665324943573,
  1.1058315813301596, -0.10059761422644442,
  1.1010752177696026, -0.09628717309055901,
  1.0963597137952512, -0.09199534069557558,
  1.0916844827550398, -0.08772190036688698,
  1.0870487291277784, -0.08346643613867855,
  1.082452357388312, -0.07922916827544668,
  1.0778948225025884, -0.0750099004750382,
  1.0733751731601076, -0.07080805133352897,
  1.068893585073351, -0.06662408085151128,
  1.0644491706655506, -0.06245745471915143,
  1.0600414846328305, -0.0583080438042316,
  1.0556701316181605, -0.05417576112313327,
  1.051334750556926, -0.050060547896805474,
  1.0470347288442157, -0.045962101199052086,
  1.0427699229652954, -0.04188056008865715,
  1.0385395013738175, -0.03781540056183985,
  1.034343418940345, -0.03376684757915882,
  1.0301811073173315, -0.029734619131772888,
  1.026052043621297, -0.025718470239212365,
  1.0219561082336197, -0.021718543925430822,
  1.0178926505784922, -0.01773446126981071,
  1.0138614436244586, -0.013766252464051831,
  1.0098620186501341, -0.009813706322574944,
  1.0058938559734134, -0.005876555150052809,
  1.00195696235014, -0.0019550499938532084,
  0.9961089923088509, 0.0038985973556009412,
  0.9884170338185201, 0.011650571286395461,
  0.9808429191005297, 0.019342955478919066,
  0.9733840169987446, 0.0269766014846482,
  0.9660377568876556, 0.034552359728422744,
  0.9588014945307369, 0.04207121767183253,
  0.9516728569073111, 0.049533940950141186,
  0.9446494635965822, 0.056941358295944156,
  0.9377288993026223, 0.06429439168346107,
  0.9309091073790681, 0.0715936354946507,
  0.924187681612722, 0.07884010933776153,
  0.9175626765599192, 0.08603438905970506,
  0.9110320403624034, 0.09317721180013905,
  0.9045935839762024, 0.10026951462748457,
  0.8982456375922825, 0.10731170956330516,
  0.8919860966782501, 0.11430473320717738,
  0.8858131121185129, 0.12124928503033061,
  0.879725075760676, 0.12814583422959913,
  0.8737201372634685, 0.1349951636851756,
  0.8677966405782273, 0.1417978768189414,
  0.8619528050060739, 0.14855476039031146,
  0.8561872354420692, 0.1552661937658968,
  0.8504983927816893, 0.16193275688146969,
  0.8448844572790304, 0.16855539792220497,
  0.8393442741575965, 0.1751343179947753,
  0.8338762249349438, 0.1816702989864325,
  0.8284789320557778, 0.18816387146023317,
  0.8231510800065832, 0.1946155228479256,
  0.8178913903778707, 0.20102572579389744,
  0.8126984007245374, 0.2073952090795501,
  0.8075710029460227, 0.21372429840596396,
  0.8025078881160415, 0.2200135945981856,
  0.7975077379364331, 0.22626374162859975,
  0.792569604966373, 0.23247494747693054,
  0.7876923641254114, 0.23864766620658884,
  0.7828746724940998, 0.24478265647405806,
  0.7781155388790811, 0.25088025827324145,
  0.7734139557869777, 0.2569408552510595,
  0.7687687179914933, 0.26296511155101143,
  0.7641790698041854, 0.2689531327189343,
  0.7596438763692399, 0.27490553924610595,
  0.7551621951078668, 0.2808227248478943,
  0.7507331780216866, 0.286704979267256,
  0.7463557196361751, 0.29255295645509705,
  0.7420289364869653, 0.2983670386142876,
  0.7377521537065876, 0.30414734587282055,
  0.7335242966002608, 0.30989455774829366,
  0.729344777457841, 0.31560871301871884,
]);

/** log(x) for x within [1 - 2^-4, 1 + 0x1.09p-4), the separate path glibc uses near 1. */
function logNearOne(x: number): number {
  if (x === 1) return 0;
  const fma = fusedMultiplyAdd;
  const r = x - 1;
  const r2 = r * r;
  const r3 = r * r2;
  const q1 = fma(r2, B3, fma(r, B2, B1));
  const q2 = fma(r2, B6, fma(r, B5, B4));
  const q3 = fma(r3, B10, fma(r2, B9, fma(r, B8, B7)));
  const poly = fma(fma(q3, r3, q2), r3, q1);
  // r = rhi + rlo with rhi holding 26 bits, so rhi * rhi and B0 * rhi^2 are exact.
  const rhi = fma(r, TWO_POW_27, r) - r * TWO_POW_27;
  const rlo = r - rhi;
  const rhiSquared = rhi * rhi;
  const hi = fma(rhiSquared, B0, r);
  const lo = fma(B0 * rlo, rhi + r, fma(rhiSquared, B0, r - hi));
  return hi + fma(poly, r3, lo);
}

/** Natural logarithm, bit for bit as glibc's __ieee754_log_fma computes it. */
export function glibcLog(x: number): number {
  let high = highWord(x);
  let low = scratchWords[LOW_WORD];
  // ix - asuint64(1 - 2^-4) < asuint64(1 + 0x1.09p-4) - asuint64(1 - 2^-4), on the high word
  // alone because both bounds have a zero low word.
  if (((high - 0x3fee0000) >>> 0) < 0x00030900) return logNearOne(x);
  const top = high >>> 16;
  if (((top - 0x0010) >>> 0) >= 0x7ff0 - 0x0010) {
    if (x === 0) return -Infinity;
    if (x === Infinity) return Infinity;
    if (!(x > 0)) return NaN;
    // Subnormal: scale into the normal range and take 52 off the exponent.
    high = highWord(x * TWO_POW_52) - (52 << 20);
    low = scratchWords[LOW_WORD];
  }
  // x = 2^k z with z in [0x1.6p-1, 0x1.6p0); i picks the subinterval z falls in.
  const tmpHigh = (high - 0x3fe60000) | 0;
  const i = (tmpHigh >>> 13) & 0x7f;
  const k = tmpHigh >> 20;
  const z = fromWords(high - (tmpHigh & 0xfff00000), low);
  const invc = LOG_TABLE[2 * i];
  const logc = LOG_TABLE[2 * i + 1];
  const fma = fusedMultiplyAdd;
  const r = fma(z, invc, -1);
  const w = fma(k, LN2_HIGH, logc);
  const hi = w + r;
  const lo = fma(k, LN2_LOW, w - hi + r);
  const r2 = r * r;
  const tail = fma(fma(fma(r, A4, A3), r2, fma(r, A2, A1)), r * r2, fma(r2, A0, lo));
  return tail + hi;
}

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MAX_UINT32 = 0xffffffff;

/**
 * MT19937 written out here instead of using pure-rand's `mersenne`: numpy's legacy stream is
 * defined by its exact seeding (init_genrand for an integer seed), its twist-all-624-at-once
 * state with a position counter, and unsigned 32-bit outputs. Owning those 40 lines lets
 * `getState()` be compared word for word with numpy's `get_state()`, rather than depending on
 * the internal representation of another library.
 */
class MT19937 {
  readonly key = new Uint32Array(N);
  pos = N;

  /** numpy's mt19937_seed == Matsumoto-Nishimura init_genrand. */
  constructor(seed: number) {
    this.key[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.key[i - 1] ^ (this.key[i - 1] >>> 30);
      // Math.imul keeps the product modulo 2^32 (a float multiply would lose the low bits).
      this.key[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** Regenerates all 624 words in place (mt19937_gen). */
  private twist(): void {
    const key = this.key;
    for (let i = 0; i < N; i++) {
      const y = (key[i] & UPPER_MASK) | (key[(i + 1) % N] & LOWER_MASK);
      key[i] = key[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.pos = 0;
  }

  nextUint32(): number {
    if (this.pos === N) this.twist();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** Smallest all-ones bit mask >= max, for max < 2^32 (as in numpy's random_interval). */
function bitMaskCovering(max: number): number {
  let mask = max >>> 0;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

export class NumpyRandomState {
  private readonly mt: MT19937;
  // Legacy gauss draws normals in pairs and keeps the second; the cache lives in the generator
  // state, so it survives intervening non-Gaussian draws (uniform, shuffle) just as in numpy.
  private hasGauss = false;
  private cachedGaussian = 0;

  /** Like `np.random.seed(seed)` / `np.random.RandomState(seed)` for an integer seed. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_UINT32) {
      // numpy raises ValueError("Seed must be between 0 and 2**32 - 1") for the same inputs.
      throw new RangeError(`seed must be an integer in [0, 2**32 - 1], got ${seed}`);
    }
    this.mt = new MT19937(seed);
  }

  /** Raw 32-bit output, as `randint(0, 2**32, dtype=np.uint32)` returns it. */
  nextUint32(): number {
    return this.mt.nextUint32();
  }

  /** `random_sample()`: 53 random bits from two words (27 high, 26 low), in [0, 1). */
  randomSample(): number {
    const a = this.mt.nextUint32() >>> 5;
    const b = this.mt.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * `standard_normal()` in legacy mode: numpy's legacy_gauss, the polar Box-Muller method.
   * Each accepted pair yields f*x2 now and caches f*x1 for the next call.
   */
  standardNormal(): number {
    if (this.hasGauss) {
      const cached = this.cachedGaussian;
      this.hasGauss = false;
      this.cachedGaussian = 0;
      return cached;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.randomSample() - 1;
      x2 = 2 * this.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * glibcLog(r2)) / r2);
    this.cachedGaussian = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** `normal(loc, scale)`: legacy_normal, loc + scale * gauss (the same rounding steps). */
  normal(loc = 0, scale = 1): number {
    return loc + scale * this.standardNormal();
  }

  /** `uniform(low, high)`: low + (high - low) * random_sample, the range computed once. */
  uniform(low = 0, high = 1): number {
    const range = high - low;
    if (!Number.isFinite(range)) throw new RangeError('uniform: range exceeds valid bounds');
    return low + range * this.randomSample();
  }

  /**
   * numpy's random_interval: uniform integer in [0, max] by masking to the smallest covering
   * bit mask and rejecting values above max. numpy switches to 64-bit draws above 2^32 - 1;
   * JavaScript arrays cannot be long enough to need that, so it is refused rather than guessed.
   */
  randomInterval(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max > MAX_UINT32) {
      throw new RangeError(`randomInterval: max must be an integer in [0, 2**32 - 1], got ${max}`);
    }
    if (max === 0) return 0;
    const mask = bitMaskCovering(max);
    let value: number;
    do {
      value = (this.mt.nextUint32() & mask) >>> 0;
    } while (value > max);
    return value;
  }

  /**
   * `shuffle(x)` in place, legacy 1-d path: Fisher-Yates from the last element down,
   * swapping x[i] with x[random_interval(i)] for i = n-1 .. 1 (no draw for n <= 1).
   */
  shuffle<T>(array: MutableArrayLike<T>): void {
    for (let i = array.length - 1; i >= 1; i--) {
      const j = this.randomInterval(i);
      const held = array[j];
      array[j] = array[i];
      array[i] = held;
    }
  }

  /** `permutation(n)`: shuffles arange(n) exactly as `shuffle` does. */
  permutation(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`permutation: n must be a non-negative integer, got ${n}`);
    const indices = Array.from({ length: n }, (_, i) => i);
    this.shuffle(indices);
    return indices;
  }

  /** State in the shape of numpy's `get_state()` ('MT19937', key, pos, has_gauss, cached_gaussian). */
  getState(): NumpyRandomStateSnapshot {
    return {
      key: this.mt.key.slice(),
      pos: this.mt.pos,
      hasGauss: this.hasGauss,
      cachedGaussian: this.cachedGaussian,
    };
  }
}
