import { CELL_KINDS, cellSpec, isCellKind, type CellKind } from '../cells/table.ts';
import { formatShape, sameShape, type Shape } from '../tensor/shape.ts';
import { parameterShapes, type RecurrentNetConfig } from './recurrentNet.ts';

/**
 * A torch state dict (as read from a safetensors file) -> a RecurrentNet's config and weights.
 * torch names the recurrent module's tensors `<prefix>weight_ih_l{k}` ... (prefix "rnn." for a
 * module attribute `rnn`, "" for a bare nn.LSTM's state dict) and a Linear head `<head>.weight`,
 * `<head>.bias`. The model's shape is read off the tensors and then every tensor is checked
 * against it, so a mismatch is reported as the one key that disagrees.
 */

export interface NamedArray {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export interface StateDictOptions {
  /** Needed only where the tensors cannot tell (rnn_tanh and rnn_relu have the same shapes). */
  cell?: CellKind;
  /** The recurrent module's key prefix ("rnn" or "rnn." or ""); found when there is one. */
  prefix?: string;
  /** The head's key prefix; 'none' for no head. By default "head" when head.weight exists. */
  head?: string;
  /** What gradlab recorded when it saved the file (safetensors metadata "gradlab.model"). */
  saved?: Partial<RecurrentNetConfig>;
}

export interface LoadedModel {
  /** outputSize is the head's width, or hiddenSize without a head (an identity head then). */
  config: RecurrentNetConfig;
  /** Under gradlab's names (rnn.*, head.*), ready for RecurrentNet.fromValues. */
  values: Map<string, Float64Array>;
  prefix: string;
  head: string | null;
  ignoredKeys: string[];
}

/** A state dict that does not describe a model we can build: one line naming the key. */
export class StateDictError extends Error {}

const FIRST_LAYER = 'weight_ih_l0';

function findPrefix(keys: readonly string[], given: string | undefined): string {
  if (given !== undefined) {
    const prefix = given === '' || given.endsWith('.') ? given : `${given}.`;
    if (!keys.includes(prefix + FIRST_LAYER)) {
      throw new StateDictError(`--prefix "${given}": there is no tensor "${prefix}${FIRST_LAYER}"${hintPrefixes(keys)}`);
    }
    return prefix;
  }
  const found = keys.filter((k) => k.endsWith(FIRST_LAYER)).map((k) => k.slice(0, -FIRST_LAYER.length));
  if (found.length === 0) throw new StateDictError(`no recurrent layer: no tensor name ends in "${FIRST_LAYER}" (torch's nn.RNN/LSTM/GRU names); found ${sample(keys)}`);
  if (found.length > 1) throw new StateDictError(`several recurrent modules (${found.map((p) => `"${p}"`).join(', ')}): pass --prefix to choose one`);
  return found[0];
}

function hintPrefixes(keys: readonly string[]): string {
  const found = keys.filter((k) => k.endsWith(FIRST_LAYER)).map((k) => `"${k.slice(0, -FIRST_LAYER.length)}"`);
  return found.length ? `; recurrent modules found at prefix ${found.join(', ')}` : '';
}

function sample(keys: readonly string[]): string {
  if (keys.length === 0) return 'no tensors';
  const shown = keys.slice(0, 6).map((k) => `"${k}"`).join(', ');
  return keys.length > 6 ? `${shown} and ${keys.length - 6} more` : shown;
}

/** The cell from W_hh's shape and the gate count, with `cell` (or what gradlab saved) deciding
 * where the shapes cannot. */
function inferCell(wHh: NamedArray, wIh: NamedArray, key: string, asked: CellKind | undefined): { cell: CellKind; hidden: number } {
  const diagonal = wHh.shape.length === 1;
  if (wHh.shape.length !== 1 && wHh.shape.length !== 2) throw new StateDictError(`tensor "${key}" has shape ${formatShape(wHh.shape)}; W_hh is [gates·H, H] (or [gates·H] for a diagonal recurrence)`);
  const fits = (kind: CellKind): boolean => {
    const spec = cellSpec(kind);
    if ((spec.recurrent === 'diagonal') !== diagonal) return false;
    const G = spec.gates.length;
    const H = diagonal ? wHh.shape[0] / G : wHh.shape[1];
    return Number.isInteger(H) && H >= 1 && wHh.shape[0] === G * H && wIh.shape[0] === G * H;
  };
  const candidates = CELL_KINDS.filter(fits);
  const cell = asked ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (asked && !fits(asked)) {
    throw new StateDictError(`--cell ${asked} does not fit "${key}" of shape ${formatShape(wHh.shape)} with weight_ih of shape ${formatShape(wIh.shape)}${candidates.length ? ` (it fits ${candidates.join(' or ')})` : ''}`);
  }
  if (!cell) {
    if (candidates.length === 0) throw new StateDictError(`tensor "${key}" of shape ${formatShape(wHh.shape)} and weight_ih of shape ${formatShape(wIh.shape)} fit no cell (gates·H rows: lstm 4, gru 3, rnn 1)`);
    throw new StateDictError(`the weights fit ${candidates.join(' and ')} alike: pass --cell ${candidates.join(' or --cell ')}`);
  }
  const spec = cellSpec(cell);
  return { cell, hidden: diagonal ? wHh.shape[0] / spec.gates.length : wHh.shape[1] };
}

function refuseUnsupported(keys: readonly string[], prefix: string): void {
  const reverse = keys.find((k) => k.startsWith(prefix) && k.endsWith('_reverse'));
  if (reverse) throw new StateDictError(`tensor "${reverse}": bidirectional layers are not supported (the probe follows one direction of time)`);
  const projection = keys.find((k) => k.startsWith(`${prefix}weight_hr_l`));
  if (projection) throw new StateDictError(`tensor "${projection}": LSTMs with proj_size are not supported`);
}

/** Read the model off the tensors, then check every tensor against it. */
export function modelFromStateDict(tensors: ReadonlyMap<string, NamedArray>, opts: StateDictOptions = {}): LoadedModel {
  const keys = [...tensors.keys()];
  const prefix = findPrefix(keys, opts.prefix);
  refuseUnsupported(keys, prefix);
  const get = (k: string): NamedArray | undefined => tensors.get(k);
  const wIh0 = get(prefix + FIRST_LAYER)!;
  const wHhKey = `${prefix}weight_hh_l0`;
  const wHh0 = get(wHhKey);
  if (!wHh0) throw new StateDictError(`tensor "${wHhKey}" is missing (every layer has weight_ih, weight_hh and, with biases, bias_ih and bias_hh)`);
  if (wIh0.shape.length !== 2) throw new StateDictError(`tensor "${prefix + FIRST_LAYER}" has shape ${formatShape(wIh0.shape)}; W_ih is [gates·H, input]`);
  const asked = opts.cell ?? (opts.saved?.cell && isCellKind(opts.saved.cell) ? opts.saved.cell : undefined);
  const { cell, hidden } = inferCell(wHh0, wIh0, wHhKey, asked);
  let numLayers = 0;
  while (get(`${prefix}weight_ih_l${numLayers}`)) numLayers++;

  // "fc" and "fc." name the same head, as "rnn" and "rnn." name the same recurrent module.
  const givenHead = opts.head?.endsWith('.') ? opts.head.slice(0, -1) : opts.head;
  const headPrefix = givenHead === 'none' ? null : (givenHead ?? (get('head.weight') ? 'head' : null));
  const headW = headPrefix === null ? undefined : get(`${headPrefix}.weight`);
  if (headPrefix !== null && !headW) throw new StateDictError(`--head "${headPrefix}": there is no tensor "${headPrefix}.weight"`);
  if (headW && headW.shape.length !== 2) throw new StateDictError(`tensor "${headPrefix}.weight" has shape ${formatShape(headW.shape)}; a Linear head's weight is [output, ${hidden}]`);
  const config: RecurrentNetConfig = {
    cell,
    inputSize: wIh0.shape[1],
    hiddenSize: hidden,
    numLayers,
    outputSize: headW ? headW.shape[0] : hidden,
    ...(opts.saved?.residual ? { residual: true } : {}),
    ...(opts.saved?.skipDelay ? { skipDelay: opts.saved.skipDelay } : {}),
  };

  const used = new Set<string>();
  const values = new Map<string, Float64Array>();
  const describe = `a ${numLayers}-layer ${cell} with inputSize ${config.inputSize} and hiddenSize ${hidden}`;
  const take = (from: string, to: string, shape: Shape, optional: boolean): void => {
    const t = get(from);
    if (!t) {
      if (!optional) throw new StateDictError(`tensor "${from}" of shape ${formatShape(shape)} is missing for ${describe}`);
      values.set(to, new Float64Array(shape.reduce((a, b) => a * b, 1)));
      return;
    }
    if (!sameShape(t.shape, shape)) throw new StateDictError(`tensor "${from}" has shape ${formatShape(t.shape)}; ${describe} expects ${formatShape(shape)}`);
    used.add(from);
    values.set(to, t.data);
  };
  for (const [name, shape] of parameterShapes(config)) {
    if (name.startsWith('head.')) continue;
    const own = name.startsWith('rnn.') ? prefix + name.slice(4) : name;
    const bias = /^rnn\.bias_(ih|hh)_l\d+$/.test(name);
    // torch's bias=False: a layer without biases reads as zero biases, but half a pair is a broken file.
    take(own, name, shape, bias && !get(own.replace(/_(ih|hh)_/, (_m, side: string) => (side === 'ih' ? '_hh_' : '_ih_'))));
  }
  const head = headPrefix ? `${headPrefix}.` : null;
  if (head && headW) {
    take(`${head}weight`, 'head.weight', [config.outputSize, hidden], false);
    take(`${head}bias`, 'head.bias', [config.outputSize], true);
  } else {
    // No head: an identity Linear, exact in floating point (each output is h_i·1 plus zeros), so
    // the loss reads the top layer's h itself.
    const eye = new Float64Array(hidden * hidden);
    for (let i = 0; i < hidden; i++) eye[i * hidden + i] = 1;
    values.set('head.weight', eye);
    values.set('head.bias', new Float64Array(hidden));
  }
  return { config, values, prefix, head: headPrefix, ignoredKeys: keys.filter((k) => !used.has(k)) };
}
