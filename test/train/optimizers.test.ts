/**
 * torch.optim.SGD / Adam / RMSprop (torch 1.13, single-tensor path, float64).
 *
 * Two references:
 * - `reference()` below: torch 1.13's `_single_tensor_sgd/_adam/_rmsprop` transliterated to scalar
 *   loops over number[], operation for operation (each `x.add(y, alpha=a)` is `x + a*y`, each
 *   `x.addcdiv(y, z, value=a)` is `x + (a*y)/z`, each `x.addcmul(y, y, value=a)` is `x + (a*y)*y`),
 *   with state (momentum buffer, moments, step count) kept per parameter and created on the
 *   parameter's first update, as torch does. gradlab's kernels perform the same IEEE operations in
 *   the same order, so the result must be bitwise equal (=== : +0 and -0 count as equal), with
 *   one exception: RMSprop without momentum, where torch computes `p + ((-lr)*g)/avg` and gradlab
 *   `p - lr*(g/avg)` — two roundings grouped differently, see `RMSPROP_TOL`.
 * - the real torch.optim, in one /usr/bin/python3 process for a batch of random cases (to 1e-12
 *   of each tensor's largest magnitude, justified at `expectCloseToTorch`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { createOptimizer, type OptimizerConfig } from '../../src/train/optimizers.ts';
import { fcParams } from '../helpers/fc.ts';
import { runPython } from '../helpers/python.ts';

const RUNS = 40;
const U = 2 ** -53;

interface ParamSpec {
  shape: number[];
  values: number[];
}
interface StepSpec {
  /** The learning rate passed to step() (what a schedule computes). */
  lr: number;
  /** One gradient per parameter; null = the parameter has no .grad this step. */
  grads: (number[] | null)[];
}
interface OptCase {
  config: OptimizerConfig;
  params: ParamSpec[];
  steps: StepSpec[];
}

const numel = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

// ---------------------------------------------------------------------------------------------
// Reference: torch 1.13 single-tensor loops on number[].

interface PState {
  step: number;
  buf: number[] | null; // SGD / RMSprop momentum buffer
  m: number[] | null; // Adam exp_avg
  v: number[] | null; // Adam exp_avg_sq, RMSprop square_avg
}

interface RefResult {
  /** Parameter values after each step: [step][param][element]. */
  traj: number[][][];
  /** Sum over steps of |change| of each element (the scale of the RMSprop tolerance). */
  moved: number[][];
}

function reference(c: OptCase): RefResult {
  const cfg = c.config;
  const p = c.params.map((s) => [...s.values]);
  const st: PState[] = p.map(() => ({ step: 0, buf: null, m: null, v: null }));
  const moved = p.map((x) => x.map(() => 0));
  const traj: number[][][] = [];
  for (const s of c.steps) {
    const lr = s.lr;
    p.forEach((x, i) => {
      const gIn = s.grads[i];
      if (gIn === null) return; // torch skips parameters whose .grad is None
      const state = st[i];
      const before = [...x];
      if (cfg.name === 'sgd') {
        const momentum = cfg.momentum ?? 0;
        const dampening = cfg.dampening ?? 0;
        const nesterov = cfg.nesterov ?? false;
        const wd = cfg.weightDecay ?? 0;
        let d = wd !== 0 ? gIn.map((g, j) => g + wd * x[j]) : [...gIn];
        if (momentum !== 0) {
          if (state.buf === null) state.buf = [...d]; // torch.clone(d_p): first update, undamped
          else state.buf = state.buf.map((b, j) => b * momentum + (1 - dampening) * d[j]);
          const buf = state.buf;
          d = nesterov ? d.map((dj, j) => dj + momentum * buf[j]) : [...buf];
        }
        for (let j = 0; j < x.length; j++) x[j] = x[j] + -lr * d[j];
      } else if (cfg.name === 'adam') {
        const beta1 = cfg.beta1 ?? 0.9;
        const beta2 = cfg.beta2 ?? 0.999;
        const eps = cfg.eps ?? 1e-8;
        const wd = cfg.weightDecay ?? 0;
        state.m ??= x.map(() => 0);
        state.v ??= x.map(() => 0);
        state.step += 1;
        const g = wd !== 0 ? gIn.map((gj, j) => gj + wd * x[j]) : gIn;
        const m = state.m.map((mj, j) => mj * beta1 + (1 - beta1) * g[j]);
        const v = state.v.map((vj, j) => vj * beta2 + (1 - beta2) * g[j] * g[j]);
        state.m = m;
        state.v = v;
        const bc1 = 1 - beta1 ** state.step;
        const bc2 = 1 - beta2 ** state.step;
        const stepSize = lr / bc1;
        const bc2Sqrt = Math.sqrt(bc2);
        for (let j = 0; j < x.length; j++) {
          const denom = Math.sqrt(v[j]) / bc2Sqrt + eps;
          x[j] = x[j] + (-stepSize * m[j]) / denom;
        }
      } else {
        const alpha = cfg.alpha ?? 0.99;
        const eps = cfg.eps ?? 1e-8;
        const wd = cfg.weightDecay ?? 0;
        const momentum = cfg.momentum ?? 0;
        state.v ??= x.map(() => 0);
        const g = wd !== 0 ? gIn.map((gj, j) => gj + wd * x[j]) : gIn;
        const sq = state.v.map((a, j) => a * alpha + (1 - alpha) * g[j] * g[j]);
        state.v = sq;
        const avg = sq.map((a) => Math.sqrt(a) + eps);
        if (momentum > 0) {
          state.buf ??= x.map(() => 0);
          const buf = state.buf.map((b, j) => b * momentum + g[j] / avg[j]);
          state.buf = buf;
          for (let j = 0; j < x.length; j++) x[j] = x[j] + -lr * buf[j];
        } else {
          for (let j = 0; j < x.length; j++) x[j] = x[j] + (-lr * g[j]) / avg[j];
        }
      }
      for (let j = 0; j < x.length; j++) moved[i][j] += Math.abs(x[j] - before[j]);
    });
    traj.push(p.map((x) => [...x]));
  }
  return { traj, moved };
}

// ---------------------------------------------------------------------------------------------
// gradlab side.

function makeParams(c: OptCase): Tensor[] {
  return c.params.map((s) => tensor(s.values, s.shape, { dtype: 'float64', requiresGrad: true }));
}

function setGrads(params: Tensor[], step: StepSpec): void {
  params.forEach((p, i) => {
    const g = step.grads[i];
    p.grad = g === null ? null : tensor(g, p.shape, { dtype: 'float64' });
  });
}

/** Runs gradlab; returns the trajectory and checks on the way that step() never writes a grad. */
function runGradlab(c: OptCase): number[][][] {
  const params = makeParams(c);
  const opt = createOptimizer(params, c.config);
  const traj: number[][][] = [];
  for (const s of c.steps) {
    setGrads(params, s);
    opt.step(s.lr);
    params.forEach((p, i) => {
      if (s.grads[i] !== null) expect(Array.from(p.grad!.toFloat64Array()), 'step() must not modify .grad').toEqual(s.grads[i]);
    });
    traj.push(params.map((p) => Array.from(p.toFloat64Array())));
  }
  return traj;
}

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Bitwise (up to the sign of zero) equality of whole trajectories, with a useful message. */
function expectSameTrajectory(ours: number[][][], ref: number[][][], what: string): void {
  ref.forEach((stepVals, k) =>
    stepVals.forEach((vals, i) =>
      vals.forEach((r, j) => {
        const a = ours[k][i][j];
        if (!same(a, r)) expect.fail(`${what}: step ${k + 1} param ${i} [${j}]: gradlab ${a}, reference ${r} (diff ${a - r})`);
      }),
    ),
  );
}

/**
 * RMSprop without momentum: gradlab's `p - lr*(g/avg)` and torch's `p + ((-lr)*g)/avg` each round
 * the quotient and the product once (<= 2u relative each, u = 2^-53), so the updates differ by
 * <= 4u|update| and the two subtractions by one more rounding of |p|. An element that moved by M in
 * total (sum over <= 6 steps of |update|, from the reference) and ended at |p| is therefore at most
 * ~6*(4u*M + u*|p|) away, before weight decay feeds the difference into the next gradient (wd <= 0.1,
 * a small factor). 64u*(|p| + M) ~ 7e-15*(|p| + M) is 2-3x above that; a wrong alpha, eps or weight
 * decay is off by >= 1e-9 relative. The absolute 1e-300 covers subnormal results.
 */
function expectRmspropClose(ours: number[][][], ref: RefResult, what: string): void {
  const last = ref.traj.length - 1;
  ref.traj.forEach((stepVals, k) =>
    stepVals.forEach((vals, i) =>
      vals.forEach((r, j) => {
        const a = ours[k][i][j];
        const tol = 64 * U * (Math.abs(r) + ref.moved[i][j]) + 1e-300;
        if (!(Math.abs(a - r) <= tol)) expect.fail(`${what}: step ${k + 1}/${last + 1} param ${i} [${j}]: gradlab ${a}, reference ${r} (diff ${a - r}, tol ${tol})`);
      }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

type Real = (min: number, max: number) => fc.Arbitrary<number>;
/** fast-check's doubles: biased toward edge values (0, -0, subnormals, the bounds). */
const edgyReal: Real = (min, max) => fc.double({ min, max, noNaN: true });
/** Uniform reals on a 2^40 grid: no special values, for comparisons with a tolerance. */
const plainReal: Real = (min, max) => fc.integer({ min: 0, max: 2 ** 40 }).map((k) => min + (max - min) * (k / 2 ** 40));
/** 0 a quarter of the time (the branch torch skips), else `arb`. */
/** Either, per value: edge cases and ordinary magnitudes (edge values alone make most updates 0). */
const mixedReal: Real = (min, max) => fc.oneof(edgyReal(min, max), plainReal(min, max));
const zeroOr = (arb: fc.Arbitrary<number>) => fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: arb, weight: 3 });

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 });

function configArb(kind: 'sgd' | 'adam' | 'rmsprop', real: Real, forTorch: boolean): fc.Arbitrary<OptimizerConfig> {
  // Optional keys are sometimes left out, so the defaults are exercised too.
  const opt = { requiredKeys: [] as never[] };
  switch (kind) {
    case 'sgd':
      return fc
        .record({
          lr: real(0, 1),
          momentum: zeroOr(real(0, 0.99)),
          dampening: zeroOr(real(0, 1)),
          nesterov: fc.oneof({ arbitrary: fc.constant(false), weight: 2 }, { arbitrary: fc.constant(true), weight: 1 }),
          weightDecay: zeroOr(real(0, 0.1)),
        })
        .map((c): OptimizerConfig => ({
          name: 'sgd',
          ...c,
          ...(c.nesterov ? { dampening: 0, momentum: c.momentum > 0 ? c.momentum : 0.9 } : {}),
        }));
    case 'adam':
      return fc
        .record(
          {
            lr: real(0, 1),
            beta1: real(0, 0.99),
            // torch side: beta2 <= 0.999 keeps 1/(1 - beta2^t) <= 1e3, see expectCloseToTorch.
            beta2: forTorch ? real(0.9, 0.999) : real(0, 0.9999),
            eps: forTorch ? real(1e-8, 1e-2) : real(1e-12, 1e-1),
            weightDecay: zeroOr(real(0, 0.1)),
          },
          opt,
        )
        .map((c): OptimizerConfig => ({ name: 'adam', ...c }));
    case 'rmsprop':
      return fc
        .record(
          {
            lr: real(0, 1),
            alpha: real(0, 0.999),
            eps: forTorch ? real(1e-8, 1e-2) : real(1e-12, 1e-1),
            weightDecay: zeroOr(real(0, 0.1)),
            momentum: zeroOr(real(0, 0.99)),
          },
          opt,
        )
        .map((c): OptimizerConfig => ({ name: 'rmsprop', ...c }));
  }
}

interface CaseOptions {
  real: Real;
  forTorch?: boolean;
  /** Let gradients be missing (null) for some parameters at some steps. */
  missingGrads?: boolean;
}

function caseArb(kind: 'sgd' | 'adam' | 'rmsprop', o: CaseOptions): fc.Arbitrary<OptCase> {
  const { real, forTorch = false, missingGrads = false } = o;
  const value = real(-10, 10);
  return fc.array(shapeArb, { minLength: 1, maxLength: 3 }).chain((shapes) => {
    const vec = (s: number[]) => fc.array(value, { minLength: numel(s), maxLength: numel(s) });
    const grad = (s: number[]) => (missingGrads ? fc.option(vec(s), { nil: null, freq: 2 }) : vec(s));
    const step = fc.record({ lr: forTorch ? real(1e-4, 0.5) : real(0, 1), grads: fc.tuple(...shapes.map(grad)) });
    return fc.record({
      config: configArb(kind, real, forTorch),
      params: fc.tuple(...shapes.map((shape) => vec(shape).map((values) => ({ shape, values })))),
      steps: fc.array(step, { minLength: 1, maxLength: 6 }),
    });
  });
}

const KINDS = ['sgd', 'adam', 'rmsprop'] as const;
const usesTolerance = (c: OptimizerConfig) => c.name === 'rmsprop' && !((c.momentum ?? 0) > 0);

function checkAgainstReference(c: OptCase): void {
  const ref = reference(c);
  const ours = runGradlab(c);
  if (usesTolerance(c.config)) expectRmspropClose(ours, ref, c.config.name);
  else expectSameTrajectory(ours, ref.traj, c.config.name);
}

// ---------------------------------------------------------------------------------------------

describe('optimizers vs a scalar transliteration of torch 1.13 (float64)', () => {
  it.each(KINDS)('%s: every step equals the reference (bitwise; RMSprop w/o momentum to 64u), learning rate from step()', (kind) => {
    // config.lr is drawn independently of the per-step rates, so an optimizer that ignored
    // step(lr) would fail here.
    fc.assert(fc.property(caseArb(kind, { real: mixedReal }), checkAgainstReference), fcParams(RUNS));
  });

  it.each(KINDS)('%s: state is per parameter, created at its first update (some parameters lack a grad at some steps)', (kind) => {
    // torch keeps the momentum buffer and the Adam step count per parameter: a parameter first
    // updated at step k starts its SGD buffer undamped at that step, and its Adam bias correction
    // at t = 1.
    fc.assert(fc.property(caseArb(kind, { real: mixedReal, missingGrads: true }), checkAgainstReference), fcParams(RUNS));
  });

  it.each(KINDS)('%s: a parameter without a grad is left bitwise untouched', (kind) => {
    fc.assert(
      fc.property(caseArb(kind, { real: edgyReal, missingGrads: true }), (c) => {
        const params = makeParams(c);
        const opt = createOptimizer(params, c.config);
        for (const s of c.steps) {
          setGrads(params, s);
          const before = params.map((p) => p.toFloat64Array());
          opt.step(s.lr);
          params.forEach((p, i) => {
            if (s.grads[i] !== null) return;
            const after = p.toFloat64Array();
            expect(p.grad).toBeNull();
            after.forEach((a, j) => expect(Object.is(a, before[i][j]), `param ${i} [${j}] changed: ${before[i][j]} -> ${a}`).toBe(true));
          });
        }
      }),
      fcParams(RUNS),
    );
  });

  it.each(KINDS)('%s: step(0) changes nothing and config.lr is not what step() uses', (kind) => {
    fc.assert(
      fc.property(caseArb(kind, { real: plainReal }), fc.double({ min: 1, max: 100, noNaN: true }), (c, otherLr) => {
        // Same case under a different config.lr: identical trajectory.
        const a = runGradlab(c);
        const b = runGradlab({ ...c, config: { ...c.config, lr: otherLr } });
        expectSameTrajectory(b, a, `config.lr ${otherLr} vs ${c.config.lr}`);
        // All-zero rates: parameters stay exactly where they were.
        const frozen = runGradlab({ ...c, steps: c.steps.map((s) => ({ ...s, lr: 0 })) });
        expectSameTrajectory(frozen, c.steps.map(() => c.params.map((p) => p.values)), 'lr 0');
      }),
      fcParams(RUNS),
    );
  });
});

describe('SGD argument checks', () => {
  it('nesterov needs momentum > 0 and dampening 0 (torch raises ValueError otherwise)', () => {
    fc.assert(
      fc.property(zeroOr(fc.double({ min: 0, max: 0.99, noNaN: true })), zeroOr(fc.double({ min: 0, max: 1, noNaN: true })), (momentum, dampening) => {
        const params = [tensor([1, 2], [2], { dtype: 'float64' })];
        const make = () => createOptimizer(params, { name: 'sgd', lr: 0.1, momentum, dampening, nesterov: true });
        if (momentum > 0 && dampening === 0) expect(make).not.toThrow();
        else expect(make).toThrow(/nesterov/i);
      }),
      fcParams(RUNS),
    );
    expect(() => createOptimizer([], { name: 'sgd', lr: 0.1, nesterov: true })).toThrow(/nesterov/i);
  });
});

// ---------------------------------------------------------------------------------------------
// The real torch.optim.

const TORCH_SCRIPT = String.raw`
import inspect, json, sys
import torch

def default(cls, name):
    return inspect.signature(cls.__init__).parameters[name].default

out = []
for c in json.load(sys.stdin):
    cfg = c['config']
    ps = [torch.tensor(p['values'], dtype=torch.float64).reshape(p['shape']).requires_grad_() for p in c['params']]
    name = cfg['name']
    if name == 'sgd':
        kw = {'lr': cfg['lr']}
        for k, tk in [('momentum', 'momentum'), ('dampening', 'dampening'), ('nesterov', 'nesterov'), ('weightDecay', 'weight_decay')]:
            if k in cfg:
                kw[tk] = cfg[k]
        opt = torch.optim.SGD(ps, **kw)
    elif name == 'adam':
        b = default(torch.optim.Adam, 'betas')
        kw = {'betas': (cfg.get('beta1', b[0]), cfg.get('beta2', b[1]))}
        for k, tk in [('lr', 'lr'), ('eps', 'eps'), ('weightDecay', 'weight_decay')]:
            if k in cfg:
                kw[tk] = cfg[k]
        opt = torch.optim.Adam(ps, **kw)
    else:
        kw = {}
        for k, tk in [('lr', 'lr'), ('alpha', 'alpha'), ('eps', 'eps'), ('weightDecay', 'weight_decay'), ('momentum', 'momentum')]:
            if k in cfg:
                kw[tk] = cfg[k]
        opt = torch.optim.RMSprop(ps, **kw)
    traj = []
    for s in c['steps']:
        for group in opt.param_groups:
            group['lr'] = s['lr']
        for p, g in zip(ps, s['grads']):
            p.grad = None if g is None else torch.tensor(g, dtype=torch.float64).reshape(p.shape)
        opt.step()
        traj.append([p.detach().reshape(-1).tolist() for p in ps])
    out.append(traj)
json.dump({'torch': torch.__version__, 'out': out}, sys.stdout)
`;

const TORCH_CASES_PER_KIND = 7; // x3 kinds = 21 cases with every grad present
const TORCH_SPARSE_PER_KIND = 3; // + 9 cases where some grads are missing

interface TorchBatch {
  full: { c: OptCase; theirs: number[][][] }[];
  sparse: { c: OptCase; theirs: number[][][] }[];
  seed: number;
  version: string;
}

let torchBatch: TorchBatch | null = null;
/** One python process for every torch comparison in this file. */
function torchResults(): TorchBatch {
  if (torchBatch) return torchBatch;
  const seed = Number(process.env.FC_SEED ?? 20260422);
  const sample = (kind: (typeof KINDS)[number], missingGrads: boolean, n: number, k: number) =>
    fc.sample(fc.noBias(caseArb(kind, { real: plainReal, forTorch: true, missingGrads })), { seed: seed + k, numRuns: n });
  const full = KINDS.flatMap((kind, k) => sample(kind, false, TORCH_CASES_PER_KIND, k));
  const sparse = KINDS.flatMap((kind, k) => sample(kind, true, TORCH_SPARSE_PER_KIND, 10 + k));
  const res = JSON.parse(runPython(['-c', TORCH_SCRIPT], JSON.stringify([...full, ...sparse]))) as { torch: string; out: number[][][][] };
  torchBatch = {
    full: full.map((c, n) => ({ c, theirs: res.out[n] })),
    sparse: sparse.map((c, n) => ({ c, theirs: res.out[full.length + n] })),
    seed,
    version: res.torch,
  };
  return torchBatch;
}

/**
 * Same algorithm, same operation order per element (the reference above is bitwise equal to
 * gradlab and transliterates torch's loop). What remains differs by an ulp here and there: torch's
 * AVX2 kernels compute `x.add(y, alpha=a)` as one fused multiply-add (one rounding instead of
 * two); Python's pow (glibc) and V8's may differ by an ulp in beta^t, which 1/(1 - beta^t) <= 1e3
 * (beta2 <= 0.999 on this side) amplifies to <= 1e-13 relative; the RMSprop grouping noted at the
 * top. A few ulps per step over <= 6 steps, on values bounded by the tensor's largest magnitude,
 * is ~1e-14 of it; 1e-12 leaves ~100x headroom, and a formula slip (eps inside the sqrt, a missing
 * bias correction, a damped first buffer) shows at >= 1e-9. Values are uniform (no cancellation
 * of g against wd*p to ~1e-8 that an eps >= 1e-8 would turn into a large relative error).
 */
function expectCloseToTorch(ours: number[][][], theirs: number[][][], what: string): void {
  theirs.forEach((stepVals, k) =>
    stepVals.forEach((vals, i) => {
      const scale = Math.max(...vals.map(Math.abs));
      vals.forEach((b, j) => {
        const a = ours[k][i][j];
        if (!(Math.abs(a - b) <= 1e-12 * scale + 1e-300)) {
          expect.fail(`${what}: step ${k + 1} param ${i} [${j}]: gradlab ${a}, torch ${b} (diff ${a - b}, scale ${scale})`);
        }
      });
    }),
  );
}

describe('optimizers vs the real torch.optim (torch 1.13, float64, one python process)', () => {
  it('SGD/Adam/RMSprop with random configs and 1-6 steps agree with torch to 1e-12', () => {
    const { full, seed, version } = torchResults();
    expect(version).toMatch(/^1\.13/);
    full.forEach(({ c, theirs }, n) => {
      const tag = `case ${n} ${JSON.stringify(c.config)} (seed ${seed})`;
      expectCloseToTorch(runGradlab(c), theirs, tag);
      // The transliteration is torch too: this pins the reference used by the properties above.
      expectCloseToTorch(reference(c).traj, theirs, `reference ${tag}`);
    });
  });

  it('agrees with torch when some parameters have no grad at some steps (per-parameter state)', () => {
    const { sparse, seed } = torchResults();
    sparse.forEach(({ c, theirs }, n) => {
      const tag = `sparse case ${n} ${JSON.stringify(c.config)} grads ${JSON.stringify(c.steps.map((s) => s.grads.map((g) => g !== null)))} (seed ${seed})`;
      expectCloseToTorch(reference(c).traj, theirs, `reference ${tag}`);
      expectCloseToTorch(runGradlab(c), theirs, tag);
    });
  });
});
