/**
 * Every pointwise op declared once, with its forward and its derivative side by side (the
 * praeclarum/webgpu-torch op-table idea): backends generate their loops from this table, so
 * they agree by construction. The derivative is written in terms of the input x, the output y
 * and the incoming gradient dy, whichever is most accurate.
 */
export interface UnaryOpDef {
  forward(x: number): number;
  /** dL/dx given x, y = forward(x) and dL/dy. */
  backward(x: number, y: number, dy: number): number;
  /** The same two expressions in WGSL (f32), over `x`, `y` and `dy`; the WebGPU backend builds
   * its kernels from them. `tanh_s` and `sigmoid_s` are defined in its shader prelude. */
  wgsl: { forward: string; backward: string };
}

export const UNARY_OPS = {
  neg: { forward: (x) => -x, backward: (_x, _y, dy) => -dy, wgsl: { forward: '-x', backward: '-dy' } },
  // (1 + y)(1 - y) rather than 1 - y*y: exact where tanh saturates (JAX's lax.tanh rule),
  // which is where vanishing gradients live.
  tanh: {
    forward: Math.tanh, backward: (_x, y, dy) => dy * (1 + y) * (1 - y),
    wgsl: { forward: 'tanh_s(x)', backward: 'dy * (1.0 + y) * (1.0 - y)' },
  },
  sigmoid: {
    forward: sigmoid, backward: (_x, y, dy) => dy * y * (1 - y),
    wgsl: { forward: 'sigmoid_s(x)', backward: 'dy * y * (1.0 - y)' },
  },
  // torch's relu gradient at exactly 0 is 0.
  relu: {
    forward: (x) => (x > 0 ? x : 0), backward: (x, _y, dy) => (x > 0 ? dy : 0),
    wgsl: { forward: 'select(0.0, x, x > 0.0)', backward: 'select(0.0, dy, x > 0.0)' },
  },
  exp: { forward: Math.exp, backward: (_x, y, dy) => dy * y, wgsl: { forward: 'exp(x)', backward: 'dy * y' } },
  log: { forward: Math.log, backward: (x, _y, dy) => dy / x, wgsl: { forward: 'log(x)', backward: 'dy / x' } },
  square: { forward: (x) => x * x, backward: (x, _y, dy) => 2 * x * dy, wgsl: { forward: 'x * x', backward: '2.0 * x * dy' } },
  sqrt: { forward: Math.sqrt, backward: (_x, y, dy) => dy / (2 * y), wgsl: { forward: 'sqrt(x)', backward: 'dy / (2.0 * y)' } },
} satisfies Record<string, UnaryOpDef>;

export type UnaryOp = keyof typeof UNARY_OPS;

/** Numerically stable logistic: never exponentiates a large positive number. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export const BINARY_OPS = {
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
  div: (a: number, b: number) => a / b,
} satisfies Record<string, (a: number, b: number) => number>;

/** The binary ops in WGSL, over `a` and `b`. */
export const BINARY_WGSL: Record<keyof typeof BINARY_OPS, string> = { add: 'a + b', sub: 'a - b', mul: 'a * b', div: 'a / b' };

export type BinaryOp = keyof typeof BINARY_OPS;
