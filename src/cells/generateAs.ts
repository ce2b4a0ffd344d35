import type { Expr } from './expression.ts';
import type { CellSpec } from './spec.ts';

/**
 * AssemblyScript f32x4 kernels generated from a CellSpec: the float32 WebAssembly path's pointwise
 * step, forward and backward, for every cell with a dense recurrence — so a cell added to the
 * table gets SIMD gate math without hand-written AssemblyScript (asm/cells.ts keeps the tuned LSTM
 * and tanh-RNN kernels). `npm run build` writes them into asm/build/cellsGenerated.ts
 * (asm/generateCells.ts) and compiles them with the rest of asm/.
 *
 * The spec's statements become straight-line f32x4 code, four units per iteration; the last H % 4
 * units run the same code on one lane. Arithmetic is float32 (one rounding per operation, in the
 * spec's order); sigmoid and tanh are asm/cells.ts's Cephes transcriptions (a few ulps). Gradients
 * entering the backward GEMMs are flushed to zero below 2^-126, as the hand-written kernels do
 * (src/backends/cpu/sequenceWasm.ts says why).
 *
 * Every exported kernel comes with a fingerprint of its own source, which the loader
 * (src/backends/cpu/wasm.ts) compares with the source generated from the spec it runs: a build
 * made from older equations is never used for the new ones.
 *
 * Pointers are byte addresses into the module's memory; row strides (`ld`) are in floats.
 *   <kind>_fwd(xi, xiLd, xb, hh, hhLd, hb, hp, cp, sv, ho, co, B, H)
 *     xi [B, xiLd]: x W_ihᵀ without bias; hh [B, hhLd]: h W_hhᵀ without bias; xb, hb [G·H] biases;
 *     hp, cp [B, H]: h_{t-1}, c_{t-1}; writes sv [B, S·H] (the saved values), ho, co [B, H].
 *   <kind>_bwd(dhIn, ldIn, useIn, ext, useExt, dhOut, carry, sv, hp, cp, hn, dc, dxi, dxiLd, dhh, dhhLd, B, H)
 *     dL/dh_t = (useIn ? dhIn[b·ldIn + j] + carry[b·H + j] : 0) + (useExt ? ext[b·H + j] : 0),
 *     stored to dhOut [B, H]; writes dxi [B, dxiLd] and (untied specs) dhh [B, dhhLd]; overwrites
 *     carry with dh_direct (cells with a direct path) and dc (cellState) with dL/dc_{t-1}.
 */

/** The names a generated kernel exports for one cell. */
export const asKernelNames = (kind: string) => ({
  forward: `${kind}_fwd`,
  backward: `${kind}_bwd`,
  fingerprint: `${kind}_fingerprint`,
});

/** Whether the generator handles a spec (the wasm path runs dense recurrences only). */
export const asGenerates = (spec: CellSpec): boolean => spec.recurrent === 'matrix';

const v = (name: string): string => `v_${name}`;

function f32(value: number): string {
  const s = String(value);
  return `sp(<f32>${/[.e]/.test(s) ? s : `${s}.0`})`;
}

/** One expression as nested f32x4 calls, evaluated in the spec's order. */
export function emitSimd(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return f32(e.value);
    case 'name':
      return v(e.name);
    case 'negate':
      return `f32x4.neg(${emitSimd(e.operand)})`;
    case 'binary': {
      const op = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' }[e.op];
      return `f32x4.${op}(${emitSimd(e.left)}, ${emitSimd(e.right)})`;
    }
    case 'call': {
      const [a, b] = e.args.map(emitSimd);
      switch (e.fn) {
        case 'sigmoid':
          return `vsigmoid(${a})`;
        case 'tanh':
          return `vtanh(${a})`;
        // x > 0 ? x : 0 lane by lane (NaN gives 0, as the spec's relu says).
        case 'relu':
          return `v128.and(${a}, f32x4.gt(${a}, sp(0)))`;
        case 'ifpos':
          return `v128.and(${b}, f32x4.gt(${a}, sp(0)))`;
      }
    }
  }
}

/** How a loop body reads and writes memory: four lanes, or the tail's one. */
interface Access {
  load(addr: string): string;
  store(addr: string, value: string): string;
}

const VECTOR: Access = {
  load: (a) => `v128.load(${a})`,
  store: (a, x) => `v128.store(${a}, ${x});`,
};

const LANE: Access = {
  load: (a) => `f32x4.splat(load<f32>(${a}))`,
  store: (a, x) => `store<f32>(${a}, f32x4.extract_lane(${x}, 0));`,
};

const indent = (lines: readonly string[], by: string): string => lines.map((l) => by + l).join('\n');

/** The two loops over units j of one row: by fours, then the tail one at a time. */
function unitLoops(body: (m: Access) => string[]): string {
  return `    let j = 0;
    for (; j < H4; j += 4) {
      const jb = <usize>j << 2;
${indent(body(VECTOR), '      ')}
    }
    for (; j < H; j++) {
      const jb = <usize>j << 2;
${indent(body(LANE), '      ')}
    }`;
}

const statementLines = (list: CellSpec['forwardStatements']): string[] =>
  list.map((s) => `const ${v(s.name)} = ${emitSimd(s.expr)};`);

function forwardBody(spec: CellSpec, m: Access): string[] {
  const lines: string[] = [`const ${v('h')} = ${m.load('hp + row + jb')};`];
  if (spec.cellState) lines.push(`const ${v('c')} = ${m.load('cp + row + jb')};`);
  spec.gates.forEach((g, k) => {
    const off = `${k} * hb + jb`;
    lines.push(`const ${v(`xi_${g}`)} = f32x4.add(${m.load(`x + ${off}`)}, ${m.load(`xb + ${off}`)});`);
    lines.push(`const ${v(`hh_${g}`)} = f32x4.add(${m.load(`r + ${off}`)}, ${m.load(`hb_ + ${off}`)});`);
  });
  lines.push(...statementLines(spec.forwardStatements));
  spec.saved.forEach((n, k) => lines.push(m.store(`s + ${k} * hb + jb`, v(n))));
  lines.push(m.store('ho + row + jb', v('h_next')));
  if (spec.cellState) lines.push(m.store('co + row + jb', v('c_next')));
  return lines;
}

function backwardBody(spec: CellSpec, m: Access): string[] {
  const fromNext = spec.hasDirect
    ? `f32x4.add(${m.load('dhIn + inRow + jb')}, ${m.load('carry + row + jb')})`
    : m.load('dhIn + inRow + jb');
  const lines: string[] = [
    `let ${v('dh')} = useIn ? ${fromNext} : sp(0);`,
    `if (useExt) ${v('dh')} = f32x4.add(${v('dh')}, ${m.load('ext + row + jb')});`,
    m.store('dhOut + row + jb', v('dh')),
  ];
  if (spec.cellState) lines.push(`const ${v('dc')} = ${m.load('dc + row + jb')};`);
  spec.saved.forEach((n, k) => lines.push(`const ${v(n)} = ${m.load(`s + ${k} * hb + jb`)};`));
  lines.push(`const ${v('h')} = ${m.load('hp + row + jb')};`);
  if (spec.cellState) lines.push(`const ${v('c')} = ${m.load('cp + row + jb')};`);
  lines.push(`const ${v('h_next')} = ${m.load('hn + row + jb')};`);
  lines.push(...statementLines(spec.backwardStatements));
  spec.gates.forEach((g, k) => {
    lines.push(m.store(`dx + ${k} * hb + jb`, `ftz(${v(`dxi_${g}`)})`));
    if (!spec.tied) lines.push(m.store(`dr + ${k} * hb + jb`, `ftz(${v(`dhh_${g}`)})`));
  });
  if (spec.hasDirect) lines.push(m.store('carry + row + jb', v('dh_direct')));
  if (spec.cellState) lines.push(m.store('dc + row + jb', v('dc_prev')));
  return lines;
}

/** The forward and backward kernels of one cell, without the fingerprint. */
function kernelsOf(spec: CellSpec): string {
  const names = asKernelNames(spec.kind);
  const S = spec.saved.length;
  return `/** ${spec.title}: one forward step over B rows. */
export function ${names.forward}(
  xi: usize, xiLd: i32, xb: usize, hh: usize, hhLd: i32, hb_: usize, hp: usize, cp: usize,
  sv: usize, ho: usize, co: usize, B: i32, H: i32,
): void {
  const hb = <usize>H << 2;
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const x = xi + (<usize>b * <usize>xiLd << 2);
    const r = hh + (<usize>b * <usize>hhLd << 2);
    const s = sv + <usize>b * ${S} * hb;
    const row = <usize>b * hb;
${unitLoops((m) => forwardBody(spec, m))}
  }
}

/** ${spec.title}: one backward step over B rows. */
export function ${names.backward}(
  dhIn: usize, ldIn: i32, useIn: i32, ext: usize, useExt: i32, dhOut: usize, carry: usize,
  sv: usize, hp: usize, cp: usize, hn: usize, dc: usize, dxi: usize, dxiLd: i32, dhh: usize, dhhLd: i32, B: i32, H: i32,
): void {
  const hb = <usize>H << 2;
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const inRow = <usize>b * <usize>ldIn << 2;
    const dx = dxi + (<usize>b * <usize>dxiLd << 2);
    const dr = dhh + (<usize>b * <usize>dhhLd << 2);
    const s = sv + <usize>b * ${S} * hb;
    const row = <usize>b * hb;
${unitLoops((m) => backwardBody(spec, m))}
  }
}
`;
}

/** FNV-1a, 32 bits: enough to tell one generated source from another. */
export function fingerprint(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A cell's kernels as generated now: what a build must have been made from to be used. */
export function asCellFingerprint(spec: CellSpec): number {
  return fingerprint(kernelsOf(spec));
}

/** The AssemblyScript module of every generated cell (asm/generateCells.ts writes it to a file). */
export function asModuleSource(specs: readonly CellSpec[]): string {
  const cells = specs.filter(asGenerates).map((spec) => `${kernelsOf(spec)}
export function ${asKernelNames(spec.kind).fingerprint}(): u32 {
  return ${asCellFingerprint(spec)};
}
`);
  return `// Generated by asm/generateCells.ts from the cell specifications (src/cells): do not edit.
import { ftz, sp, vsigmoid, vtanh } from '../cells';

${cells.join('\n')}`;
}
