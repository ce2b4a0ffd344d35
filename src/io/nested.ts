import { formatShape, numel, type Shape } from '../tensor/shape.ts';

/** What a JSON value looks like, for error messages. */
function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null) return 'null';
  return typeof value === 'number' ? `the number ${value}` : `a ${typeof value}`;
}

/**
 * Flatten a nested JSON array that must have exactly `shape` (row-major), or explain in one
 * line, naming `field`, what was expected and what was found.
 */
export function flattenNested(value: unknown, shape: Shape, field: string): Float64Array {
  const out = new Float64Array(numel(shape));
  let at = 0;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`${field}${path} must be a finite number (expected shape ${formatShape(shape)}), got ${describe(v)}`);
      }
      out[at++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new Error(`${field}${path} must be an array of length ${shape[depth]} (expected shape ${formatShape(shape)}), got ${describe(v)}`);
    }
    v.forEach((item, i) => walk(item, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
  return out;
}

/** The shape of a rectangular nested array (following first elements), for inferring B and T. */
export function leadingShape(value: unknown, depth: number): number[] {
  const shape: number[] = [];
  let v = value;
  for (let d = 0; d < depth && Array.isArray(v); d++) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/** Numbers for JSON: NaN and ±Infinity become null (JSON has no such values). */
export function jsonNumber(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function toNestedJson(values: ArrayLike<number>, shape: Shape): unknown {
  const rec = (offset: number, depth: number): unknown => {
    if (depth === shape.length) return jsonNumber(values[offset]);
    const stride = numel(shape.slice(depth + 1));
    return Array.from({ length: shape[depth] }, (_, i) => rec(offset + i * stride, depth + 1));
  };
  return rec(0, 0);
}
