/**
 * The arithmetic a cell specification is written in: numbers, names, + - * /, unary minus,
 * parentheses and four functions. One parse feeds three readers: the JavaScript and WGSL kernel
 * generators (which print it back fully parenthesised, so every backend rounds in the order the
 * spec wrote) and the reference path, which evaluates it with differentiable ops.
 *
 *   sigmoid(x)   1 / (1 + e^-x)
 *   tanh(x)
 *   relu(x)      x where x > 0, else 0 (NaN gives 0, as torch's relu kernel's comparison does)
 *   ifpos(y, v)  v where y > 0, else 0 (a ReLU's derivative: 0 at exactly 0, as torch)
 */

export type FunctionName = 'sigmoid' | 'tanh' | 'relu' | 'ifpos';

export const FUNCTION_ARITY: Readonly<Record<FunctionName, number>> = { sigmoid: 1, tanh: 1, relu: 1, ifpos: 2 };

export type Expr =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'negate'; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly op: '+' | '-' | '*' | '/'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'call'; readonly fn: FunctionName; readonly args: readonly Expr[] };

const NAME = /^[a-z][a-z0-9_]*$/;

function isFunctionName(s: string): s is FunctionName {
  return Object.hasOwn(FUNCTION_ARITY, s);
}

/** Parse one expression; throws naming the source and the position of the first problem. */
export function parseExpression(source: string): Expr {
  const tokens = source.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|[a-z_][a-z0-9_]*|[-+*/(),]|\S/gi) ?? [];
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`cell expression "${source}": ${why}`);
  };
  const peek = (): string | undefined => tokens[pos];
  const take = (expected?: string): string => {
    const t = tokens[pos++];
    if (t === undefined) fail(expected ? `expected "${expected}" at the end` : 'unexpected end');
    if (expected !== undefined && t !== expected) fail(`expected "${expected}", found "${t}"`);
    return t!;
  };

  /** A left-associative chain of `operand`s joined by one precedence level's operators. */
  function chain(ops: readonly ('+' | '-' | '*' | '/')[], operand: () => Expr): Expr {
    let left = operand();
    for (let t = peek(); t !== undefined && (ops as readonly string[]).includes(t); t = peek()) {
      take();
      left = { kind: 'binary', op: t as '+' | '-' | '*' | '/', left, right: operand() };
    }
    return left;
  }
  const product = (): Expr => chain(['*', '/'], unary);
  const sum = (): Expr => chain(['+', '-'], product);
  function unary(): Expr {
    if (peek() === '-') {
      take();
      return { kind: 'negate', operand: unary() };
    }
    return primary();
  }
  function primary(): Expr {
    const t = take();
    if (t === '(') {
      const inner = sum();
      take(')');
      return inner;
    }
    if (/^\d/.test(t)) return { kind: 'number', value: Number(t) };
    if (!NAME.test(t)) return fail(`unexpected "${t}"`);
    if (peek() !== '(') return { kind: 'name', name: t };
    if (!isFunctionName(t)) return fail(`unknown function "${t}" (known: ${Object.keys(FUNCTION_ARITY).join(', ')})`);
    take('(');
    const args = [sum()];
    while (peek() === ',') {
      take();
      args.push(sum());
    }
    take(')');
    if (args.length !== FUNCTION_ARITY[t]) fail(`${t} takes ${FUNCTION_ARITY[t]} argument(s), got ${args.length}`);
    return { kind: 'call', fn: t, args };
  }

  const expr = sum();
  if (pos < tokens.length) fail(`unexpected "${tokens[pos]}"`);
  return expr;
}

/** Every node of an expression, depth first. */
function* nodes(e: Expr): Generator<Expr> {
  yield e;
  if (e.kind === 'negate') yield* nodes(e.operand);
  else if (e.kind === 'binary') {
    yield* nodes(e.left);
    yield* nodes(e.right);
  }
  else if (e.kind === 'call') for (const a of e.args) yield* nodes(a);
}

/** Every name an expression reads. */
export function namesIn(e: Expr, into = new Set<string>()): Set<string> {
  for (const n of nodes(e)) if (n.kind === 'name') into.add(n.name);
  return into;
}

/** Every function an expression calls. */
export function functionsIn(e: Expr, into = new Set<FunctionName>()): Set<FunctionName> {
  for (const n of nodes(e)) if (n.kind === 'call') into.add(n.fn);
  return into;
}

/** How one target language spells names, numbers and the functions. */
export interface Dialect {
  name(n: string): string;
  number(v: number): string;
  call(fn: FunctionName, args: readonly string[]): string;
}

/** Print fully parenthesised, so the evaluation order is the spec's in every language. */
export function emit(e: Expr, d: Dialect): string {
  switch (e.kind) {
    case 'number':
      return d.number(e.value);
    case 'name':
      return d.name(e.name);
    case 'negate':
      return `(-${emit(e.operand, d)})`;
    case 'binary':
      return `(${emit(e.left, d)} ${e.op} ${emit(e.right, d)})`;
    case 'call':
      return d.call(e.fn, e.args.map((a) => emit(a, d)));
  }
}

/** The operations an evaluator needs: plain numbers, or differentiable tensors (the reference path). */
export interface Algebra<T> {
  constant(v: number, like: T): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  negate(a: T): T;
  call(fn: FunctionName, args: readonly T[]): T;
}

/**
 * Evaluate with `env` for the names. `like` gives constants their shape (tensors) — any value
 * of the environment will do.
 */
export function evaluate<T>(e: Expr, env: ReadonlyMap<string, T>, alg: Algebra<T>, like: T): T {
  const go = (x: Expr): T => evaluate(x, env, alg, like);
  switch (e.kind) {
    case 'number':
      return alg.constant(e.value, like);
    case 'name': {
      const v = env.get(e.name);
      if (v === undefined) throw new Error(`cell expression: "${e.name}" has no value`);
      return v;
    }
    case 'negate':
      return alg.negate(go(e.operand));
    case 'binary': {
      const a = go(e.left);
      const b = go(e.right);
      return e.op === '+' ? alg.add(a, b) : e.op === '-' ? alg.sub(a, b) : e.op === '*' ? alg.mul(a, b) : alg.div(a, b);
    }
    case 'call':
      return alg.call(e.fn, e.args.map(go));
  }
}
