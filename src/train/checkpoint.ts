import type { Backend } from '../backends/backend.ts';
import type { RecurrentNet } from '../nn/recurrentNet.ts';
import { isDType, type DType } from '../tensor/dtype.ts';
import { Rng, type RngState } from '../tensor/rng.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Optimizer, ParamState } from './optimizers.ts';

export const CHECKPOINT_FORMAT = 'gradlab.checkpoint/1';

/** A tensor's exact bits: little-endian IEEE 754 bytes, base64 (JSON has no binary, and a
 * decimal float32 would not round-trip without care). */
export interface EncodedTensor {
  dtype: DType;
  shape: number[];
  base64: string;
}

/**
 * Everything a run needs to continue exactly where it stopped, at a step boundary: the
 * parameters, the optimizer's state, every random stream, the step (which is also the data
 * position: one batch is drawn per step), and the per-step record the trainer keeps in memory.
 * Log entries are not here: they are streamed to the run's JSON-lines file, and the first
 * `logCount` of them belong to this checkpoint.
 */
export interface TrainCheckpoint {
  format: typeof CHECKPOINT_FORMAT;
  /** Steps done: the next step to run. */
  step: number;
  logCount: number;
  /** Training time spent before this point, over every attempt. */
  elapsedMs: number;
  clipPerStep: number[];
  params: Record<string, EncodedTensor>;
  optimizer: { name: string; state: ({ steps: number; buffers: EncodedTensor[] } | null)[] };
  /** The data stream after `step` batches (checked after replaying them) and the dropout stream. */
  rngs: { data: RngState; dropout: RngState };
}

async function encode(t: Tensor): Promise<EncodedTensor> {
  const values = await t.backend.readAsync(t);
  const width = t.dtype === 'float32' ? 4 : 8;
  const bytes = new Uint8Array(values.length * width);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => (width === 4 ? view.setFloat32(i * 4, v, true) : view.setFloat64(i * 8, v, true)));
  return { dtype: t.dtype, shape: [...t.shape], base64: Buffer.from(bytes).toString('base64') };
}

function decodeValues(e: EncodedTensor, where: string): Float64Array {
  if (!isDType(e?.dtype) || !Array.isArray(e.shape) || typeof e.base64 !== 'string') throw new Error(`${where}: not an encoded tensor`);
  const width = e.dtype === 'float32' ? 4 : 8;
  const bytes = Buffer.from(e.base64, 'base64');
  const n = e.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== n * width) throw new Error(`${where}: ${bytes.length} bytes for shape [${e.shape.join(', ')}] ${e.dtype}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float64Array.from({ length: n }, (_, i) => (width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true)));
}

function decode(e: EncodedTensor, backend: Backend, where: string): Tensor {
  return backend.fromValues(decodeValues(e, where), e.shape, e.dtype);
}

/** The trainer's state at a step boundary (reads the parameters and optimizer buffers back). */
export async function captureCheckpoint(
  net: RecurrentNet, optimizer: Optimizer,
  at: { step: number; logCount: number; elapsedMs: number; clipPerStep: readonly number[]; rngs: { data: Rng; dropout: Rng } },
): Promise<TrainCheckpoint> {
  const params: Record<string, EncodedTensor> = {};
  for (const [name, p] of net.params) params[name] = await encode(p);
  const state = await Promise.all(optimizer.state().map(async (s) => (s ? { steps: s.steps, buffers: await Promise.all(s.buffers.map(encode)) } : null)));
  return {
    format: CHECKPOINT_FORMAT,
    step: at.step,
    logCount: at.logCount,
    elapsedMs: at.elapsedMs,
    clipPerStep: [...at.clipPerStep],
    params,
    optimizer: { name: optimizer.config.name, state },
    rngs: { data: at.rngs.data.saveState(), dropout: at.rngs.dropout.saveState() },
  };
}

/**
 * Put a checkpoint's parameters and optimizer state into a freshly built net and optimizer of
 * the same configuration; returns the dropout stream to continue with. Throws, naming what does
 * not fit, when the checkpoint was made for another model.
 */
export function restoreCheckpoint(net: RecurrentNet, optimizer: Optimizer, c: TrainCheckpoint): { dropout: Rng } {
  if (c.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint format is ${String(c.format)}, expected ${CHECKPOINT_FORMAT}`);
  const names = [...net.params.keys()];
  const saved = Object.keys(c.params);
  if (saved.length !== names.length || names.some((n) => !(n in c.params))) {
    throw new Error(`checkpoint holds parameters ${saved.join(', ')}; the model has ${names.join(', ')}`);
  }
  for (const [name, p] of net.params) {
    const t = decode(c.params[name], p.backend, `checkpoint params["${name}"]`);
    if (t.dtype !== p.dtype || t.shape.join(',') !== p.shape.join(',')) {
      throw new Error(`checkpoint params["${name}"] is ${t.dtype} [${t.shape.join(', ')}]; the model's is ${p.dtype} [${p.shape.join(', ')}]`);
    }
    p.backend.copyInto(p, t);
  }
  if (c.optimizer.name !== optimizer.config.name) throw new Error(`checkpoint optimizer is ${c.optimizer.name}, the run's is ${optimizer.config.name}`);
  const params = [...net.params.values()];
  const state: (ParamState | null)[] = c.optimizer.state.map((s, i) => (s
    ? { steps: s.steps, buffers: s.buffers.map((b, j) => decode(b, params[i].backend, `checkpoint optimizer.state[${i}].buffers[${j}]`)) }
    : null));
  optimizer.loadState(state);
  return { dropout: Rng.fromState(c.rngs.dropout) };
}

/** Whether two generator states are the same point of the same stream (the data replay check). */
export function sameRngState(a: RngState, b: RngState): boolean {
  return a.words.every((w, i) => w === b.words[i]) && a.spareNormal === b.spareNormal;
}
