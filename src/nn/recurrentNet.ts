import type { Backend, CellWeights } from '../backends/backend.ts';
import { cellSpec, type CellKind } from '../cells/table.ts';
import type { CellSpec } from '../cells/spec.ts';
import { cellReferenceStep, type CellState, type StepTrace } from '../ops/cellReference.ts';
import { cellStep } from '../ops/cellStep.ts';
import { add, linear, matmul, mul, reshape, select, stack, unbind } from '../ops/index.ts';
import { sequenceLayer } from '../ops/sequenceLayer.ts';
import { sampled, tensor, zeros } from '../tensor/create.ts';
import type { DType } from '../tensor/dtype.ts';
import type { Rng } from '../tensor/rng.ts';
import { formatShape, sameShape, type Shape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { initProblem, initRecurrentVector, initWeight, uniformInit, type RecurrentInit } from './init.ts';
import { REFERENCE_CELLS } from './referenceCells.ts';

export interface RecurrentNetConfig {
  cell: CellKind;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  outputSize: number;
  /** GNMT-style residual connections (Wu et al. 2016): layer l+1 reads x^l_t + h^l_t, where x^l_t
   * is layer l's own input, while layer l's recurrence keeps its own h^l_t. When the input width
   * differs from H, layer 0's input goes through a learned projection `residual.weight` [H, I]. */
  residual?: boolean;
  /** Temporal skip connections (NARX, Lin et al. 1996): h_t = cell(x_t, h_{t-1}) + W_skip h_{t-d}
   * for t > d, with `rnn.weight_skip_l{k}` [H, H] per layer: a path d times shorter back in time. */
  skipDelay?: number;
  /** Dropout on each layer's output except the last (torch's nn.LSTM `dropout`). */
  dropout?: number;
}

/** 'reference' composes each step from ops; 'fused' runs one kernel per step; 'sequence' runs one
 * kernel per layer over all steps (src/nn/sequenceLayer.ts). All three give the same numbers. */
export type CellPath = 'reference' | 'fused' | 'sequence';

export interface ForwardOptions {
  /** Initial hidden state [numLayers, B, H]; zeros when omitted (as torch). */
  h0?: Tensor;
  /** Initial cell state [numLayers, B, H] (LSTM only); zeros when omitted. */
  c0?: Tensor;
  path?: CellPath;
  /** Training mode: dropout masks are drawn from this generator. Without it, no dropout. */
  dropoutRng?: Rng;
  /** 'last' (default): the head reads h_T, output [B, O]. 'every_step': the head reads every
   * step, output [B, T, O] (per-step targets, e.g. the copy task). */
  outputs?: 'last' | 'every_step';
  /** Run every layer on the spec read as ops (whatever `path` says) and return what each step
   * computed in `ForwardResult.trace`: the probe's per-gate and cell-state gradients. */
  trace?: boolean;
}

export interface ForwardResult {
  /** head(top layer output): [B, outputSize] for outputs 'last', [B, T, outputSize] for 'every_step'. */
  output: Tensor;
  /** hidden[layer][t] = h_{t+1} of that layer, [B, H]; after backward() each `.grad` is the
   * total derivative dL/dh_t (what the diagnostics probe reads). */
  hidden: Tensor[][];
  /** With `trace`: trace[layer][t] is step t+1 of that layer. */
  trace?: StepTrace[][];
}

/** torch's state-dict keys, in torch's order. */
export function parameterShapes(config: RecurrentNetConfig): Map<string, Shape> {
  const spec = cellSpec(config.cell);
  const G = spec.gates.length;
  const H = config.hiddenSize;
  const shapes = new Map<string, Shape>();
  for (let l = 0; l < config.numLayers; l++) {
    shapes.set(`rnn.weight_ih_l${l}`, [G * H, l === 0 ? config.inputSize : H]);
    // A diagonal recurrence (IndRNN) has one recurrent weight per unit and gate: a vector.
    shapes.set(`rnn.weight_hh_l${l}`, spec.recurrent === 'matrix' ? [G * H, H] : [G * H]);
    shapes.set(`rnn.bias_ih_l${l}`, [G * H]);
    shapes.set(`rnn.bias_hh_l${l}`, [G * H]);
  }
  if (config.skipDelay) {
    for (let l = 0; l < config.numLayers; l++) shapes.set(`rnn.weight_skip_l${l}`, [H, H]);
  }
  if (config.residual && config.inputSize !== H) shapes.set('residual.weight', [H, config.inputSize]);
  shapes.set('head.weight', [config.outputSize, H]);
  shapes.set('head.bias', [config.outputSize]);
  return shapes;
}

export interface CreateNetOptions {
  dtype?: DType;
  backend?: Backend;
  init?: RecurrentInit;
}

/**
 * A stack of recurrent layers (torch.nn.RNN/LSTM/GRU, batch_first) with a Linear head on the
 * top layer's last hidden state. Parameters are named exactly as torch's state dict.
 */
export class RecurrentNet {
  readonly spec: CellSpec;

  private constructor(
    readonly config: RecurrentNetConfig,
    readonly params: ReadonlyMap<string, Tensor>,
  ) {
    this.spec = cellSpec(config.cell);
  }

  /** Fresh weights from a seeded generator (drawn in state-dict order). */
  static create(config: RecurrentNetConfig, rng: Rng, opts: CreateNetOptions = {}): RecurrentNet {
    const init = opts.init ?? {};
    const spec = cellSpec(config.cell);
    const problem = initProblem(spec, init);
    if (problem) throw new Error(problem);
    const G = spec.gates.length;
    const H = config.hiddenSize;
    const gain = init.gain ?? 1;
    const values = new Map<string, Float64Array>();
    for (const [name, shape] of parameterShapes(config)) {
      const [rows, cols] = shape;
      let v: Float64Array;
      if (name.startsWith('head.')) v = uniformInit(rows * (cols ?? 1), 1 / Math.sqrt(H), rng);
      else if (name.includes('weight_skip') || name === 'residual.weight') v = uniformInit(rows * cols, 1 / Math.sqrt(H), rng);
      else if (name.includes('weight_ih')) v = initWeight(init.inputWeights ?? 'pytorch', G, H, cols, gain, rng);
      else if (name.includes('weight_hh') && spec.recurrent === 'diagonal') v = initRecurrentVector(init.recurrentWeights ?? 'pytorch', G * H, H, gain, rng);
      else if (name.includes('weight_hh')) v = initWeight(init.recurrentWeights ?? 'pytorch', G, H, cols, gain, rng);
      else v = init.biases === 'zeros' ? new Float64Array(rows) : uniformInit(rows, 1 / Math.sqrt(H), rng);
      values.set(name, v);
    }
    const forget = spec.gates.indexOf('f');
    if (init.forgetBias !== undefined) {
      for (let l = 0; l < config.numLayers; l++) {
        values.get(`rnn.bias_ih_l${l}`)!.fill(init.forgetBias, forget * H, (forget + 1) * H);
        values.get(`rnn.bias_hh_l${l}`)!.fill(0, forget * H, (forget + 1) * H);
      }
    }
    return RecurrentNet.fromValues(config, values, opts);
  }

  /** Weights given by name (a torch state dict); every key must be present with its shape. */
  static fromValues(config: RecurrentNetConfig, values: ReadonlyMap<string, ArrayLike<number>>, opts: CreateNetOptions = {}): RecurrentNet {
    const params = new Map<string, Tensor>();
    for (const [name, shape] of parameterShapes(config)) {
      const v = values.get(name);
      if (!v) throw new Error(`missing parameter ${name} ${formatShape(shape)}`);
      params.set(name, tensor(v, shape, { dtype: opts.dtype ?? 'float32', backend: opts.backend, requiresGrad: true, name }));
    }
    return new RecurrentNet(config, params);
  }

  param(name: string): Tensor {
    const p = this.params.get(name);
    if (!p) throw new Error(`no parameter ${name}`);
    return p;
  }

  layerWeights(layer: number): CellWeights {
    return {
      wIh: this.param(`rnn.weight_ih_l${layer}`),
      wHh: this.param(`rnn.weight_hh_l${layer}`),
      bIh: this.param(`rnn.bias_ih_l${layer}`),
      bHh: this.param(`rnn.bias_hh_l${layer}`),
    };
  }

  get dtype(): DType {
    return this.param('head.bias').dtype;
  }

  private initialState(given: Tensor | undefined, what: string, layer: number, batch: number): Tensor {
    const { numLayers, hiddenSize } = this.config;
    const head = this.param('head.bias');
    if (!given) return zeros([batch, hiddenSize], { dtype: head.dtype, backend: head.backend });
    const expected = [numLayers, batch, hiddenSize];
    if (!sameShape(given.shape, expected)) {
      throw new Error(`${what} must have shape ${formatShape(expected)}, got ${formatShape(given.shape)}`);
    }
    return select(given, 0, layer);
  }

  forward(x: Tensor, opts: ForwardOptions = {}): ForwardResult {
    const { cell, inputSize, numLayers, dropout = 0 } = this.config;
    const { cellState } = this.spec;
    if (x.rank !== 3 || x.shape[2] !== inputSize) {
      throw new Error(`input must have shape [B, T, ${inputSize}], got ${formatShape(x.shape)}`);
    }
    if (opts.c0 && !cellState) throw new Error(`c0 is only for cells with a cell state (lstm), not ${cell}`);
    const batch = x.shape[0];
    let inputs = unbind(x, 1);
    const hidden: Tensor[][] = [];
    const trace: StepTrace[][] | undefined = opts.trace ? [] : undefined;
    for (let l = 0; l < numLayers; l++) {
      const h0 = this.initialState(opts.h0, 'h0', l, batch);
      const c0 = cellState ? this.initialState(opts.c0, 'c0', l, batch) : null;
      const layerTrace: StepTrace[] | undefined = trace ? [] : undefined;
      const hs = this.runLayer(l, inputs, h0, c0, opts.path ?? 'sequence', layerTrace);
      if (trace && layerTrace) trace.push(layerTrace);
      hidden.push(hs);
      let outs = hs;
      if (this.config.residual) {
        const proj = this.params.get('residual.weight');
        outs = hs.map((h, t) => add(h, l === 0 && proj ? matmul(inputs[t], proj, { transB: true }) : inputs[t]));
      }
      if (dropout > 0 && opts.dropoutRng && l < numLayers - 1) outs = outs.map((o) => this.drop(o, dropout, opts.dropoutRng!));
      inputs = outs;
    }
    const headW = this.param('head.weight');
    const headB = this.param('head.bias');
    if ((opts.outputs ?? 'last') === 'last') return { output: linear(inputs[inputs.length - 1], headW, headB), hidden, trace };
    const T = inputs.length;
    const H = this.config.hiddenSize;
    const flat = reshape(stack(inputs, 1), [batch * T, H]);
    return { output: reshape(linear(flat, headW, headB), [batch, T, this.config.outputSize]), hidden, trace };
  }

  /** One layer over all timesteps; returns h_1..h_T. With `trace`, the spec's ops run and each
   * step's trace is pushed onto it. */
  private runLayer(l: number, inputs: readonly Tensor[], h0: Tensor, c0: Tensor | null, path: CellPath, trace?: StepTrace[]): Tensor[] {
    const { skipDelay } = this.config;
    const spec = this.spec;
    const w = this.layerWeights(l);
    if (path === 'sequence' && !trace) {
      // One kernel over all steps; the temporal skip acts inside the recurrence, so with it the
      // per-step fused cells run instead.
      if (!skipDelay) return sequenceLayer(spec, inputs, h0, c0, w);
      path = 'fused';
    }
    // 'reference': torch's cells written from ops where there is one, else the spec read as ops.
    const reference = REFERENCE_CELLS[this.config.cell];
    const step = (x: Tensor, s: CellState): CellState => {
      if (trace) return cellReferenceStep(spec, x, s, w, (t) => trace.push(t));
      return path === 'fused' ? cellStep(spec, x, s, w) : reference ? reference(x, s, w) : cellReferenceStep(spec, x, s, w);
    };
    const skipW = skipDelay ? this.param(`rnn.weight_skip_l${l}`) : null;
    let state: CellState = { h: h0, c: c0 };
    const hs: Tensor[] = [];
    inputs.forEach((xt, t) => {
      state = step(xt, state);
      // hs[t] is h_{t+1}; h_{t+1-d} is hs[t - d] once t >= d.
      if (skipW && skipDelay && t >= skipDelay) state = { h: add(state.h, matmul(hs[t - skipDelay], skipW, { transB: true })), c: state.c };
      hs.push(state.h);
    });
    return hs;
  }

  /** Inverted dropout: zero with probability p, scale survivors by 1/(1-p). */
  private drop(x: Tensor, p: number, rng: Rng): Tensor {
    const mask = sampled(x.shape, () => (rng.uniform() < p ? 0 : 1 / (1 - p)), { dtype: x.dtype, backend: x.backend });
    return mul(x, mask);
  }
}
