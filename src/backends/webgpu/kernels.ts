import { BINARY_WGSL, UNARY_OPS, type BinaryOp, type UnaryOp } from '../pointwise.ts';
import type { Kernel } from './runtime.ts';
import { elementwise } from './wgsl.ts';

/**
 * The WGSL kernels of the WebGPU backend, one small builder each, memoised so every dispatch of
 * the same kernel hands the runtime the same source (the pipeline cache's key). Parameters are
 * listed as P[k] in the order the backend passes them; P[0] is always the element count.
 */

const memo = new Map<string, Kernel>();
function once(key: string, build: () => Kernel): Kernel {
  let k = memo.get(key);
  if (!k) memo.set(key, (k = build()));
  return k;
}

/** out = value. P: n, value. */
export const fill = (): Kernel => once('fill', () => elementwise([['out', 'read_write']], '  out[i] = pf(1u);'));

/** out = op(x), from the shared op table. P: n. */
export const unary = (op: UnaryOp): Kernel =>
  once(`unary:${op}`, () => elementwise([['X', 'read'], ['out', 'read_write']], `  let x = X[i];\n  out[i] = ${UNARY_OPS[op].wgsl.forward};`));

/** out = dL/dx of op from x, y = op(x) and dy. P: n. */
export const unaryBackward = (op: UnaryOp): Kernel =>
  once(`unaryBackward:${op}`, () =>
    elementwise(
      [['X', 'read'], ['Y', 'read'], ['DY', 'read'], ['out', 'read_write']],
      `  let x = X[i];\n  let y = Y[i];\n  let dy = DY[i];\n  out[i] = ${UNARY_OPS[op].wgsl.backward};`,
    ));

/** The most axes a broadcasting binary op handles (the backend merges nothing; our tensors have
 * at most 3). */
export const MAX_RANK = 6;

/**
 * out = a op b with numpy broadcasting. P: n, rank, then for each axis d (outermost first) the
 * output size, a's stride and b's stride (0 along a broadcast axis).
 */
export const binary = (op: BinaryOp): Kernel =>
  once(`binary:${op}`, () =>
    elementwise(
      [['A', 'read'], ['B', 'read'], ['out', 'read_write']],
      `  let rank = P[1];
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = 0u; d < rank; d++) {
    let axis = rank - 1u - d;
    let size = P[2u + axis * 3u];
    let coord = rest % size;
    rest = rest / size;
    ia += coord * P[3u + axis * 3u];
    ib += coord * P[4u + axis * 3u];
  }
  let a = A[ia];
  let b = B[ib];
  out[i] = ${BINARY_WGSL[op]};`,
    ));

/** out = x * factor. P: n, factor. */
export const scale = (): Kernel => once('scale', () => elementwise([['X', 'read'], ['out', 'read_write']], '  out[i] = X[i] * pf(1u);'));

/** x *= factor in place. P: n, factor. */
export const scaleInPlace = (): Kernel => once('scaleInPlace', () => elementwise([['X', 'read_write']], '  X[i] = X[i] * pf(1u);'));

/** acc += x. P: n. */
export const addInto = (): Kernel => once('addInto', () => elementwise([['ACC', 'read_write'], ['X', 'read']], '  ACC[i] = ACC[i] + X[i];'));

/** Clamp x to [-limit, limit] in place; flags[i] = 1 where it changed (summed afterwards, in a
 * fixed order, for the count). NaN compares false both ways: kept and not counted, as torch. P: n, limit. */
export const clampInPlace = (): Kernel =>
  once('clampInPlace', () =>
    elementwise(
      [['X', 'read_write'], ['flags', 'read_write']],
      `  let v = X[i];
  let c = pf(1u);
  var changed = 0.0;
  if (v > c) { X[i] = c; changed = 1.0; } else if (v < -c) { X[i] = -c; changed = 1.0; }
  flags[i] = changed;`,
    ));

// ---- optimizers (torch.optim single-tensor semantics, as the CPU backend's optim.ts) ----

// Complements such as 1 - beta are formed on the host in float64 and passed rounded once, as
// torch passes them to its float32 kernels: 1 - fround(0.999) in float32 would be off by 1.3e-5.

/** P: n, lr, momentum, 1 - dampening, nesterov (0/1), weightDecay, firstStep (0/1). */
export const sgdStep = (withMomentum: boolean): Kernel =>
  once(`sgd:${withMomentum}`, () =>
    elementwise(
      withMomentum ? [['param', 'read_write'], ['grad', 'read'], ['buf', 'read_write']] : [['param', 'read_write'], ['grad', 'read']],
      `  var d = grad[i] + pf(5u) * param[i];
${withMomentum ? `  if (P[6] == 1u) { buf[i] = d; } else { buf[i] = pf(2u) * buf[i] + pf(3u) * d; }
  if (P[4] == 1u) { d = d + pf(2u) * buf[i]; } else { d = buf[i]; }` : ''}
  param[i] = param[i] - pf(1u) * d;`,
    ));

/** P: n, beta1, beta2, eps, weightDecay, stepSize (lr / bias correction 1), sqrt(bias correction 2),
 * 1 - beta1, 1 - beta2. */
export const adamStep = (): Kernel =>
  once('adam', () =>
    elementwise(
      [['param', 'read_write'], ['grad', 'read'], ['m', 'read_write'], ['v', 'read_write']],
      `  let g = grad[i] + pf(4u) * param[i];
  m[i] = pf(1u) * m[i] + pf(7u) * g;
  v[i] = pf(2u) * v[i] + pf(8u) * g * g;
  param[i] = param[i] - (pf(5u) * m[i]) / (sqrt(v[i]) / pf(6u) + pf(3u));`,
    ));

/** P: n, lr, alpha, eps, weightDecay, momentum, 1 - alpha. */
export const rmspropStep = (withMomentum: boolean): Kernel =>
  once(`rmsprop:${withMomentum}`, () =>
    elementwise(
      withMomentum
        ? [['param', 'read_write'], ['grad', 'read'], ['sq', 'read_write'], ['buf', 'read_write']]
        : [['param', 'read_write'], ['grad', 'read'], ['sq', 'read_write']],
      `  let g = grad[i] + pf(4u) * param[i];
  sq[i] = pf(2u) * sq[i] + pf(6u) * g * g;
${withMomentum
  ? `  buf[i] = pf(5u) * buf[i] + g / (sqrt(sq[i]) + pf(3u));
  param[i] = param[i] - pf(1u) * buf[i];`
  : '  param[i] = param[i] + (-pf(1u) * g) / (sqrt(sq[i]) + pf(3u));'}`,
    ));

// ---- reductions: every sum runs in a fixed order (no atomics), so a seed gives the same bits ----

/** out[o, k] = Σ_a x[o, a, k] over one axis, a in order. P: nOut, axisLen, inner. */
export const sumAxis = (): Kernel =>
  once('sumAxis', () =>
    elementwise(
      [['X', 'read'], ['out', 'read_write']],
      `  let len = P[1];
  let inner = P[2];
  let o = i / inner;
  let k = i % inner;
  var s = 0.0;
  for (var a = 0u; a < len; a++) { s += X[(o * len + a) * inner + k]; }
  out[i] = s;`,
    ));

/** Stage one of a full sum: partial[c] = Σ over the c-th contiguous chunk. P: chunks, n, chunkLen. */
export const sumChunks = (): Kernel =>
  once('sumChunks', () =>
    elementwise(
      [['X', 'read'], ['partial', 'read_write']],
      `  let start = i * P[2];
  let end = min(P[1], start + P[2]);
  var s = 0.0;
  for (var j = start; j < end; j++) { s += X[j]; }
  partial[i] = s;`,
    ));

// The norm in three fixed-order stages: max|x| (chunks, then their max), Σ (x / max)² over
// chunks, then max · sqrt(Σ). Scaling first keeps the squares of tiny (vanished) gradients
// from underflowing float32. A non-finite element is detected from its exponent bits, which no
// fast-math assumption can remove, and makes the norm NaN (P[3] carries NaN's bits).
const NONFINITE = 'fn nonfinite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u; }';

/** partial[c] = max |x| over the c-th chunk, NaN if any element there is not finite. P: chunks, n, chunkLen, NaN. */
export const maxAbsChunks = (): Kernel =>
  once('maxAbsChunks', () =>
    elementwise(
      [['X', 'read'], ['partial', 'read_write']],
      `  let start = i * P[2];
  let end = min(P[1], start + P[2]);
  var m = 0.0;
  var bad = false;
  for (var j = start; j < end; j++) {
    let v = X[j];
    if (nonfinite(v)) { bad = true; } else { m = max(m, abs(v)); }
  }
  partial[i] = select(m, pf(3u), bad);`,
      NONFINITE,
    ));

/** partial[c] = Σ (x / m)² over the c-th chunk, m = M[0] (0 when m is 0 or not finite). P: chunks, n, chunkLen. */
export const scaledSquareChunks = (): Kernel =>
  once('scaledSquareChunks', () =>
    elementwise(
      [['X', 'read'], ['M', 'read'], ['partial', 'read_write']],
      `  let m = M[0];
  let start = i * P[2];
  let end = min(P[1], start + P[2]);
  var s = 0.0;
  if (m > 0.0 && !nonfinite(m)) {
    for (var j = start; j < end; j++) { let v = X[j] / m; s += v * v; }
  }
  partial[i] = s;`,
      NONFINITE,
    ));

/** out = m · sqrt(Σ partial), m = M[0]; NaN when m is not finite. P: 1, chunks, unused, NaN. */
export const normFinish = (): Kernel =>
  once('normFinish', () =>
    elementwise(
      [['partial', 'read'], ['M', 'read'], ['out', 'read_write']],
      `  let m = M[0];
  var s = 0.0;
  for (var j = 0u; j < P[1]; j++) { s += partial[j]; }
  if (nonfinite(m)) { out[0] = pf(3u); } else { out[0] = m * sqrt(s); }`,
      NONFINITE,
    ));

// ---- layout ----

/** out[b, j] = v[j] for every row b: a bias broadcast over the rows. P: n, width. */
export const rowBroadcast = (): Kernel => once('rowBroadcast', () => elementwise([['V', 'read'], ['out', 'read_write']], '  out[i] = V[i % P[1]];'));

/** out = xᵀ for x [rows, cols]. P: n, rows, cols. */
export const transpose2d = (): Kernel =>
  once('transpose2d', () =>
    elementwise([['X', 'read'], ['out', 'read_write']], '  let r = i % P[1];\n  let c = i / P[1];\n  out[i] = X[r * P[2] + c];'));

/** out[o, a, k] = x[o, start + a, k] (a slice along one axis). P: n, len, inner, axisLen, start. */
export const sliceAxis = (): Kernel =>
  once('slice', () =>
    elementwise(
      [['X', 'read'], ['out', 'read_write']],
      `  let inner = P[2];
  let k = i % inner;
  let a = (i / inner) % P[1];
  let o = i / (inner * P[1]);
  out[i] = X[(o * P[3] + P[4] + a) * inner + k];`,
    ));

/** dst[o, start + a, k] = src[o, a, k]: writes a block along one axis (concat, slice's
 * gradient). P: n (of src), len, inner, dstAxisLen, start. */
export const placeAxis = (): Kernel =>
  once('place', () =>
    elementwise(
      [['SRC', 'read'], ['DST', 'read_write']],
      `  let inner = P[2];
  let k = i % inner;
  let a = (i / inner) % P[1];
  let o = i / (inner * P[1]);
  DST[(o * P[3] + P[4] + a) * inner + k] = SRC[i];`,
    ));

// ---- softmax cross-entropy (mean over the batch) ----

/** One row per invocation: probs = softmax(logits) with the max shifted out; rowLoss[b] =
 * log Σ exp(l - max) + max - l[label]. A label that is not a class gives NaN (a kernel cannot
 * throw; WGSL rejects a NaN constant, so its bits come in as P[2]). P: batch, classes, NaN bits. */
export const softmaxRows = (): Kernel =>
  once('softmaxRows', () =>
    elementwise(
      [['L', 'read'], ['labels', 'read'], ['probs', 'read_write'], ['rowLoss', 'read_write']],
      `  let C = P[1];
  let off = i * C;
  var mx = L[off];
  for (var j = 1u; j < C; j++) { mx = max(mx, L[off + j]); }
  var z = 0.0;
  for (var j = 0u; j < C; j++) { z += exp(L[off + j] - mx); }
  for (var j = 0u; j < C; j++) { probs[off + j] = exp(L[off + j] - mx) / z; }
  let k = labels[i];
  if (k >= 0.0 && k < f32(C) && floor(k) == k) {
    rowLoss[i] = log(z) + mx - L[off + u32(k)];
  } else {
    rowLoss[i] = pf(2u);
  }`,
    ));

/** out = dy / B * (probs - onehot(label)). P: n, classes, batch. */
export const softmaxCrossEntropyBackward = (): Kernel =>
  once('softmaxBackward', () =>
    elementwise(
      [['probs', 'read'], ['labels', 'read'], ['DY', 'read'], ['out', 'read_write']],
      `  let C = P[1];
  let b = i / C;
  let j = i % C;
  let hit = select(0.0, 1.0, u32(labels[b]) == j);
  out[i] = DY[0] / f32(P[2]) * (probs[i] - hit);`,
    ));
