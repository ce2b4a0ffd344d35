/**
 * The float32 arrays a whole-sequence tape keeps (sequenceWasm.ts: copies of x, h, the gates or
 * saved values, c and tanh(c), and the weights), reused from one training step to the next.
 *
 * Why: a tape of the wide benchmark shape holds ~12 MB, and allocating that afresh every step
 * (zeroed pages, page faults, then the collector unmapping it) cost 3-15 ms of a ~47 ms step,
 * varying with the heap's state (bench/NOTES.md). Copying into an array that already exists costs
 * ~0.2 ms per 6 MB.
 *
 * When: a tape's arrays come back here once its backward has run (the step's gradients exist),
 * and the next forward of the same cell and shape takes them. A later backward through that old
 * tape, whose arrays now hold another step's values, is refused with an error, never computed
 * from them; a second backward before the next forward (backward() twice through one graph) still
 * finds its arrays intact.
 */
export interface TapeArrays {
  /** Bumped each time the set is taken for a new tape: a tape holding an older number is stale. */
  generation: number;
  wIh: Float32Array;
  wHh: Float32Array;
  x: Float32Array;
  h: Float32Array;
  saved: Float32Array;
  c: Float32Array;
  tanhC: Float32Array;
}

/** Sets kept per shape: one per layer of that shape, in practice. */
const MAX_PER_KEY = 16;
/** Shapes kept: the oldest is dropped past this (a sweep over T makes a new shape per T). */
const MAX_KEYS = 8;

export class TapePool {
  private readonly free = new Map<string, TapeArrays[]>();

  /** A set of arrays of shape `key` given back earlier, or null. */
  take(key: string): TapeArrays | null {
    const list = this.free.get(key);
    return list?.pop() ?? null;
  }

  give(key: string, arrays: TapeArrays): void {
    let list = this.free.get(key);
    if (!list) {
      if (this.free.size >= MAX_KEYS) this.free.delete(this.free.keys().next().value!);
      list = [];
      this.free.set(key, list);
    }
    if (list.length < MAX_PER_KEY) list.push(arrays);
  }
}

/** `into` if it has exactly `length` floats, else a new array: a reused set fits its own shape. */
export function sized(into: Float32Array | undefined, length: number): Float32Array {
  return into && into.length === length ? into : new Float32Array(length);
}
