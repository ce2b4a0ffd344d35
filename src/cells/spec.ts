import { functionsIn, namesIn, parseExpression, type Expr } from './expression.ts';

/**
 * One recurrent cell, declared once. Every kernel that runs it — the CPU's per-step and
 * whole-sequence JavaScript kernels, the WebGPU shaders, and the reference path of
 * differentiable ops — is generated from this declaration (src/cells/generateJs.ts,
 * generateWgsl.ts, src/ops/cellReference.ts), so they cannot disagree about the equations.
 *
 * The affine part is the same for every cell and is not written here: for each gate g (torch's
 * order, blocks of H rows in the weights),
 *   xi_g = W_ih[g] x_t + b_ih[g]                      (the input side)
 *   hh_g = W_hh[g] h_{t-1} + b_hh[g]                  (recurrent: 'matrix', W_hh [G·H, H])
 *   hh_g = W_hh[g] ⊙ h_{t-1} + b_hh[g]                (recurrent: 'diagonal', W_hh [G·H], IndRNN)
 * What is written here is the pointwise rest, per unit j, as `[name, expression]` statements in
 * the small language of expression.ts.
 *
 * forward reads:  xi_<g>, hh_<g> for every gate g; h (h_{t-1}); c (c_{t-1}, when cellState).
 *   It defines h_next (and c_next), and every name in `saved`.
 * backward reads: dh (the total dL/dh_t), dc (dL/dc_t from later steps, when cellState), the
 *   `saved` names, h, c and h_next. It defines dxi_<g> and dhh_<g> (dL/d xi_g, dL/d hh_g) for
 *   every gate; dc_prev (when cellState); and optionally dh_direct, what h_{t-1} receives other
 *   than through hh (the GRU's z·dh). The generic code adds the rest: W_hh's share (or
 *   W_hh ⊙ dhh for a diagonal recurrence) and every weight gradient.
 *
 * The backward is written by hand, as torch's kernels are; the tests check it three ways: against
 * autograd through the forward (the reference path), against finite differences, and against
 * PyTorch (or, for cells torch lacks, a float64 torch-ops rendering of the paper's equations).
 */
export interface CellSpecSource {
  /** Short description shown in docs and errors, e.g. "torch.nn.LSTM". */
  readonly title: string;
  /** Gate names in torch's order; G = gates.length blocks in W_ih, W_hh, b_ih, b_hh. */
  readonly gates: readonly string[];
  readonly recurrent: 'matrix' | 'diagonal';
  /** True for cells with a second state c (the LSTM). */
  readonly cellState: boolean;
  /** Per-unit values the forward keeps for the backward, in this order. */
  readonly saved: readonly string[];
  readonly forward: readonly (readonly [string, string])[];
  readonly backward: readonly (readonly [string, string])[];
}

export interface Statement {
  readonly name: string;
  readonly expr: Expr;
}

/** A checked specification: the source plus its parsed statements. */
export interface CellSpec extends CellSpecSource {
  readonly kind: string;
  readonly forwardStatements: readonly Statement[];
  readonly backwardStatements: readonly Statement[];
  /** True when dhh_g is exactly dxi_g for every gate: kernels then keep one buffer for both. */
  readonly tied: boolean;
  readonly hasDirect: boolean;
}

const NAME = /^[a-z][a-z0-9_]*$/;

function check(kind: string, phase: string, lines: readonly (readonly [string, string])[], inputs: readonly string[], outputs: readonly string[]): Statement[] {
  const known = new Set(inputs);
  const statements = lines.map(([name, source]) => {
    const where = `cell ${kind}, ${phase} "${name}"`;
    if (!NAME.test(name)) throw new Error(`${where}: a name is lower case letters, digits and _`);
    if (known.has(name)) throw new Error(`${where}: defined twice (or shadows an input)`);
    let expr: Expr;
    try {
      expr = parseExpression(source);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    for (const used of namesIn(expr)) {
      if (!known.has(used)) throw new Error(`${where}: reads "${used}", which is not defined before it`);
    }
    known.add(name);
    return { name, expr };
  });
  for (const out of outputs) {
    if (!known.has(out)) throw new Error(`cell ${kind}: the ${phase} must define "${out}"`);
  }
  return statements;
}

/** Validate a declaration once, at import: a typo in a spec fails loudly, never at training. */
export function defineCell(kind: string, src: CellSpecSource): CellSpec {
  if (src.gates.length === 0) throw new Error(`cell ${kind}: needs at least one gate`);
  if (new Set(src.gates).size !== src.gates.length) throw new Error(`cell ${kind}: gate names repeat`);
  const state = src.cellState ? ['c'] : [];
  const forwardStatements = check(
    kind, 'forward', src.forward,
    [...src.gates.flatMap((g) => [`xi_${g}`, `hh_${g}`]), 'h', ...state],
    ['h_next', ...(src.cellState ? ['c_next'] : []), ...src.saved],
  );
  if (forwardStatements.some((s) => functionsIn(s.expr).has('ifpos'))) {
    throw new Error(`cell ${kind}: ifpos is a derivative's helper, for backward statements only (the reference path differentiates the forward)`);
  }
  const backwardStatements = check(
    kind, 'backward', src.backward,
    ['dh', ...(src.cellState ? ['dc'] : []), ...src.saved, 'h', ...state, 'h_next'],
    [...src.gates.flatMap((g) => [`dxi_${g}`, `dhh_${g}`]), ...(src.cellState ? ['dc_prev'] : [])],
  );
  const byName = new Map(backwardStatements.map((s) => [s.name, s.expr]));
  const tied = src.gates.every((g) => {
    const e = byName.get(`dhh_${g}`);
    return e?.kind === 'name' && e.name === `dxi_${g}`;
  });
  return { ...src, kind, forwardStatements, backwardStatements, tied, hasDirect: byName.has('dh_direct') };
}
