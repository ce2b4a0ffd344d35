/**
 * mseLoss (nn.MSELoss(): mean over all elements) and crossEntropyLoss (nn.CrossEntropyLoss():
 * mean over the batch of logits [B, C] against class indices [B]).
 *
 * Both return a scalar, so gradcheck's full Jacobian is a single row.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossEntropyLoss, mseLoss } from '../../src/ops/index.ts';
import { fcParams } from '../helpers/fc.ts';
import { dimArb, doubleIn, expectClose, expectGradcheck, expectShape, fround, numel, RUNS, shapeArb, t32, t64, U32, U64, valuesArb } from './helpers.ts';

const mseCaseArb = shapeArb().chain((shape) => fc.record({
  shape: fc.constant(shape),
  pred: valuesArb(numel(shape), doubleIn(-10, 10)),
  target: valuesArb(numel(shape), doubleIn(-10, 10)),
  needs: fc.constantFrom<[boolean, boolean]>([true, true], [true, false], [false, true]),
}));

describe('mseLoss', () => {
  it('passes gradcheck (full Jacobian) for prediction and target', () => {
    fc.assert(fc.property(mseCaseArb, ({ shape, pred, target, needs }) => {
      expectGradcheck(mseLoss, [t64(pred, shape, needs[0]), t64(target, shape, needs[1])]);
    }), fcParams(RUNS));
  });

  it('float64 forward is the mean of squared differences', () => {
    // n non-negative terms, each (p - t)^2 with <= 3 roundings, summed in any order: relative
    // error <= (n + 3) u on each side, plus the mean's scaling (<= 2 u): 2(n + 5) u |ref|.
    fc.assert(fc.property(mseCaseArb, ({ shape, pred, target }) => {
      const loss = mseLoss(t64(pred, shape, false), t64(target, shape, false));
      expectShape(loss, []);
      const n = pred.length;
      let s = 0;
      for (let i = 0; i < n; i++) s += (pred[i] - target[i]) ** 2;
      const ref = s / n;
      expectClose([loss.item()], [ref], 2 * (n + 5) * U64 * ref);
    }), fcParams(RUNS));
  });

  it('float32 forward is within (n + 6) 2^-24 of fround(float64 forward), relative', () => {
    // In float32: the difference (1 rounding), the square (1 more; relative error ~3u of the
    // square), a sum of n non-negative terms (gamma_{n-1}), the scaling (1 + 1 for fround(1/n)),
    // and fround of the float64 result (1): all relative to the (non-negative) loss. Below float32's
    // normal range (2^-126) each rounding is absolute, up to half a subnormal step (2^-150), so
    // the same n + 6 roundings may add (n + 6) 2^-149 on top (a square of 1e-22 lands there).
    fc.assert(fc.property(mseCaseArb, ({ shape, pred, target }) => {
      const [p32, q32] = [fround(pred), fround(target)];
      const loss32 = mseLoss(t32(p32, shape), t32(q32, shape));
      expect(loss32.dtype).toBe('float32');
      const expected = Math.fround(mseLoss(t64(p32, shape, false), t64(q32, shape, false)).item());
      expectClose([loss32.item()], [expected], (pred.length + 6) * (U32 * expected + 2 ** -149), 'float32');
    }), fcParams(RUNS));
  });

  it('refuses shapes that differ ([B] against [B, 1]) instead of broadcasting', () => {
    expect(() => mseLoss(t64([1, 2, 3], [3], false), t64([1, 2, 3], [3, 1], false))).toThrow(/same shape/);
  });
});

// ---------------------------------------------------------------------------------------------

/** logits [B, C] with B, C in 1..5 (C = 1 has loss 0 and gradient 0, still a valid check), and
 * labels in [0, C). */
function ceCaseArb(logit: fc.Arbitrary<number>) {
  return fc.tuple(dimArb, dimArb).chain(([batch, classes]) => fc.record({
    batch: fc.constant(batch),
    classes: fc.constant(classes),
    logits: valuesArb(batch * classes, logit),
    labels: valuesArb(batch, fc.integer({ min: 0, max: classes - 1 })),
  }));
}

/** Cross-entropy by hand: mean over rows of log(sum_j exp(z_j)) - z_label, with the log-sum-exp
 * written as m + log(sum exp(z - m)) so that large logits do not overflow. Also returns a
 * per-row magnitude for the rounding bounds. */
function refCrossEntropy(logits: number[], labels: number[], batch: number, classes: number) {
  let total = 0;
  let mag = 0;
  for (let b = 0; b < batch; b++) {
    const row = logits.slice(b * classes, (b + 1) * classes);
    const m = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
    const lse = m + Math.log(z);
    total += lse - row[labels[b]];
    mag += classes + 4 + Math.abs(lse) + 2 * Math.max(...row.map(Math.abs));
  }
  return { loss: total / batch, mag: mag / batch };
}

describe('crossEntropyLoss', () => {
  it('passes gradcheck (full Jacobian) for the logits', () => {
    fc.assert(fc.property(ceCaseArb(doubleIn(-10, 10)), ({ batch, classes, logits, labels }) => {
      expectGradcheck((z, y) => crossEntropyLoss(z, y), [t64(logits, [batch, classes]), t64(labels, [batch], false)]);
    }), fcParams(RUNS));
  });

  it('float64 forward matches log-sum-exp by hand, also for logits up to 1e3', () => {
    // Per row: the shifted exps (each z - m rounded: relative error u|z - m| in exp), their sum
    // (C u), the log (absolute ~ relative error of its argument, plus u|log|), adding m and
    // subtracting the label's logit (u each on values <= |lse| + max|z|). `mag` adds those up
    // per row; both sides err by at most ~mag u, and 8 mag u covers both with slack.
    fc.assert(fc.property(ceCaseArb(fc.oneof(doubleIn(-10, 10), doubleIn(-1000, 1000))), ({ batch, classes, logits, labels }) => {
      const loss = crossEntropyLoss(t64(logits, [batch, classes], false), t64(labels, [batch], false));
      expectShape(loss, []);
      const ref = refCrossEntropy(logits, labels, batch, classes);
      expect(Number.isFinite(loss.item())).toBe(true);
      expectClose([loss.item()], [ref.loss], 8 * U64 * (ref.mag + Math.abs(ref.loss)));
    }), fcParams(RUNS));
  });

  it('float32 forward is within 8 * 2^-24 * (per-row magnitude) of fround(float64 forward)', () => {
    // The same error analysis as the float64 check with u = 2^-24 for a kernel computing in
    // float32, plus fround of the float64 result (2^-24 |loss|).
    fc.assert(fc.property(ceCaseArb(doubleIn(-10, 10)), ({ batch, classes, logits, labels }) => {
      const z32 = fround(logits);
      const loss32 = crossEntropyLoss(t32(z32, [batch, classes]), t32(labels, [batch]));
      expect(loss32.dtype).toBe('float32');
      const expected = Math.fround(crossEntropyLoss(t64(z32, [batch, classes], false), t64(labels, [batch], false)).item());
      const ref = refCrossEntropy(z32, labels, batch, classes);
      expectClose([loss32.item()], [expected], 8 * U32 * (ref.mag + Math.abs(expected)), 'float32');
    }), fcParams(RUNS));
  });

  it('gives known values: uniform logits cost log C, a confident right answer costs ~0', () => {
    const uniform = crossEntropyLoss(t64([3, 3, 3, 3], [1, 4], false), t64([2], [1], false));
    expect(uniform.item()).toBeCloseTo(Math.log(4), 15);
    const confident = crossEntropyLoss(t64([1000, 0, 0, 1000], [2, 2], false), t64([0, 0], [2], false));
    // Row 1 is right with margin 1000 (loss e^-1000 ~ 0), row 2 wrong by 1000: mean 500.
    expect(confident.item()).toBeCloseTo(500, 10);
  });

  it('refuses labels outside [0, C) and a label count that is not the batch', () => {
    expect(() => crossEntropyLoss(t64([1, 2, 3, 4], [2, 2], false), t64([0, 2], [2], false))).toThrow(/label/);
    expect(() => crossEntropyLoss(t64([1, 2, 3, 4], [2, 2], false), t64([0, 0.5], [2], false))).toThrow(/label/);
    expect(() => crossEntropyLoss(t64([1, 2, 3, 4], [2, 2], false), t64([0], [1], false))).toThrow(/labels/);
  });
});
