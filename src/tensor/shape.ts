/** Shape helpers shared by every backend. Shapes are row-major (C order), like torch. */
export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** numpy/torch broadcasting: align on the right, a dimension of 1 stretches. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises a possibly negative axis against a rank, as torch does. */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

/** Size of the dimensions before, at and after an axis: the (outer, mid, inner) view every
 * axis-wise kernel (slice, concat, sum) iterates over. */
export function splitAtAxis(shape: Shape, axis: number): { outer: number; mid: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, mid: shape[axis], inner };
}

/** The result shape of concatenating `shapes` along `axis` (normalised); every shape must agree
 * off that axis. */
export function concatShape(shapes: readonly Shape[], axis: number): { axis: number; shape: number[] } {
  if (shapes.length === 0) throw new Error('concat needs at least one tensor');
  const first = shapes[0];
  const ax = normalizeAxis(axis, first.length);
  for (const s of shapes) {
    if (s.length !== first.length || s.some((d, i) => i !== ax && d !== first[i])) {
      throw new Error(`concat: shape ${formatShape(s)} does not match ${formatShape(first)} off axis ${ax}`);
    }
  }
  return { axis: ax, shape: first.map((d, i) => (i === ax ? shapes.reduce((n, s) => n + s[ax], 0) : d)) };
}
