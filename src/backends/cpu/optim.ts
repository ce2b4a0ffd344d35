import type { TypedArray } from '../../tensor/dtype.ts';
import type { AdamHyper, RmspropHyper, SgdHyper } from '../optimHyper.ts';

// In-place parameter updates, written as torch.optim's single-tensor loops (torch 1.13,
// foreach=False) so that the same gradients give the same parameters.

export function sgdStep(p: TypedArray, g: TypedArray, buf: TypedArray | null, o: SgdHyper): void {
  for (let i = 0; i < p.length; i++) {
    let d = g[i] + o.weightDecay * p[i];
    if (buf) {
      buf[i] = o.firstStep ? d : o.momentum * buf[i] + (1 - o.dampening) * d;
      d = o.nesterov ? d + o.momentum * buf[i] : buf[i];
    }
    p[i] -= o.lr * d;
  }
}

export function adamStep(p: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, o: AdamHyper): void {
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2Sqrt = Math.sqrt(1 - o.beta2 ** o.step);
  const stepSize = o.lr / bc1;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + o.weightDecay * p[i];
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * gi;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * gi * gi;
    p[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + o.eps);
  }
}

export function rmspropStep(p: TypedArray, g: TypedArray, sq: TypedArray, buf: TypedArray | null, o: RmspropHyper): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + o.weightDecay * p[i];
    sq[i] = o.alpha * sq[i] + (1 - o.alpha) * gi * gi;
    const step = gi / (Math.sqrt(sq[i]) + o.eps);
    if (buf) {
      buf[i] = o.momentum * buf[i] + step;
      p[i] -= o.lr * buf[i];
    } else {
      p[i] += (-o.lr * gi) / (Math.sqrt(sq[i]) + o.eps); // torch: p.addcdiv_(g, avg, value=-lr)
    }
  }
}
