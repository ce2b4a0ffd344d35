/**
 * learningRateAt = torch.optim.lr_scheduler's get_last_lr() after `step` scheduler steps
 * (torch 1.13): constant = no schedule (LambdaLR with factor 1), step = StepLR, cosine =
 * CosineAnnealingLR.
 *
 * torch computes both recursively (get_lr() scales the group's current lr each step):
 * StepLR multiplies by gamma at every multiple of step_size, CosineAnnealingLR multiplies
 * (lr - eta_min) by (1 + cos(pi k/T)) / (1 + cos(pi (k-1)/T)). gradlab uses the closed forms, so
 * against torch the agreement is to rounding (1e-12 relative, justified at `expectRelClose`), and
 * against the closed forms written out here it is bitwise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { learningRateAt, type ScheduleConfig } from '../../src/train/schedule.ts';
import { fcParams } from '../helpers/fc.ts';
import { runPython } from '../helpers/python.ts';

const RUNS = 50;
const STEPS = 50;

type Real = (min: number, max: number) => fc.Arbitrary<number>;
const plainReal: Real = (min, max) => fc.integer({ min: 0, max: 2 ** 40 }).map((k) => min + (max - min) * (k / 2 ** 40));
const mixedReal: Real = (min, max) => fc.oneof(fc.double({ min, max, noNaN: true }), plainReal(min, max));

const baseArb = (real: Real) => real(1e-5, 1);
const stepArb = (real: Real) => fc.record({ name: fc.constant('step' as const), stepSize: fc.integer({ min: 1, max: 12 }), gamma: real(0.05, 1.2) });
const cosineArb = (real: Real, withEtaMin: fc.Arbitrary<number>) =>
  fc.record({ name: fc.constant('cosine' as const), tMax: fc.integer({ min: 1, max: 60 }), etaMin: withEtaMin }, { requiredKeys: ['name', 'tMax'] });

/** torch's recursive StepLR.get_lr, in JS. */
function torchStepLr(s: { stepSize: number; gamma: number }, base: number, steps: number): number[] {
  const out = [base];
  for (let e = 1; e < steps; e++) out.push(e % s.stepSize !== 0 ? out[e - 1] : out[e - 1] * s.gamma);
  return out;
}

/** torch's recursive CosineAnnealingLR.get_lr, in JS (step() called once per epoch from 0). */
function torchCosineLr(s: { tMax: number; etaMin?: number }, base: number, steps: number): number[] {
  const T = s.tMax;
  const eta = s.etaMin ?? 0;
  const out = [base];
  for (let e = 1; e < steps; e++) {
    const lr = out[e - 1];
    if ((e - 1 - T) % (2 * T) === 0) out.push(lr + ((base - eta) * (1 - Math.cos(Math.PI / T))) / 2);
    else out.push(((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - eta) + eta);
  }
  return out;
}

/**
 * Relative agreement. StepLR: gamma^j by pow (<= 1 ulp) vs j repeated multiplications (<= j/2
 * ulp), j <= 49: <= 50u ~ 6e-15 relative. CosineAnnealingLR: each recursive factor's
 * 1 + cos(.) cancels near the end of the cycle, where its relative error is ~u / (1 + cos(pi k/T))
 * ~ 2u T^2 / (pi^2 j^2) for k = T - j; summed over the cycle that is ~0.33 u T^2 <= 1.3e-13 for
 * T <= 60 (the closed form's own 1 + cos has the same kind of error, once). 1e-12 covers both with
 * headroom and still fails on an off-by-one step (>= 1e-4 relative here) or a wrong eta_min
 * placement. Exact zeros (eta_min 0 at k = T) must be exact on both sides.
 */
function expectRelClose(ours: number, theirs: number, what: string): void {
  if (!(Math.abs(ours - theirs) <= 1e-12 * Math.abs(theirs))) expect.fail(`${what}: gradlab ${ours}, torch ${theirs} (rel ${Math.abs(ours - theirs) / Math.abs(theirs)})`);
}

describe('learningRateAt vs the closed forms (bitwise) and torch recursions in JS', () => {
  it('constant: the base rate at every step', () => {
    fc.assert(
      fc.property(baseArb(mixedReal), fc.nat(10_000), (base, step) => {
        expect(learningRateAt({ name: 'constant' }, base, step)).toBe(base);
      }),
      fcParams(RUNS),
    );
  });

  it('step: base * gamma^floor(k / stepSize) bitwise, and torch’s recursion to 1e-12', () => {
    fc.assert(
      fc.property(stepArb(mixedReal), baseArb(mixedReal), (s, base) => {
        const rec = torchStepLr(s, base, STEPS);
        for (let k = 0; k < STEPS; k++) {
          const lr = learningRateAt(s, base, k);
          expect(lr).toBe(base * s.gamma ** Math.floor(k / s.stepSize));
          expectRelClose(lr, rec[k], `k ${k}`);
          // Piecewise constant: changes only at multiples of stepSize.
          if (k > 0 && k % s.stepSize !== 0) expect(lr).toBe(learningRateAt(s, base, k - 1));
        }
      }),
      fcParams(RUNS),
    );
  });

  it('cosine on [0, tMax]: the closed form bitwise, exactly etaMin at tMax, monotone, torch’s recursion to 1e-12', () => {
    fc.assert(
      fc.property(cosineArb(mixedReal, plainReal(0, 1e-3)), baseArb(mixedReal), (s, base) => {
        const T = s.tMax;
        const eta = s.etaMin ?? 0;
        const rec = torchCosineLr(s, base, T + 1);
        for (let k = 0; k <= T; k++) {
          const lr = learningRateAt(s, base, k);
          // Step 0 is the optimizer's own rate, exactly (as torch); after it, the closed form bitwise.
          expect(lr).toBe(k === 0 ? base : eta + ((base - eta) * (1 + Math.cos((Math.PI * k) / T))) / 2);
          expectRelClose(lr, rec[k], `k ${k}`);
          if (k > 0 && eta <= base) expect(lr).toBeLessThanOrEqual(learningRateAt(s, base, k - 1));
        }
        expect(learningRateAt(s, base, T)).toBe(eta);
      }),
      fcParams(RUNS),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The real torch.optim.lr_scheduler.

const TORCH_SCRIPT = String.raw`
import json, sys, warnings
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, StepLR
warnings.filterwarnings('ignore')

out = []
for c in json.load(sys.stdin):
    s = c['schedule']
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=c['base'])
    if s['name'] == 'constant':
        sched = LambdaLR(opt, lambda epoch: 1.0)
    elif s['name'] == 'step':
        sched = StepLR(opt, step_size=s['stepSize'], gamma=s['gamma'])
    else:
        sched = CosineAnnealingLR(opt, T_max=s['tMax'], **({'eta_min': s['etaMin']} if 'etaMin' in s else {}))
    lrs = [sched.get_last_lr()[0]]
    for _ in range(1, c['steps']):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    out.append(lrs)
json.dump({'torch': torch.__version__, 'out': out}, sys.stdout)
`;

interface SchedCase {
  schedule: ScheduleConfig;
  base: number;
  steps: number;
}

let torchBatch: { cases: SchedCase[]; out: number[][]; seed: number } | null = null;
/** One python process for both torch tests. */
function torchResults() {
  if (torchBatch) return torchBatch;
  const seed = Number(process.env.FC_SEED ?? 20260424);
  const sample = <T>(arb: fc.Arbitrary<T>, n: number, k: number) => fc.sample(fc.noBias(arb), { seed: seed + k, numRuns: n });
  const withBase = (arb: fc.Arbitrary<ScheduleConfig>) => fc.record({ schedule: arb, base: baseArb(plainReal), steps: fc.constant(STEPS) });
  const cases: SchedCase[] = [
    ...sample(withBase(fc.constant({ name: 'constant' as const })), 4, 0),
    ...sample(withBase(stepArb(plainReal)), 8, 1),
    ...sample(withBase(cosineArb(plainReal, fc.oneof(fc.constant(0), plainReal(0, 1e-3)))), 12, 2),
  ];
  const res = JSON.parse(runPython(['-c', TORCH_SCRIPT], JSON.stringify(cases))) as { torch: string; out: number[][] };
  expect(res.torch).toMatch(/^1\.13/);
  torchBatch = { cases, out: res.out, seed };
  return torchBatch;
}

const tMaxOf = (s: ScheduleConfig) => (s.name === 'cosine' ? s.tMax : Infinity);

describe('learningRateAt vs the real torch.optim.lr_scheduler (torch 1.13, one python process)', () => {
  it(`constant, StepLR over ${STEPS} steps and CosineAnnealingLR on [0, T_max] equal get_last_lr() to 1e-12`, () => {
    const { cases, out, seed } = torchResults();
    cases.forEach((c, n) => {
      for (let k = 0; k < c.steps && k <= tMaxOf(c.schedule); k++) {
        expectRelClose(learningRateAt(c.schedule, c.base, k), out[n][k], `case ${n} ${JSON.stringify(c.schedule)} base ${c.base} step ${k} (seed ${seed})`);
      }
    });
  });

  it(`CosineAnnealingLR past T_max (torch keeps following the cosine, period 2 T_max) over ${STEPS} steps`, () => {
    const { cases, out, seed } = torchResults();
    const past = cases.filter((c) => tMaxOf(c.schedule) < c.steps - 1);
    expect(past.length, 'cases with T_max inside the window').toBeGreaterThan(0);
    cases.forEach((c, n) => {
      for (let k = tMaxOf(c.schedule) + 1; k < c.steps; k++) {
        expectRelClose(learningRateAt(c.schedule, c.base, k), out[n][k], `case ${n} ${JSON.stringify(c.schedule)} base ${c.base} step ${k} (seed ${seed})`);
      }
    });
  });
});
