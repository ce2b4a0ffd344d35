import { emit, type Dialect } from './expression.ts';
import type { CellSpec } from './spec.ts';

/**
 * JavaScript kernels generated from a CellSpec (the webgpu-torch idea, for whole cells): the
 * spec's statements printed as straight-line code inside a loop over (batch row, unit), compiled
 * once per spec and variant with `new Function`. Every CPU path calls these — the per-step fused
 * kernel, the float64 whole-sequence kernel, and the float32 WebAssembly path for the cells whose
 * pointwise math is not hand-written in AssemblyScript — so there is one copy of each equation.
 *
 * Layout: the gate g of row b of a [B, G·H] block sits at off + b·ld + g·H + j; state rows
 * ([B, H]) are contiguous. Sums are formed in float64 (JavaScript numbers) whatever the arrays.
 */

export type Buf = Float32Array | Float64Array;

export interface CellForwardArgs {
  B: number;
  H: number;
  /** x W_ihᵀ, without bias. */
  xi: Buf; xiO: number; xiLd: number;
  /** b_ih [G·H]. */
  xb: ArrayLike<number>;
  /** 'matrix': h W_hhᵀ without bias; 'diagonal': the weight vector u [G·H] itself. */
  hh: Buf; hhO: number; hhLd: number;
  /** b_hh [G·H]. */
  hb: ArrayLike<number>;
  hp: Buf; hpO: number;
  /** c_{t-1} (cellState only; any array otherwise). */
  cp: Buf; cpO: number;
  /** The saved values, [B, S·H]. */
  sv: Buf; svO: number;
  ho: Buf; hoO: number;
  co: Buf; coO: number;
}

export interface CellBackwardArgs {
  B: number;
  H: number;
  sv: Buf; svO: number;
  hp: Buf; hpO: number;
  cp: Buf; cpO: number;
  /** h_t. */
  hn: Buf; hnO: number;
  /** Total dL/dh_t. */
  dh: Buf; dhO: number;
  /** dL/dc_t from later steps (cellState only). May be the same array as dco (read first). */
  dc: Buf; dcO: number;
  /** 'diagonal' only: the weight vector u [G·H]. */
  u: ArrayLike<number>;
  dxi: Buf; dxiO: number; dxiLd: number;
  /** Not written when the spec is tied (dhh is dxi) — pass dxi. */
  dhh: Buf; dhhO: number; dhhLd: number;
  /** 'diagonal' only: dhh_g · h_{t-1}, [B, G·H], whose batch sum is dL/du. */
  dur: Buf; durO: number; durLd: number;
  /** dh_direct (plus Σ_g u_g dhh_g for 'diagonal'), [B, H]; written when `writesDirect(spec)`. */
  dhd: Buf; dhdO: number;
  /** dL/dc_{t-1} (cellState only). */
  dco: Buf; dcoO: number;
}

export type CellForwardKernel = (a: CellForwardArgs) => void;
export type CellBackwardKernel = (a: CellBackwardArgs) => void;

/** Whether the backward writes `dhd`: a direct path, or a diagonal recurrence (u ⊙ dhh). */
export function writesDirect(spec: CellSpec): boolean {
  return spec.hasDirect || spec.recurrent === 'diagonal';
}

const JS: Dialect = {
  name: (n) => `v_${n}`,
  number: (v) => String(v),
  call: (fn, args) => `${fn}_(${args.join(', ')})`,
};

/** The functions the expressions call, defined inside every generated kernel. */
const PRELUDE = `
  // Never exponentiates a large positive number.
  const sigmoid_ = (x) => { if (x >= 0) return 1 / (1 + Math.exp(-x)); const e = Math.exp(x); return e / (1 + e); };
  const tanh_ = Math.tanh;
  const relu_ = (x) => (x > 0 ? x : 0);
  const ifpos_ = (y, v) => (y > 0 ? v : 0);
  const MIN_NORMAL = 1.1754943508222875e-38;
  const ftz_ = (v) => (v < MIN_NORMAL && v > -MIN_NORMAL ? 0 : v);`;

const statements = (list: CellSpec['forwardStatements']): string =>
  list.map((s) => `      const v_${s.name} = ${emit(s.expr, JS)};`).join('\n');

/** The forward kernel's source (exported for tests and for reading). */
export function forwardSource(spec: CellSpec, roundH: boolean): string {
  const S = spec.saved.length;
  const loads = spec.gates.map((g, k) => {
    const hh = spec.recurrent === 'diagonal' ? `hh[${k} * H + j] * v_h` : `hh[hr + ${k} * H + j]`;
    return `      const v_xi_${g} = xi[xr + ${k} * H + j] + xb[${k} * H + j];\n      const v_hh_${g} = ${hh} + hb[${k} * H + j];`;
  });
  return `${PRELUDE}
  const { B, H, xi, xiO, xiLd, xb, hh, hhO, hhLd, hb, hp, hpO, cp, cpO, sv, svO, ho, hoO, co, coO } = a;
  for (let b = 0; b < B; b++) {
    const xr = xiO + b * xiLd;
    const hr = hhO + b * hhLd;
    const sr = svO + b * ${S} * H;
    const u = b * H;
    for (let j = 0; j < H; j++) {
      const v_h = hp[hpO + u + j];
${spec.cellState ? '      const v_c = cp[cpO + u + j];\n' : ''}${loads.join('\n')}
${statements(spec.forwardStatements)}
${spec.saved.map((n, k) => `      sv[sr + ${k} * H + j] = v_${n};`).join('\n')}
      ho[hoO + u + j] = ${roundH ? 'Math.fround(v_h_next)' : 'v_h_next'};
${spec.cellState ? '      co[coO + u + j] = v_c_next;' : ''}
    }
  }`;
}

/** The backward kernel's source. */
export function backwardSource(spec: CellSpec, ftz: boolean): string {
  const S = spec.saved.length;
  const store = (v: string): string => (ftz ? `ftz_(${v})` : v);
  const diagonal = spec.recurrent === 'diagonal';
  const lines: string[] = [];
  spec.gates.forEach((g, k) => {
    lines.push(`      dxi[xr + ${k} * H + j] = ${store(`v_dxi_${g}`)};`);
    if (!spec.tied) lines.push(`      dhh[hr + ${k} * H + j] = ${store(`v_dhh_${g}`)};`);
    if (diagonal) lines.push(`      dur[ur + ${k} * H + j] = v_dhh_${g} * v_h;`);
  });
  if (writesDirect(spec)) {
    const terms = [...(spec.hasDirect ? ['v_dh_direct'] : []), ...(diagonal ? spec.gates.map((g, k) => `u[${k} * H + j] * v_dhh_${g}`) : [])];
    lines.push(`      dhd[dhdO + s + j] = ${terms.join(' + ')};`);
  }
  if (spec.cellState) lines.push('      dco[dcoO + s + j] = v_dc_prev;');
  return `${PRELUDE}
  const { B, H, sv, svO, hp, hpO, cp, cpO, hn, hnO, dh, dhO, dc, dcO, u, dxi, dxiO, dxiLd, dhh, dhhO, dhhLd, dur, durO, durLd, dhd, dhdO, dco, dcoO } = a;
  for (let b = 0; b < B; b++) {
    const sr = svO + b * ${S} * H;
    const xr = dxiO + b * dxiLd;
    const hr = dhhO + b * dhhLd;
    const ur = durO + b * durLd;
    const s = b * H;
    for (let j = 0; j < H; j++) {
      const v_dh = dh[dhO + s + j];
${spec.cellState ? '      const v_dc = dc[dcO + s + j];\n' : ''}${spec.saved.map((n, k) => `      const v_${n} = sv[sr + ${k} * H + j];`).join('\n')}
      const v_h = hp[hpO + s + j];
${spec.cellState ? '      const v_c = cp[cpO + s + j];\n' : ''}      const v_h_next = hn[hnO + s + j];
${statements(spec.backwardStatements)}
${lines.join('\n')}
    }
  }`;
}

const cache = new Map<string, unknown>();

/** Compile `source` as a kernel of one argument `a`, once per key. */
function compiled<K>(key: string, source: () => string): K {
  let k = cache.get(key) as K | undefined;
  if (!k) {
    k = new Function('a', source()) as K;
    cache.set(key, k);
  }
  return k;
}

/**
 * The compiled kernels, one per spec × variant × array type (keeping each copy monomorphic for
 * V8). `roundH` rounds h_t to float32 as it is stored in a float64 buffer (the float32 tensors
 * of the JavaScript sequence kernel); `ftz` flushes subnormal gradients to zero (the float32
 * WebAssembly path: see sequenceWasm.ts).
 */
export function forwardKernel(spec: CellSpec, roundH: boolean, arrays: 'f32' | 'f64'): CellForwardKernel {
  return compiled(`${spec.kind}/fwd/${roundH}/${arrays}`, () => forwardSource(spec, roundH));
}

export function backwardKernel(spec: CellSpec, ftz: boolean, arrays: 'f32' | 'f64'): CellBackwardKernel {
  return compiled(`${spec.kind}/bwd/${ftz}/${arrays}`, () => backwardSource(spec, ftz));
}
