// Pointwise gate math of the float32 whole-sequence kernels (src/backends/cpu/sequenceWasm.ts),
// four units at a time in f32x4, on rows that live in this module's memory.
//
// exp, sigmoid and tanh are the Cephes single-precision algorithms (expf, tanhf) in SIMD form:
//  - exp(x): x = n ln2 + r with n = nearest(x log2 e) and ln2 split in two parts (r exact to a
//    few ulps), a degree-6 polynomial for exp(r) on |r| <= ln2/2, times 2^n built in the exponent
//    bits. x is clamped to [-87, 88] first (2^n stays a normal float): exp(88) = 1.7e38 is as far
//    as sigmoid and tanh need. NaN passes through (min/max propagate it), so a diverging run still
//    shows NaN.
//  - sigmoid(x) = 1 / (1 + exp(-x)): no cancellation on either side.
//  - tanh(x): for |x| < 0.625 Cephes' odd polynomial (there (1 - e)/(1 + e) would lose relative
//    accuracy to cancellation); otherwise sign(x) (1 - e) / (1 + e), e = exp(-2|x|) <= 0.29.
// Each is within a few float32 ulps of the exact value (test/backends/wasmCells.test.ts measures
// against float64 Math.exp / Math.tanh).

// @ts-ignore: decorator
@inline
export function sp(x: f32): v128 {
  return f32x4.splat(x);
}

// @ts-ignore: decorator
@inline
export function vexp(x0: v128): v128 {
  const x = f32x4.min(f32x4.max(x0, sp(-87.0)), sp(88.0));
  const fx = f32x4.nearest(f32x4.mul(x, sp(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(fx, sp(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fx, sp(-2.12194440e-4)));
  let y = sp(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, r), sp(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), sp(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), sp(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), sp(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), sp(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, f32x4.mul(r, r)), r), sp(1.0));
  const n = i32x4.trunc_sat_f32x4_s(fx);
  const pow2 = i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2);
}

// @ts-ignore: decorator
@inline
export function vsigmoid(x: v128): v128 {
  return f32x4.div(sp(1.0), f32x4.add(sp(1.0), vexp(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline
export function vtanh(x: v128): v128 {
  const a = f32x4.abs(x);
  const e = vexp(f32x4.mul(a, sp(-2.0)));
  const big = v128.or(
    v128.and(x, i32x4.splat(0x80000000)),
    f32x4.div(f32x4.sub(sp(1.0), e), f32x4.add(sp(1.0), e)),
  );
  const z = f32x4.mul(x, x);
  let p = sp(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), sp(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), sp(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), sp(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), sp(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  return v128.bitselect(small, big, f32x4.lt(a, sp(0.625)));
}

/** out[i] = f(x[i]) for i < n, elementwise (0: exp, 1: sigmoid, 2: tanh); for the tests. */
export function apply(kind: i32, x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const v = f32x4.splat(load<f32>(x + (<usize>i << 2)));
    const y = kind == 0 ? vexp(v) : kind == 1 ? vsigmoid(v) : vtanh(v);
    store<f32>(out + (<usize>i << 2), f32x4.extract_lane(y, 0));
  }
}

/**
 * One LSTM step for B rows, in place: `pre` [B, ldp] holds the pre-activations of the gates
 * i, f, g, o (blocks of H) and becomes the activated gates; c' = f c + i g, tanh(c'), h' = o tanh(c')
 * go to cNext, tanhC, hNext ([B, H] each, contiguous). The last H % 4 units of a row go through
 * the same vector code one lane at a time.
 */
export function lstmStep(pre: usize, ldp: i32, cPrev: usize, cNext: usize, tanhC: usize, hNext: usize, B: i32, H: i32): void {
  const hb = <usize>H << 2;
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const g = pre + (<usize>b * <usize>ldp << 2);
    const o = <usize>b * hb;
    let j = 0;
    for (; j < H4; j += 4) {
      const jb = <usize>j << 2;
      const ig = vsigmoid(v128.load(g + jb));
      const fg = vsigmoid(v128.load(g + hb + jb));
      const gg = vtanh(v128.load(g + 2 * hb + jb));
      const og = vsigmoid(v128.load(g + 3 * hb + jb));
      v128.store(g + jb, ig);
      v128.store(g + hb + jb, fg);
      v128.store(g + 2 * hb + jb, gg);
      v128.store(g + 3 * hb + jb, og);
      const cn = f32x4.add(f32x4.mul(fg, v128.load(cPrev + o + jb)), f32x4.mul(ig, gg));
      const tc = vtanh(cn);
      v128.store(cNext + o + jb, cn);
      v128.store(tanhC + o + jb, tc);
      v128.store(hNext + o + jb, f32x4.mul(og, tc));
    }
    for (; j < H; j++) {
      const jb = <usize>j << 2;
      const ig = f32x4.extract_lane(vsigmoid(f32x4.splat(load<f32>(g + jb))), 0);
      const fg = f32x4.extract_lane(vsigmoid(f32x4.splat(load<f32>(g + hb + jb))), 0);
      const gg = f32x4.extract_lane(vtanh(f32x4.splat(load<f32>(g + 2 * hb + jb))), 0);
      const og = f32x4.extract_lane(vsigmoid(f32x4.splat(load<f32>(g + 3 * hb + jb))), 0);
      store<f32>(g + jb, ig);
      store<f32>(g + hb + jb, fg);
      store<f32>(g + 2 * hb + jb, gg);
      store<f32>(g + 3 * hb + jb, og);
      const cn: f32 = fg * load<f32>(cPrev + o + jb) + ig * gg;
      const tc = f32x4.extract_lane(vtanh(f32x4.splat(cn)), 0);
      store<f32>(cNext + o + jb, cn);
      store<f32>(tanhC + o + jb, tc);
      store<f32>(hNext + o + jb, og * tc);
    }
  }
}

/** out[b*H + j] = tanh(pre[b*ldp + j]) for b < B, j < H: one tanh-RNN step. */
export function tanhRows(pre: usize, ldp: i32, out: usize, B: i32, H: i32): void {
  const hb = <usize>H << 2;
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const g = pre + (<usize>b * <usize>ldp << 2);
    const o = out + <usize>b * hb;
    let j = 0;
    for (; j < H4; j += 4) v128.store(o + (<usize>j << 2), vtanh(v128.load(g + (<usize>j << 2))));
    for (; j < H; j++) store<f32>(o + (<usize>j << 2), f32x4.extract_lane(vtanh(f32x4.splat(load<f32>(g + (<usize>j << 2)))), 0));
  }
}

// ---------------------------------------------------------------------------------------------
// Backward (BPTT) steps. dL/d(pre-activation) is flushed to zero below the float32 normal range
// before it is stored: WebAssembly cannot set the CPU's flush-to-zero mode, and on x86 each
// operation on a subnormal takes a ~100-cycle assist (sequenceWasm.ts explains the trade).

// @ts-ignore: decorator
@inline
export function ftz(v: v128): v128 {
  return v128.andnot(v, f32x4.lt(f32x4.abs(v), sp(1.1754943508222875e-38)));
}

// @ts-ignore: decorator
@inline
function ftz1(v: f32): f32 {
  return abs<f32>(v) < <f32>1.1754943508222875e-38 ? 0 : v;
}

/**
 * The total dL/dh_t of B rows: dh = (useIn ? dhIn[b*ldIn + j] : 0) + (useExt ? ext[b*H + j] : 0),
 * stored to dhOut [B, H]; a pointer to its row b, unit j is returned through the same layout.
 */
// @ts-ignore: decorator
@inline
function dhTotal4(dhIn: usize, useIn: i32, ext: usize, useExt: i32, dhOut: usize, inOff: usize, off: usize): v128 {
  let dh = useIn ? v128.load(dhIn + inOff) : sp(0);
  if (useExt) dh = f32x4.add(dh, v128.load(ext + off));
  v128.store(dhOut + off, dh);
  return dh;
}

// @ts-ignore: decorator
@inline
function dhTotal1(dhIn: usize, useIn: i32, ext: usize, useExt: i32, dhOut: usize, inOff: usize, off: usize): f32 {
  let dh: f32 = useIn ? load<f32>(dhIn + inOff) : 0;
  if (useExt) dh += load<f32>(ext + off);
  store<f32>(dhOut + off, dh);
  return dh;
}

/**
 * One LSTM backward step for B rows (the equations of src/backends/cpu/sequence.ts): from the
 * total dL/dh_t (dhTotal4), the gates i, f, g, o [B, ldg], tanh(c_t) and c_{t-1} [B, H] and the
 * carried dL/dc (dc [B, H], updated in place to dL/dc_{t-1}), writes dL/d(pre-activation) of the
 * four gates to dG [B, ldd].
 */
export function lstmBackStep(
  dhIn: usize, ldIn: i32, useIn: i32, ext: usize, useExt: i32, dhOut: usize,
  gates: usize, ldg: i32, tanhC: usize, cPrev: usize, dc: usize, dG: usize, ldd: i32, B: i32, H: i32,
): void {
  const hb = <usize>H << 2;
  const H4 = H & ~3;
  const one = sp(1.0);
  for (let b = 0; b < B; b++) {
    const g = gates + (<usize>b * <usize>ldg << 2);
    const d = dG + (<usize>b * <usize>ldd << 2);
    const inRow = <usize>b * <usize>ldIn << 2;
    const row = <usize>b * hb;
    let j = 0;
    for (; j < H4; j += 4) {
      const jb = <usize>j << 2;
      const off = row + jb;
      const dh = dhTotal4(dhIn, useIn, ext, useExt, dhOut, inRow + jb, off);
      const ig = v128.load(g + jb);
      const fg = v128.load(g + hb + jb);
      const gg = v128.load(g + 2 * hb + jb);
      const og = v128.load(g + 3 * hb + jb);
      const tc = v128.load(tanhC + off);
      const dct = f32x4.add(v128.load(dc + off),
        f32x4.mul(f32x4.mul(f32x4.mul(dh, og), f32x4.add(one, tc)), f32x4.sub(one, tc)));
      v128.store(d + jb, ftz(f32x4.mul(f32x4.mul(f32x4.mul(dct, gg), ig), f32x4.sub(one, ig))));
      v128.store(d + hb + jb, ftz(f32x4.mul(f32x4.mul(f32x4.mul(dct, v128.load(cPrev + off)), fg), f32x4.sub(one, fg))));
      v128.store(d + 2 * hb + jb, ftz(f32x4.mul(f32x4.mul(f32x4.mul(dct, ig), f32x4.add(one, gg)), f32x4.sub(one, gg))));
      v128.store(d + 3 * hb + jb, ftz(f32x4.mul(f32x4.mul(f32x4.mul(dh, tc), og), f32x4.sub(one, og))));
      v128.store(dc + off, ftz(f32x4.mul(dct, fg)));
    }
    for (; j < H; j++) {
      const jb = <usize>j << 2;
      const off = row + jb;
      const dh = dhTotal1(dhIn, useIn, ext, useExt, dhOut, inRow + jb, off);
      const ig = load<f32>(g + jb);
      const fg = load<f32>(g + hb + jb);
      const gg = load<f32>(g + 2 * hb + jb);
      const og = load<f32>(g + 3 * hb + jb);
      const tc = load<f32>(tanhC + off);
      const dct = load<f32>(dc + off) + dh * og * (1 + tc) * (1 - tc);
      store<f32>(d + jb, ftz1(dct * gg * ig * (1 - ig)));
      store<f32>(d + hb + jb, ftz1(dct * load<f32>(cPrev + off) * fg * (1 - fg)));
      store<f32>(d + 2 * hb + jb, ftz1(dct * ig * (1 + gg) * (1 - gg)));
      store<f32>(d + 3 * hb + jb, ftz1(dh * tc * og * (1 - og)));
      store<f32>(dc + off, ftz1(dct * fg));
    }
  }
}

/** One tanh-RNN backward step: dG [B, ldd] = dh (1 + y)(1 - y), y = h_t [B, H]. */
export function tanhBackStep(
  dhIn: usize, ldIn: i32, useIn: i32, ext: usize, useExt: i32, dhOut: usize, y: usize, dG: usize, ldd: i32, B: i32, H: i32,
): void {
  const hb = <usize>H << 2;
  const H4 = H & ~3;
  const one = sp(1.0);
  for (let b = 0; b < B; b++) {
    const d = dG + (<usize>b * <usize>ldd << 2);
    const inRow = <usize>b * <usize>ldIn << 2;
    const row = <usize>b * hb;
    let j = 0;
    for (; j < H4; j += 4) {
      const jb = <usize>j << 2;
      const dh = dhTotal4(dhIn, useIn, ext, useExt, dhOut, inRow + jb, row + jb);
      const yv = v128.load(y + row + jb);
      v128.store(d + jb, ftz(f32x4.mul(f32x4.mul(dh, f32x4.add(one, yv)), f32x4.sub(one, yv))));
    }
    for (; j < H; j++) {
      const jb = <usize>j << 2;
      const dh = dhTotal1(dhIn, useIn, ext, useExt, dhOut, inRow + jb, row + jb);
      const yv = load<f32>(y + row + jb);
      store<f32>(d + jb, ftz1(dh * (1 + yv) * (1 - yv)));
    }
  }
}
