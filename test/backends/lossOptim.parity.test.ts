/**
 * Softmax cross-entropy and the optimizer steps on every backend (float32) against the CPU
 * backend in float64.
 *
 * Bounds (u = 2^-24):
 * - softmax: exp of x - max ∈ [-R, 0] is within (6 + 4R)·u (WGSL's 3 + 2|x| ulp), the sum of C
 *   exponentials adds (C + 1)·u, the division 5u: each probability within
 *   (C + 12 + 4R)·u relatively. Its gradient dy/B·(p - onehot) inherits p's error, plus 4u.
 * - the loss: per row log z + max - l_k, with log within 6u relatively or 2^-21 absolutely,
 *   then the mean of B rows, (B + 1)·u of Σ|rows|: bound (C + B + 20 + 4R)·u·mean(|log z| +
 *   |max| + |l_k|) + 2^-21.
 * - an optimizer step is a dozen float32 roundings of the update Δ, and one of the parameter:
 *   over S steps the parameter is within Σ_s (u·|p_s| + 32u·|Δ_s|) (the state's own errors, a
 *   few u of each update, are inside the 32u).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import { fcParams } from '../helpers/fc.ts';
import { BACKENDS, f32s, read, ref64, U32, within } from './backends.ts';

const RUNS = 15;
const valuesOf = (n: number, lo = -10, hi = 10) => fc.array(fc.double({ min: lo, max: hi, noNaN: true }), { minLength: n, maxLength: n }).map(f32s);

describe.each(BACKENDS)('loss and optimizers on $name (float32) = cpu float64 within float32 bounds', (b) => {
  it('softmax cross-entropy: loss, probabilities and gradient', async () => {
    const k = await b.get();
    const cases = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 7 })).chain(([B, C]) =>
      fc.tuple(fc.constant(B), fc.constant(C), valuesOf(B * C), fc.array(fc.nat(C - 1), { minLength: B, maxLength: B }), fc.double({ min: -3, max: 3, noNaN: true })));
    await fc.assert(
      fc.asyncProperty(cases, async ([B, C, logits, labels, dyRaw]) => {
        const dy = f32s([dyRaw])[0];
        const R = Math.max(...logits) - Math.min(...logits);
        const ref = cpu.softmaxCrossEntropy(ref64(logits, [B, C]), ref64(labels, [B]));
        const got = k.softmaxCrossEntropy(k.fromValues(logits, [B, C], 'float32'), k.fromValues(labels, [B], 'float32'));
        const pRef = ref.probs.toFloat64Array();
        const pBound = (C + 12 + 4 * R) * U32;
        within(await read(got.probs), pRef, (i) => pBound * pRef[i], 'probs');
        let rows = 0;
        for (let r = 0; r < B; r++) {
          const row = logits.slice(r * C, (r + 1) * C);
          const mx = Math.max(...row);
          rows += Math.abs(Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0))) + Math.abs(mx) + Math.abs(row[labels[r]]);
        }
        within(await read(got.loss), ref.loss.toFloat64Array(), () => ((C + B + 20 + 4 * R) * U32 * rows) / B + 2 ** -21, 'loss');
        const gRef = cpu.softmaxCrossEntropyBackward(ref.probs, ref64(labels, [B]), ref64([dy], [])).toFloat64Array();
        const gGot = k.softmaxCrossEntropyBackward(got.probs, k.fromValues(labels, [B], 'float32'), k.fromValues([dy], [], 'float32'));
        within(await read(gGot), gRef, (i) => (Math.abs(dy) / B) * pBound * pRef[i] + 4 * U32 * Math.abs(gRef[i]), 'gradient');
      }),
      fcParams(RUNS),
    );
  });

  type Step = (k: Backend, p: ReturnType<Backend['fromValues']>, g: ReturnType<Backend['fromValues']>, state: ReturnType<Backend['fromValues']>[], step: number) => void;
  const STEPS: Record<string, { state: number; step: Step }> = {
    'sgd': { state: 0, step: (k, p, g, _s, _i) => k.sgdStep(p, g, null, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.01, firstStep: false }) },
    'sgd momentum': { state: 1, step: (k, p, g, s, i) => k.sgdStep(p, g, s[0], { lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0, firstStep: i === 0 }) },
    'sgd nesterov': { state: 1, step: (k, p, g, s, i) => k.sgdStep(p, g, s[0], { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.001, firstStep: i === 0 }) },
    'adam': { state: 2, step: (k, p, g, s, i) => k.adamStep(p, g, s[0], s[1], { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: i + 1 }) },
    'rmsprop': { state: 1, step: (k, p, g, s) => k.rmspropStep(p, g, s[0], null, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0 }) },
    'rmsprop momentum': { state: 2, step: (k, p, g, s) => k.rmspropStep(p, g, s[0], s[1], { lr: 1e-2, alpha: 0.9, eps: 1e-8, weightDecay: 0.01, momentum: 0.5 }) },
  };

  it.each(Object.keys(STEPS))('%s: three steps with fresh gradients', async (name) => {
    const k = await b.get();
    const { state, step } = STEPS[name];
    const cases = fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(valuesOf(n, -2, 2), valuesOf(3 * n, -1, 1)));
    await fc.assert(
      fc.asyncProperty(cases, async ([p0, grads]) => {
        const n = p0.length;
        const shape = [n];
        const pRef = ref64(p0, shape);
        const sRef = Array.from({ length: state }, () => cpu.full(shape, 'float64', 0));
        const pGot = k.fromValues(p0, shape, 'float32');
        const sGot = Array.from({ length: state }, () => k.full(shape, 'float32', 0));
        const bound = new Float64Array(n);
        for (let s = 0; s < 3; s++) {
          const g = grads.slice(s * n, (s + 1) * n);
          const before = pRef.toFloat64Array();
          step(cpu, pRef, ref64(g, shape), sRef, s);
          step(k, pGot, k.fromValues(g, shape, 'float32'), sGot, s);
          const after = pRef.toFloat64Array();
          for (let i = 0; i < n; i++) bound[i] += U32 * Math.abs(before[i]) + 32 * U32 * Math.abs(after[i] - before[i]);
        }
        within(await read(pGot), pRef.toFloat64Array(), (i) => bound[i], `${name} parameters`);
      }),
      fcParams(RUNS),
    );
  });
});
