import { Rng } from '../tensor/rng.ts';
import { stridesOf } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { backward, zeroGrad } from './backward.ts';
import { noGrad } from './graph.ts';

/** Options, with torch.autograd.gradcheck's defaults. */
export interface GradcheckOptions {
  /** Central-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Compare vᵀ J u for random u, v instead of the full Jacobian: one backward and two forwards,
   * whatever the size, for long sequences (torch's fast_mode). */
  fastMode?: boolean;
  /** Seed of the random u, v in fast mode. */
  seed?: number;
  /** Throw a GradcheckError on failure (default) instead of returning ok: false. */
  raiseException?: boolean;
}

export interface GradcheckMismatch {
  input: number;
  inputName: string | undefined;
  /** Flat index into the input, and the same as a multi-index; -1 / [] in fast mode. */
  element: number;
  index: number[];
  /** Flat index of the output element; -1 in fast mode. */
  output: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** The largest |analytic - numeric| seen, and how many comparisons were made. */
  maxAbsError: number;
  comparisons: number;
  mismatch: GradcheckMismatch | null;
}

export class GradcheckError extends Error {
  constructor(readonly mismatch: GradcheckMismatch, readonly atol: number, readonly rtol: number) {
    super(describeMismatch(mismatch, atol, rtol));
    this.name = 'GradcheckError';
  }
}

function describeMismatch(m: GradcheckMismatch, atol: number, rtol: number): string {
  const who = `input ${m.input}${m.inputName ? ` (${m.inputName})` : ''}`;
  const where = m.element < 0 ? 'vᵀJu (fast mode)' : `element ${m.element} [${m.index.join(', ')}], output element ${m.output}`;
  const diff = Math.abs(m.analytic - m.numeric);
  return `gradcheck failed for ${who}, ${where}: analytic ${m.analytic}, numeric ${m.numeric}, ` +
    `|diff| ${diff.toExponential(3)} > atol + rtol*|numeric| = ${(atol + rtol * Math.abs(m.numeric)).toExponential(3)}`;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  return stridesOf(shape).map((s, i) => Math.floor(flat / s) % shape[i]);
}

function evaluate(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): Float64Array {
  return noGrad(() => fn(...inputs)).toFloat64Array();
}

/** Analytic dL/dinput for a gradient `seed` on the output; zeros where an input got none. */
function analyticGrads(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], checked: Tensor[], seed: Float64Array): Float64Array[] {
  zeroGrad(checked);
  const out = fn(...inputs);
  if (out.requiresGrad) backward(out, out.backend.fromValues(seed, out.shape, out.dtype));
  const grads = checked.map((t) => (t.grad ? t.grad.toFloat64Array() : new Float64Array(t.size)));
  zeroGrad(checked);
  return grads;
}

/**
 * Checks the analytic gradient of `fn` against central finite differences, the way
 * torch.autograd.gradcheck does: every input with requiresGrad must be float64 on the CPU
 * backend; the check passes where |analytic - numeric| <= atol + rtol * |numeric| everywhere.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const checkedIdx = inputs.flatMap((t, i) => (t.requiresGrad ? [i] : []));
  if (checkedIdx.length === 0) throw new Error('gradcheck: no input has requiresGrad = true');
  for (const i of checkedIdx) {
    const t = inputs[i];
    if (t.dtype !== 'float64') throw new Error(`gradcheck: input ${i} is ${t.dtype}; finite differences need float64`);
    // Finite differences perturb the inputs in place: their values must be in host memory.
    if (!ArrayBuffer.isView(t.storage)) throw new Error(`gradcheck: input ${i} is on ${t.backend.name}; gradcheck needs host memory (the cpu backend)`);
  }
  const checked = checkedIdx.map((i) => inputs[i]);

  let maxAbsError = 0;
  let comparisons = 0;
  let mismatch: GradcheckMismatch | null = null;
  const compare = (analytic: number, numeric: number, where: Omit<GradcheckMismatch, 'analytic' | 'numeric'>): void => {
    const diff = Math.abs(analytic - numeric);
    comparisons++;
    if (!Number.isNaN(maxAbsError) && !(diff <= maxAbsError)) maxAbsError = diff; // NaN sticks
    if (mismatch === null && !(diff <= atol + rtol * Math.abs(numeric))) mismatch = { ...where, analytic, numeric };
  };

  const outSize = evaluate(fn, inputs).length;
  if (opts.fastMode) {
    // One random output direction v; per input, one random direction u (others held still), as
    // torch's fast mode does, so a mismatch names the input it comes from.
    const rng = Rng.seeded(opts.seed ?? 0);
    const v = Float64Array.from({ length: outSize }, () => rng.normal());
    const grads = analyticGrads(fn, inputs, checked, v);
    checked.forEach((t, j) => {
      const u = Float64Array.from({ length: t.size }, () => rng.normal());
      let analytic = 0;
      grads[j].forEach((g, e) => (analytic += g * u[e]));
      const original = t.data.slice();
      const shifted = (sign: number): Float64Array => {
        original.forEach((x, e) => (t.data[e] = x + sign * eps * u[e]));
        const f = evaluate(fn, inputs);
        t.data.set(original);
        return f;
      };
      const plus = shifted(1);
      const minus = shifted(-1);
      let numeric = 0;
      for (let k = 0; k < outSize; k++) numeric += (v[k] * (plus[k] - minus[k])) / (2 * eps);
      compare(analytic, numeric, { input: checkedIdx[j], inputName: t.name, element: -1, index: [], output: -1 });
    });
  } else {
    // Analytic Jacobian, one backward per output element: rows[k][j] = d out[k] / d input j.
    const rows = Array.from({ length: outSize }, (_, k) => {
      const seed = new Float64Array(outSize);
      seed[k] = 1;
      return analyticGrads(fn, inputs, checked, seed);
    });
    checked.forEach((t, j) => {
      for (let e = 0; e < t.size; e++) {
        const saved = t.data[e];
        t.data[e] = saved + eps;
        const plus = evaluate(fn, inputs);
        t.data[e] = saved - eps;
        const minus = evaluate(fn, inputs);
        t.data[e] = saved;
        for (let k = 0; k < outSize; k++) {
          const numeric = (plus[k] - minus[k]) / (2 * eps);
          compare(rows[k][j][e], numeric, {
            input: checkedIdx[j], inputName: t.name, element: e, index: unravel(e, t.shape), output: k,
          });
        }
      }
    });
  }
  const result: GradcheckResult = { ok: mismatch === null, maxAbsError, comparisons, mismatch };
  if (mismatch && (opts.raiseException ?? true)) throw new GradcheckError(mismatch, atol, rtol);
  return result;
}

