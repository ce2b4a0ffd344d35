import { emit, namesIn, type Dialect } from './expression.ts';
import { writesDirect } from './generateJs.ts';
import type { CellSpec, Statement } from './spec.ts';

/**
 * WGSL compute-shader bodies generated from a CellSpec: the same statements as the JavaScript
 * kernels, in f32, one invocation per (batch row b, unit j), i = b·H + j, with H in P[1]. The
 * WebGPU backend wraps them (binding declarations, the prelude with tanh_s and sigmoid_s, the
 * bounds check on i) in src/backends/webgpu/wgsl.ts.
 *
 * Unlike the JavaScript kernels, XI and HH arrive with their biases already added (the GEMM
 * accumulates onto a broadcast bias): a shader may bind at most 8 storage buffers by default,
 * and the LSTM needs 7 even so. A 'diagonal' recurrence binds U (the weight vector) and HB
 * (b_hh) instead of HH. Only the arrays a spec reads are bound.
 */

export type Access = 'read' | 'read_write';

export interface WgslCellKernel {
  /** Storage bindings 1..n in order (binding 0 is the parameter array P). */
  readonly bindings: readonly (readonly [string, Access])[];
  readonly body: string;
  /** Helper functions the body calls. */
  readonly extra: string;
}

const WGSL: Dialect = {
  name: (n) => `v_${n}`,
  number: (v) => (Number.isInteger(v) ? `${v}.0` : `${v}`),
  call: (fn, args) => `${fn}_s(${args.join(', ')})`,
};

const EXTRA = `
fn relu_s(x: f32) -> f32 { return select(0.0, x, x > 0.0); }
fn ifpos_s(y: f32, v: f32) -> f32 { return select(0.0, v, y > 0.0); }`;

function reads(list: readonly Statement[]): Set<string> {
  const used = new Set<string>();
  for (const s of list) namesIn(s.expr, used);
  return used;
}

const lets = (list: readonly Statement[]): string => list.map((s) => `  let v_${s.name} = ${emit(s.expr, WGSL)};`).join('\n');

/** Forward: XI, HH (or U, HB), [HP], [CP] → SV, HO, [CO]. */
export function wgslForward(spec: CellSpec): WgslCellKernel {
  const G = spec.gates.length;
  const S = spec.saved.length;
  const diagonal = spec.recurrent === 'diagonal';
  const usesH = diagonal || reads(spec.forwardStatements).has('h');
  const bindings: [string, Access][] = [
    ['XI', 'read'],
    ...(diagonal ? ([['U', 'read'], ['HB', 'read']] as [string, Access][]) : ([['HH', 'read']] as [string, Access][])),
    ...(usesH ? ([['HP', 'read']] as [string, Access][]) : []),
    ...(spec.cellState ? ([['CP', 'read']] as [string, Access][]) : []),
    // A binding the shader never touches is dropped from WGSL's automatic layout: bind only what is used.
    ...(S > 0 ? ([['SV', 'read_write']] as [string, Access][]) : []),
    ['HO', 'read_write'],
    ...(spec.cellState ? ([['CO', 'read_write']] as [string, Access][]) : []),
  ];
  const loads = spec.gates.map((g, k) => {
    const hh = diagonal ? `U[${k}u * H + j] * v_h + HB[${k}u * H + j]` : `HH[r + ${k}u * H + j]`;
    return `  let v_xi_${g} = XI[r + ${k}u * H + j];\n  let v_hh_${g} = ${hh};`;
  });
  const body = `  let H = P[1];
  let b = i / H;
  let j = i % H;
  let r = b * ${G}u * H;
  let sr = b * ${S}u * H;
${usesH ? '  let v_h = HP[i];\n' : ''}${spec.cellState ? '  let v_c = CP[i];\n' : ''}${loads.join('\n')}
${lets(spec.forwardStatements)}
${spec.saved.map((n, k) => `  SV[sr + ${k}u * H + j] = v_${n};`).join('\n')}
  HO[i] = v_h_next;
${spec.cellState ? '  CO[i] = v_c_next;' : ''}`;
  return { bindings, body, extra: EXTRA };
}

/** Backward: SV, [HP], [CP], [HN], DH, [DC], [U] → DXI, [DHH], [DUR], [DHD], [DCO]. */
export function wgslBackward(spec: CellSpec): WgslCellKernel {
  const G = spec.gates.length;
  const S = spec.saved.length;
  const diagonal = spec.recurrent === 'diagonal';
  const used = reads(spec.backwardStatements);
  const usesH = diagonal || used.has('h');
  const usesHn = used.has('h_next');
  const r = (name: string): [string, Access] => [name, 'read'];
  const w = (name: string): [string, Access] => [name, 'read_write'];
  const bindings: [string, Access][] = [
    ...(S > 0 ? [r('SV')] : []),
    ...(usesH ? [r('HP')] : []),
    ...(spec.cellState && used.has('c') ? [r('CP')] : []),
    ...(usesHn ? [r('HN')] : []),
    r('DH'),
    ...(spec.cellState ? [r('DC')] : []),
    ...(diagonal ? [r('U')] : []),
    w('DXI'),
    ...(spec.tied ? [] : [w('DHH')]),
    ...(diagonal ? [w('DUR')] : []),
    ...(writesDirect(spec) ? [w('DHD')] : []),
    ...(spec.cellState ? [w('DCO')] : []),
  ];
  const stores: string[] = [];
  spec.gates.forEach((g, k) => {
    stores.push(`  DXI[r + ${k}u * H + j] = v_dxi_${g};`);
    if (!spec.tied) stores.push(`  DHH[r + ${k}u * H + j] = v_dhh_${g};`);
    if (diagonal) stores.push(`  DUR[r + ${k}u * H + j] = v_dhh_${g} * v_h;`);
  });
  if (writesDirect(spec)) {
    const terms = [...(spec.hasDirect ? ['v_dh_direct'] : []), ...(diagonal ? spec.gates.map((g, k) => `U[${k}u * H + j] * v_dhh_${g}`) : [])];
    stores.push(`  DHD[i] = ${terms.join(' + ')};`);
  }
  if (spec.cellState) stores.push('  DCO[i] = v_dc_prev;');
  const body = `  let H = P[1];
  let b = i / H;
  let j = i % H;
  let r = b * ${G}u * H;
  let sr = b * ${S}u * H;
  let v_dh = DH[i];
${spec.cellState ? '  let v_dc = DC[i];\n' : ''}${spec.saved.map((n, k) => `  let v_${n} = SV[sr + ${k}u * H + j];`).join('\n')}
${usesH ? '  let v_h = HP[i];\n' : ''}${spec.cellState && used.has('c') ? '  let v_c = CP[i];\n' : ''}${usesHn ? '  let v_h_next = HN[i];\n' : ''}${lets(spec.backwardStatements)}
${stores.join('\n')}`;
  return { bindings, body, extra: EXTRA };
}
