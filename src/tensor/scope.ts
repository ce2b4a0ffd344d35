import { Tensor } from './tensor.ts';

/**
 * Explicit device memory, as tfjs's tidy/keep/dispose: a browser tells the garbage collector
 * nothing about GPU memory, so a backend whose tensors live on a device frees them only when told.
 *
 * - `scope(fn)` (or `beginScope()` ... `end()`) opens a scope. Every tensor a device backend
 *   creates while it is the innermost open scope is tracked by it (the backend calls `track` at
 *   allocation), and disposed when it ends — except the tensors `keep` was called on, and those
 *   `fn` returns (found in the returned value's arrays, plain objects and Maps), which move to the
 *   enclosing scope, or are no scope's when there is none.
 * - `keep(t)`: no scope disposes t; its owner disposes it (or it lives for the process).
 * - `dispose(x)`: every tensor in x, now. Disposing twice is harmless; using a disposed tensor
 *   on a device backend throws.
 *
 * Tensors created outside every scope are no scope's (parameters made before training, for
 * example). The CPU backend tracks nothing: its tensors are host memory, left to the garbage
 * collector, and dispose is a no-op there.
 *
 * Scopes nest as a stack. `fn` may be async: the scope then ends when its promise settles, and
 * every tensor a device backend makes meanwhile is its — two async scopes interleaving on one
 * thread would track each other's tensors, so ending a scope that is not the innermost one throws.
 */

class Scope {
  readonly tracked: Tensor[] = [];
  ended = false;
}

const open: Scope[] = [];
const kept = new WeakSet<Tensor>();

/** For device backends: record a tensor they just made in the innermost open scope. */
export function track(t: Tensor): void {
  if (open.length > 0) open[open.length - 1].tracked.push(t);
}

/** Exempt a tensor (or none) from every scope's end; returns it. */
export function keep<T extends Tensor | null | undefined>(t: T): T {
  if (t) kept.add(t);
  return t;
}

/** Whether a scope is open (a backend may skip bookkeeping when none is). */
export function inScope(): boolean {
  return open.length > 0;
}

/** Tensors, possibly inside arrays, plain objects and Maps (what a scope's function returns). */
export type TensorContainer = Tensor | null | undefined | readonly unknown[] | object;

/** Every tensor in `x` (arrays, plain objects and Map values searched, cycles allowed). */
function tensorsIn(x: unknown, out: Set<Tensor>, seen = new Set<unknown>()): Set<Tensor> {
  if (x === null || typeof x !== 'object' || seen.has(x)) return out;
  seen.add(x);
  if (x instanceof Tensor) out.add(x);
  else if (Array.isArray(x)) for (const v of x) tensorsIn(v, out, seen);
  else if (x instanceof Map) for (const v of x.values()) tensorsIn(v, out, seen);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) tensorsIn(v, out, seen);
  return out;
}

/** Dispose every tensor in `x` now (device memory back to the pool; a no-op on the CPU backend). */
export function dispose(x: TensorContainer): void {
  for (const t of tensorsIn(x, new Set())) t.dispose();
}

export interface ScopeHandle {
  /** End the scope: dispose what it tracked, except kept tensors and those in `result` (which
   * move to the enclosing scope). Ending twice does nothing. */
  end(result?: unknown): void;
}

/** Open a scope explicitly (for code whose scope is not one function, such as a loop body with
 * `break`: end it in a `finally`). */
export function beginScope(): ScopeHandle {
  const s = new Scope();
  open.push(s);
  return { end: (result?: unknown) => endScope(s, result) };
}

function endScope(s: Scope, result: unknown): void {
  if (s.ended) return;
  s.ended = true;
  const at = open.lastIndexOf(s);
  const innermost = at === open.length - 1;
  if (at >= 0) open.splice(at, 1);
  const returned = tensorsIn(result, new Set());
  const parent = open.length > 0 && innermost ? open[open.length - 1] : null;
  // Newest first: a step that made its tensors from the pool in some order puts their buffers
  // back in the reverse order, so the next step gets the same buffers for the same tensors.
  for (let i = s.tracked.length - 1; i >= 0; i--) {
    const t = s.tracked[i];
    if (returned.has(t)) parent?.tracked.push(t);
    else if (!kept.has(t)) t.dispose();
  }
  s.tracked.length = 0;
  if (!innermost) throw new Error('a tensor scope ended while an inner scope was still open (two async scopes interleaved): scopes must nest');
}

/**
 * Run `fn` in a scope (tfjs's tidy): the tensors device backends create meanwhile are disposed
 * when it returns (or its promise settles), except kept ones and the ones it returns.
 */
export function scope<T>(fn: () => T): T {
  const h = beginScope();
  let r: T;
  try {
    r = fn();
  } catch (e) {
    h.end();
    throw e;
  }
  if (r instanceof Promise) {
    return r.then(
      (v: unknown) => {
        h.end(v);
        return v;
      },
      (e: unknown) => {
        h.end();
        throw e;
      },
    ) as T;
  }
  h.end(r);
  return r;
}
