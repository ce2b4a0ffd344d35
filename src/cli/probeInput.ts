import { CELL_KINDS, cellSpec, isCellKind, type CellKind } from '../cells/table.ts';
import type { ProbeBatch } from '../diagnostics/probe.ts';
import { readSafetensorsFile, SafetensorsError, type SafeTensor, type SafetensorsFile } from '../io/safetensors.ts';
import { MODEL_METADATA_KEY } from '../experiment/runWeights.ts';
import type { RecurrentNetConfig } from '../nn/recurrentNet.ts';
import { modelFromStateDict, StateDictError, type LoadedModel } from '../nn/stateDict.ts';
import { formatShape, sameShape } from '../tensor/shape.ts';
import { UsageError } from './usageError.ts';

/**
 * `gradlab probe`'s inputs, read and checked before anything runs: the weights file (a torch
 * state dict in safetensors), the data file (x, y, optional h0/c0) and the options that say how
 * to read them. Every problem is one line naming the file, the tensor or the option.
 */

export interface ProbeInputOptions {
  weights: string;
  data: string;
  cell?: string;
  loss?: string;
  target?: string;
  prefix?: string;
  head?: string;
  sample?: string;
}

export interface ProbeInput {
  model: LoadedModel;
  batch: ProbeBatch;
  loss: 'mse' | 'cross_entropy';
  target: 'last' | 'every';
  sample: number | null;
}

/** State values a probe may hold: every layer's per-step intermediates are kept for the
 * backward (about 15 [B, H] tensors a step for an LSTM on the ops path), so this is ~1 GB. */
export const PROBE_LIMITS = { stateValues: 8_000_000 } as const;

function readFile(path: string, option: string): SafetensorsFile {
  try {
    return readSafetensorsFile(path);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new UsageError(`${option}: ${e.message}`);
    throw e;
  }
}

function savedModel(file: SafetensorsFile, path: string): Partial<RecurrentNetConfig> | undefined {
  const text = file.metadata[MODEL_METADATA_KEY];
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Partial<RecurrentNetConfig>;
  } catch {
    // reported below
  }
  throw new UsageError(`--weights: ${path}: metadata "${MODEL_METADATA_KEY}" is not a JSON object`);
}

function parseCell(cell: string | undefined): CellKind | undefined {
  if (cell === undefined) return undefined;
  if (!isCellKind(cell)) throw new UsageError(`--cell must be one of ${CELL_KINDS.join(', ')}; got "${cell}"`);
  return cell;
}

function parseLoss(loss: string | undefined, y: SafeTensor): 'mse' | 'cross_entropy' {
  const integer = y.dtype.startsWith('I') || y.dtype.startsWith('U');
  if (loss === undefined) return integer ? 'cross_entropy' : 'mse';
  if (loss === 'mse') return 'mse';
  if (loss === 'ce' || loss === 'cross_entropy') return 'cross_entropy';
  throw new UsageError(`--loss must be mse or ce, got "${loss}"`);
}

function parseTarget(target: string | undefined, loss: 'mse' | 'cross_entropy', y: SafeTensor): 'last' | 'every' {
  const lastRank = loss === 'mse' ? 2 : 1;
  if (target === undefined) return y.shape.length === lastRank + 1 ? 'every' : 'last';
  if (target === 'last' || target === 'every') return target;
  throw new UsageError(`--target must be last or every, got "${target}"`);
}

/** The shape y must have, and what it means, for this loss and target. */
function expectedY(loss: 'mse' | 'cross_entropy', target: 'last' | 'every', B: number, T: number, O: number): { shape: number[]; text: string } {
  if (loss === 'mse') return target === 'last' ? { shape: [B, O], text: `[B, outputs] = [${B}, ${O}]` } : { shape: [B, T, O], text: `[B, T, outputs] = [${B}, ${T}, ${O}]` };
  return target === 'last' ? { shape: [B], text: `class indices [B] = [${B}]` } : { shape: [B, T], text: `class indices [B, T] = [${B}, ${T}]` };
}

function readBatch(file: SafetensorsFile, path: string, model: LoadedModel, loss: 'mse' | 'cross_entropy', target: 'last' | 'every'): ProbeBatch {
  const where = `--data: ${path}`;
  const allowed = ['x', 'y', 'h0', 'c0'];
  const extra = [...file.tensors.keys()].filter((k) => !allowed.includes(k));
  if (extra.length) throw new UsageError(`${where}: unexpected tensor "${extra[0]}" (the data file holds x, y and optionally h0, c0)`);
  const x = file.tensors.get('x');
  const y = file.tensors.get('y');
  if (!x || !y) throw new UsageError(`${where}: tensor "${x ? 'y' : 'x'}" is missing (x is [B, T, inputs], y the targets)`);
  const { inputSize: I, hiddenSize: H, numLayers: L, outputSize: O } = model.config;
  if (x.shape.length !== 3 || x.shape[2] !== I || x.shape[0] < 1 || x.shape[1] < 1) {
    throw new UsageError(`${where}: tensor "x" has shape ${formatShape(x.shape)}; the model reads [B, T, ${I}] with B, T >= 1`);
  }
  const [B, T] = x.shape;
  if (L * B * T * H > PROBE_LIMITS.stateValues) {
    throw new UsageError(`${where}: x of shape ${formatShape(x.shape)} with ${L} layer(s) of ${H} units is ${L * B * T * H} state values; at most ${PROBE_LIMITS.stateValues} (use fewer sequences)`);
  }
  const want = expectedY(loss, target, B, T, O);
  if (!sameShape(y.shape, want.shape)) {
    throw new UsageError(`${where}: tensor "y" has shape ${formatShape(y.shape)}; ${loss === 'mse' ? 'mse' : 'cross-entropy'} on ${target === 'last' ? 'the last step' : 'every step'} needs ${want.text}`);
  }
  if (loss === 'cross_entropy') {
    const bad = y.data.findIndex((k) => !Number.isInteger(k) || k < 0 || k >= O);
    if (bad >= 0) throw new UsageError(`${where}: y[${bad}] = ${y.data[bad]} is not a class index in [0, ${O})`);
  }
  const state = (name: 'h0' | 'c0'): Float64Array | null => {
    const t = file.tensors.get(name);
    if (!t) return null;
    if (name === 'c0' && !cellSpec(model.config.cell).cellState) throw new UsageError(`${where}: tensor "c0" is only for cells with a cell state (lstm), not ${model.config.cell}`);
    if (!sameShape(t.shape, [L, B, H])) throw new UsageError(`${where}: tensor "${name}" has shape ${formatShape(t.shape)}; it must be [layers, B, H] = [${L}, ${B}, ${H}]`);
    return t.data;
  };
  return { x: x.data, xShape: [B, T, I], y: y.data, yShape: want.shape, h0: state('h0'), c0: state('c0') };
}

export function readProbeInput(o: ProbeInputOptions): ProbeInput {
  const cell = parseCell(o.cell);
  const weights = readFile(o.weights, '--weights');
  let model: LoadedModel;
  try {
    model = modelFromStateDict(weights.tensors, { cell, prefix: o.prefix, head: o.head, saved: savedModel(weights, o.weights) });
  } catch (e) {
    if (e instanceof StateDictError) throw new UsageError(`--weights: ${o.weights}: ${e.message}`);
    throw e;
  }
  const data = readFile(o.data, '--data');
  const y = data.tensors.get('y');
  if (!y) throw new UsageError(`--data: ${o.data}: tensor "y" is missing (x is [B, T, inputs], y the targets)`);
  const loss = parseLoss(o.loss, y);
  const target = parseTarget(o.target, loss, y);
  const batch = readBatch(data, o.data, model, loss, target);
  let sample: number | null = null;
  if (o.sample !== undefined) {
    sample = Number(o.sample);
    const B = batch.xShape[0];
    if (!/^\d+$/.test(o.sample) || !(sample < B)) throw new UsageError(`--sample must be a sequence index in [0, ${B}), got "${o.sample}"`);
  }
  return { model, batch, loss, target, sample };
}
