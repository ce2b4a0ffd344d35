import { wgslBackward, wgslForward, type WgslCellKernel } from '../../cells/generateWgsl.ts';
import type { CellSpec } from '../../cells/spec.ts';
import type { Kernel } from './runtime.ts';
import { elementwise, elementwiseFrom, type Access } from './wgsl.ts';

/**
 * The per-step shaders of the WebGPU whole-sequence kernels (sequence.ts). Every per-step buffer
 * is time-major, row t·B + b, so that the projections and weight gradients of all T steps are
 * single GEMMs over T·B rows; a step's shader reaches its own rows through an index offset
 * (elementwiseFrom: i starts at P[2] = t·B·H), the cell's generated pointwise code unchanged.
 *
 * A step reads its predecessor's state from the block before its own, so the state buffers
 * hold one block more than the steps: HP = h_0..h_T and CP = c_0..c_T, block t being step t's
 * h_{t-1}. The step writes h_t and c_t both where the generated code writes them (HO, CO, block
 * t) and into block t+1 of HP and CP, the next step's inputs. Backward runs the other way: the
 * generated code reads dL/dc_t from block t of DC and writes dL/dc_{t-1} to block t of DCO; the
 * shader also writes it into block t-1 of DC, step t-1's input.
 */

export interface StepShader {
  readonly kernel: Kernel;
  /** The names bound at 1..n, in order (the generated code's names: XI, HP, DH, ...). */
  readonly bindings: readonly string[];
}

/** The generated bindings, with `writable` turned read_write and `added` appended if missing. */
function bindingsWith(gen: WgslCellKernel, writable: readonly string[], added: readonly string[]): [string, Access][] {
  const out: [string, Access][] = gen.bindings.map(([name, access]) => [name, writable.includes(name) ? 'read_write' : access]);
  for (const name of added) if (!out.some(([n]) => n === name)) out.push([name, 'read_write']);
  return out;
}

const forwardShaders = new Map<string, StepShader>();
const backwardShaders = new Map<string, StepShader>();

/** Step t of the forward. P: B·H, H, t·B·H. HP/CP hold T+1 blocks; the rest T. */
export function stepForward(spec: CellSpec): StepShader {
  let s = forwardShaders.get(spec.kind);
  if (!s) {
    const gen = wgslForward(spec);
    const state = spec.cellState ? ['CP'] : [];
    const bindings = bindingsWith(gen, ['HP', ...state], ['HP', ...state]);
    // P[0] = B·H: one block on.
    const handOn = `
  HP[i + P[0]] = v_h_next;
${spec.cellState ? '  CP[i + P[0]] = v_c_next;' : ''}`;
    s = { kernel: elementwiseFrom(bindings, gen.body + handOn, gen.extra), bindings: bindings.map(([n]) => n) };
    forwardShaders.set(spec.kind, s);
  }
  return s;
}

/** Step t of the backward. P: B·H, H, t·B·H. */
export function stepBackward(spec: CellSpec): StepShader {
  let s = backwardShaders.get(spec.kind);
  if (!s) {
    const gen = wgslBackward(spec);
    const bindings = bindingsWith(gen, spec.cellState ? ['DC'] : [], []);
    // Block t-1 exists from t = 1 on (i >= B·H); step 0's value is dL/dc_0, left in DCO's block 0.
    const handBack = spec.cellState ? '\n  if (i >= P[0]) { DC[i - P[0]] = v_dc_prev; }' : '';
    s = { kernel: elementwiseFrom(bindings, gen.body + handBack, gen.extra), bindings: bindings.map(([n]) => n) };
    backwardShaders.set(spec.kind, s);
  }
  return s;
}

/**
 * One step's recurrent projection, bias included: HH[cOff + r·N + c] = BIAS[c] + Σ_p
 * A[aOff + r·K + p] · W[c·K + p] over p = 0..K-1 in order (h_{t-1} W_hhᵀ + b_hh for the B rows
 * of step t, read from HP's block t). One invocation per output; the per-step product is small
 * (B·G·H outputs of H terms), so staging tiles would cost more barriers than it saves.
 * P: B·N, N, K, aOff, cOff.
 */
export const RECURRENT_PROJECTION: Kernel = elementwise(
  [['A', 'read'], ['W', 'read'], ['BIAS', 'read'], ['HH', 'read_write']],
  `  let N = P[1];
  let K = P[2];
  let r = i / N;
  let c = i % N;
  let a = P[3] + r * K;
  let w = c * K;
  var s = 0.0;
  for (var p = 0u; p < K; p++) { s += A[a + p] * W[w + p]; }
  HH[P[4] + i] = BIAS[c] + s;`,
);

const carryShaders = new Map<string, Kernel>();

/**
 * What step t-1 receives, formed in one pass: OUT[outOff + b·H + j] = Σ_g DG[gOff + b·GH + g] ·
 * W[g·H + j] (dL/d(W_hh h_{t-1}) through W_hh, g = 0..GH-1 in order; matrix recurrence only) +
 * DHD[dOff + b·H + j] (the direct path, cells that have one) + EXT[b·H + j] (dL/dh_{t-1} from
 * outside, when P[6] = 1): the total dL/dh_{t-1}, or dL/dh_0 at t = 0.
 * P: B·H, H, GH, outOff, gOff, dOff, hasExt.
 */
export function carryBack(matrix: boolean, direct: boolean): Kernel {
  const key = `${matrix}:${direct}`;
  let k = carryShaders.get(key);
  if (!k) {
    const bindings: [string, Access][] = [
      ...(matrix ? ([['DG', 'read'], ['W', 'read']] as [string, Access][]) : []),
      ...(direct ? ([['DHD', 'read']] as [string, Access][]) : []),
      ['EXT', 'read'],
      ['OUT', 'read_write'],
    ];
    k = elementwise(bindings, `  let H = P[1];
  let GH = P[2];
  let b = i / H;
  let j = i % H;
  var s = 0.0;
${matrix ? `  let g0 = P[4] + b * GH;
  for (var g = 0u; g < GH; g++) { s += DG[g0 + g] * W[g * H + j]; }` : ''}
${direct ? '  s += DHD[P[5] + i];' : ''}
  if (P[6] == 1u) { s += EXT[i]; }
  OUT[P[3] + i] = s;`);
    carryShaders.set(key, k);
  }
  return k;
}
