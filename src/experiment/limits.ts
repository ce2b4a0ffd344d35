import { availableParallelism } from 'node:os';
import { cellSpec } from '../cells/table.ts';
import { taskDims, type TaskDims } from '../tasks/index.ts';
import { EVAL_CHUNK } from '../train/evalChunk.ts';
import type { ResolvedExperiment, ResolvedVariant } from './config.ts';
import { ExperimentError } from './resolve.ts';

/**
 * A rough size estimate of an experiment before anything runs: parameters, memory and time per
 * variant, then for the whole experiment. Every run trains in float32 on the CPU backend (the
 * WebAssembly kernels); test sets and batches are float64 (src/tasks). The numbers are orders of
 * magnitude, good for refusing a typo (T = 1e9, hiddenSize = 1e5) in a second instead of an hour
 * later, not for planning to the minute: the constants below say what they assume.
 */

/** Assumed throughput of one CPU core on the training step's FLOPs. bench/NOTES.md measured
 * 1.3-2.6 GFLOP/s with the JavaScript kernels and ~22 GFLOP/s for a wide LSTM step on the
 * WebAssembly SIMD kernels; 5 GFLOP/s sits between. With the overheads below, measured step
 * times on a 2-core VM were 0.4x-1.7x this file's estimate on six shapes (lstm, gru, rnn,
 * 6 layers, skip connections, the regression task): rough, and on the safe side for big models. */
export const ASSUMED_FLOPS_PER_SECOND = 5e9;

/** Pointwise work per gate unit per step (activations, their derivatives, the cell update),
 * forward and backward together, counted as FLOPs at the assumed rate: a JavaScript tanh or exp
 * costs tens of FLOPs' time. Small next to the matrix products except at small H. */
const POINTWISE_FLOPS_PER_GATE = 100;

/** Time a step costs whatever its size (the optimizer's and the read-backs' dispatch, the
 * sampler): measured ~0.9 ms for the 1062-parameter regression LSTM. */
const STEP_OVERHEAD_SECONDS = 1e-3;
/** Time per layer and time step beyond the FLOPs: the whole-sequence kernel's per-step calls, or
 * the per-step cells' dozens of small tensor operations (temporal skip connections; measured
 * ~1.4 ms per layer-step at B = 32, H = 32). */
const LAYER_STEP_SECONDS = { sequence: 5e-5, perStep: 1.2e-3 } as const;

/** The estimate of live bytes is multiplied by this for the process's resident memory: freed
 * buffers wait for a garbage collection, the allocator keeps slack. Measured maxRSS / estimate
 * 0.9-1.3 on five shapes (lstm, gru, 6-layer rnn, skip connections, copy). */
const RESIDENT_FACTOR = 1.3;

/** Power-iteration rounds of sigma_max(W_hh) at each logged step (diagnostics/sigmaMax.ts),
 * each two products with W_hh [G H, H]. */
const SIGMA_ROUNDS = 200;

/** Memory of a Node process running gradlab before any run: V8, tsx, zod, the modules. */
export const PROCESS_BASE_BYTES = 150 * 2 ** 20;
/** Each worker thread is its own V8 isolate with its own copy of the modules. */
export const WORKER_BASE_BYTES = 60 * 2 ** 20;

/** JavaScript objects per layer and time step (the step's tensors, their gradients, the probe's
 * norms, graph nodes): the whole-sequence kernel makes a handful, the per-step cells (temporal
 * skip connections) dozens. Bytes, rough. */
const OBJECT_BYTES_PER_STEP = { sequence: 1024, perStep: 8192 } as const;

/** Bytes a number takes in a run's log: in memory (a double in a JS array, with slack), then as
 * JSON text in results.json. */
const LOG_NUMBER_BYTES = 12;
const JSON_NUMBER_BYTES = 22;

/** The largest typed array we let a run allocate. V8 in Node 20 stops at 2^32 elements
 * (buffer.constants.MAX_LENGTH); the int32 range is the safe side of it. */
export const MAX_ARRAY_ELEMENTS = 2 ** 31 - 1;

/** The float32 kernels keep a layer's whole sequence in WebAssembly memory, whose 32-bit
 * addresses reach 4 GiB at most (memory.grow fails beyond). */
export const WASM_MEMORY_LIMIT_BYTES = 2 ** 32;

/** Soft limits, refused unless --force. Over half the machine's memory the run competes with the
 * OS, the page cache and whatever else runs (on a shared machine, other people's jobs), and
 * swapping or the OOM killer ends it hours in; a day is longer than any shipped experiment by
 * orders of magnitude (they take minutes), so a longer estimate is most often a typo in steps,
 * seeds or a size, and a real long run only needs --force. */
export const SOFT_MEMORY_FRACTION = 0.5;
export const SOFT_SECONDS = 24 * 3600;

const F32 = 4;
const F64 = 8;

/** Where a variant's memory goes during one run, in bytes. */
export interface MemoryBreakdown {
  /** The weights, their gradients, the pre-update snapshot of logged steps and the kernels'
   * float64 copies. */
  model: number;
  /** Adam's two moments, RMSprop's square average, momentum buffers. */
  optimizer: number;
  /** The fixed test set and the validation slice of it (float64). */
  testSet: number;
  /** One training step: the batch, the BPTT tape of a micro-batch, the gradients of every h_t
   * (the probe), the per-step objects. */
  training: number;
  /** The forward pass over the whole test set at the end of a run. */
  evaluation: number;
  /** The WebAssembly memory of the float32 kernels (it only grows: the largest call's). */
  wasm: number;
  /** The run's log (dL/dh_t per layer and step at every logged step). */
  log: number;
}

export interface VariantEstimate {
  variant: string;
  /** Learned parameters of the variant's net. */
  params: number;
  /** Runs of this variant (one per seed). */
  runs: number;
  memory: MemoryBreakdown;
  /** The most one run of this variant holds at once. */
  peakBytes: number;
  /** The largest single typed array a run allocates, and what it is. */
  largestArray: { what: string; elements: number; fix: string };
  /** FLOPs of one training step, forward and backward. */
  flopsPerStep: number;
  secondsPerStep: number;
  /** The whole budget (every step, validation at logged steps, the final evaluation). */
  secondsPerRun: number;
}

export interface ExperimentEstimate {
  perVariant: VariantEstimate[];
  /** Parameters over all variants (one net per variant). */
  totalParams: number;
  /** The peak of the whole process: the largest runs that train side by side, the worker
   * threads, and every run's log held until results.json is written. */
  peakMemoryBytes: number;
  /** Wall time of the whole experiment with `workers` runs side by side; rough (see
   * ASSUMED_FLOPS_PER_SECOND). */
  estimatedSeconds: number;
  runs: number;
  /** Runs trained side by side: min(workers, runs). */
  parallel: number;
  /** Cores those runs share: the time estimate divides by this, min(parallel, cores). */
  coresUsed: number;
  /** Every run's log, held by the main thread and written as JSON at the end. */
  resultsBytes: number;
  flopsPerSecond: number;
}

/** Learned parameters, counted as nn/recurrentNet.ts parameterShapes lays them out (closed form:
 * a million layers must not build a million-entry map to be refused). */
export function parameterCount(v: Pick<ResolvedVariant, 'cell' | 'hiddenSize' | 'numLayers' | 'residual' | 'skipDelay'>, dims: Pick<TaskDims, 'inputSize' | 'outputSize'>): number {
  const spec = cellSpec(v.cell);
  const G = spec.gates.length;
  const H = v.hiddenSize;
  const L = v.numLayers;
  const I = dims.inputSize;
  const O = dims.outputSize;
  const recurrent = spec.recurrent === 'matrix' ? G * H * H : G * H;
  const layer = (inputs: number): number => G * H * inputs + recurrent + 2 * G * H;
  let n = layer(I) + (L - 1) * layer(H);
  if (v.skipDelay) n += L * H * H;
  if (v.residual && I !== H) n += H * I;
  return n + O * H + O;
}

/** float32 copies an optimizer keeps per parameter. */
function optimizerSlots(o: ResolvedVariant['optimizer']): number {
  switch (o.name) {
    case 'adam':
      return 2;
    case 'rmsprop':
      return (o.momentum ?? 0) > 0 ? 2 : 1;
    case 'sgd':
      return (o.momentum ?? 0) > 0 ? 1 : 0;
  }
}

interface Shape {
  G: number;
  GH: number;
  H: number;
  L: number;
  I: number;
  O: number;
  S: number;
  /** The cell keeps c (the LSTM), and dL/d(pre-activation) is one buffer (every cell but the GRU). */
  cellState: boolean;
  tied: boolean;
  /** Per-unit values the tape keeps per step besides h (the spec's `saved`, and c). */
  saved: number;
  perStep: boolean;
}

function shapeOf(v: ResolvedVariant, d: TaskDims): Shape {
  const spec = cellSpec(v.cell);
  const G = spec.gates.length;
  return {
    G, GH: G * v.hiddenSize, H: v.hiddenSize, L: v.numLayers, I: d.inputSize, O: d.outputSize, S: d.seqLen,
    cellState: spec.cellState, tied: spec.tied, saved: (spec.saved.length + (spec.cellState ? 1 : 0)) * v.hiddenSize, perStep: v.skipDelay !== null,
  };
}

/** Sum over layers of f(inputs of the layer): the task's for layer 0, the layer below's hidden
 * state above it; without a loop over a huge L. */
function overLayers(s: Shape, f: (inputs: number) => number): number {
  return f(s.I) + (s.L - 1) * f(s.H);
}

/** Floats one training step keeps per sequence, time step and layer (float32): the tape (x, h,
 * the spec's saved values and c), the outputs h_t, their total gradients
 * dL/dh_t (the probe reads them), the gradient the layer above sends, and dx. The per-step cells
 * keep every intermediate of every step with its gradient instead. */
function trainFloatsPerStep(s: Shape, inputs: number, v: ResolvedVariant): number {
  let n = s.perStep ? 8 * s.GH + 12 * s.H + 2 * inputs : 2 * inputs + 4 * s.H + s.saved;
  if (v.residual) n += 2 * s.H;
  if (v.dropout > 0) n += 3 * s.H;
  return n;
}

/** Floats a forward without gradients keeps per sequence, step and layer. */
function evalFloatsPerStep(s: Shape, inputs: number): number {
  return inputs + 2 * s.H + s.saved;
}

/** Floats of the WebAssembly working set per sequence and step of one layer's call (the
 * layouts in backends/cpu/sequenceWasm.ts): forward x, X W_ihᵀ, h, c, tanh c; backward H, X,
 * dG (twice for the GRU), dx, the gates and c again, dL/dh. */
function wasmForwardFloats(s: Shape, inputs: number): number {
  return inputs + s.GH + s.H + (s.cellState ? 2 * s.H : 0);
}
function wasmBackwardFloats(s: Shape, inputs: number): number {
  return 2 * inputs + 3 * s.H + s.GH * (s.tied ? 1 : 2) + 1 + (s.cellState ? s.GH + 2 * s.H : 0);
}

/** Values in one target row of a batch, per sequence. */
function targetsPerSequence(d: TaskDims): number {
  if (d.targets === 'every_step') return d.loss === 'mse' ? d.seqLen * d.outputSize : d.seqLen;
  return d.loss === 'mse' ? d.outputSize : 1;
}

/** Log entries of a run: every logEvery-th step, step 0 and the last step. */
function loggedSteps(exp: ResolvedExperiment): number {
  return Math.ceil(exp.steps / exp.logEvery) + 1;
}

/** Numbers in one log entry: dL/dh_t per layer and step, sigma_max per layer, a norm per
 * parameter tensor (4 per layer, the head's 2, skip and residual weights), a dozen scalars. */
function numbersPerLogEntry(s: Shape): number {
  return s.L * s.S + s.L + (5 * s.L + 3) + 12;
}

function memoryOf(exp: ResolvedExperiment, v: ResolvedVariant, d: TaskDims, s: Shape, params: number): MemoryBreakdown {
  const micro = v.batchSize / v.accumulation;
  const N = d.testSize;
  const valN = Math.min(exp.valSize, N);
  // The test set is evaluated EVAL_CHUNK sequences at a time; only its predictions are whole.
  const chunk = Math.min(N, EVAL_CHUNK);
  const perSeqData = d.seqLen * d.inputSize + targetsPerSequence(d);
  const objects = s.S * s.L * (s.perStep ? OBJECT_BYTES_PER_STEP.perStep : OBJECT_BYTES_PER_STEP.sequence);
  // Head: logits (and their gradient and softmax) at every step, or at the last one.
  const outSteps = d.targets === 'every_step' ? s.S : 1;
  const trainHead = micro * outSteps * (3 * s.O + s.H) * F32;
  const evalHead = chunk * outSteps * s.O * 2 * F32 + N * outSteps * s.O * F64;
  const batch = v.batchSize * perSeqData * F64 + v.batchSize * s.S * s.I * F32;
  const training = batch + micro * s.S * overLayers(s, (i) => trainFloatsPerStep(s, i, v)) * F32 + trainHead + objects;
  const evaluation = chunk * s.S * overLayers(s, (i) => evalFloatsPerStep(s, i)) * F32 + chunk * s.S * s.I * F32 + evalHead + objects;
  const weightFloats = s.GH * (Math.max(s.I, s.H) + s.H);
  const wasmFloats = Math.max(
    micro * s.S * Math.max(wasmBackwardFloats(s, s.I), s.L > 1 ? wasmBackwardFloats(s, s.H) : 0),
    chunk * s.S * Math.max(wasmForwardFloats(s, s.I), s.L > 1 ? wasmForwardFloats(s, s.H) : 0),
  ) + 2 * weightFloats;
  return {
    // Weights, gradients, the logged steps' snapshot (float32) and the kernels' float64 copies.
    model: params * (3 * F32 + F64),
    optimizer: params * optimizerSlots(v.optimizer) * F32,
    testSet: (N + valN) * perSeqData * F64,
    training,
    evaluation,
    wasm: s.perStep ? 0 : wasmFloats * F32,
    log: loggedSteps(exp) * numbersPerLogEntry(s) * LOG_NUMBER_BYTES,
  };
}

/** Training and evaluation never hold their activations at the same time. */
function peakOf(m: MemoryBreakdown): number {
  return RESIDENT_FACTOR * (m.model + m.optimizer + m.testSet + Math.max(m.training, m.evaluation) + m.wasm + m.log);
}

/** The largest typed arrays a run allocates, with the setting that sizes each. */
function largestArray(v: ResolvedVariant, d: TaskDims, s: Shape): VariantEstimate['largestArray'] {
  const micro = v.batchSize / v.accumulation;
  const N = d.testSize;
  const outSteps = d.targets === 'every_step' ? s.S : 1;
  const candidates: VariantEstimate['largestArray'][] = [
    { what: `the test set's inputs (task.testSize ${N} x ${s.S} steps x ${s.I} inputs)`, elements: N * s.S * s.I, fix: 'lower task.testSize or task.T' },
    { what: `a training batch (batchSize ${v.batchSize} x ${s.S} steps x ${s.I} inputs)`, elements: v.batchSize * s.S * s.I, fix: 'lower batchSize or task.T' },
    { what: `the recurrent weight matrix (${s.G} gates x hiddenSize ${s.H} x ${s.H})`, elements: s.GH * s.H, fix: 'lower hiddenSize' },
    { what: `a layer's gate pre-activations over a chunk of the test set (${Math.min(N, EVAL_CHUNK)} x ${s.S} steps x ${s.GH})`, elements: Math.min(N, EVAL_CHUNK) * s.S * s.GH, fix: 'lower task.T or hiddenSize' },
    { what: `a layer's gate pre-activations over a micro-batch (${micro} x ${s.S} steps x ${s.GH})`, elements: micro * s.S * s.GH, fix: 'lower batchSize (or raise accumulation), task.T or hiddenSize' },
    { what: `the test set's logits (task.testSize ${N} x ${outSteps} x ${s.O})`, elements: N * outSteps * s.O, fix: 'lower task.testSize or task.T' },
  ];
  return candidates.reduce((a, b) => (b.elements > a.elements ? b : a));
}

/** FLOPs of the matrix products and pointwise work of a forward (and, with `backward`, the
 * backward) over n sequences: forward (I + H) per gate unit, backward dW_ih (I), dW_hh (H),
 * dh (H) and dx (I), as bench/NOTES.md counts them. */
function flopsOf(s: Shape, n: number, backward: boolean, outSteps: number): number {
  const perLayer = (inputs: number): number => {
    const products = 2 * s.GH * (backward ? 3 * inputs + 3 * s.H : inputs + s.H);
    const skip = s.perStep ? 2 * s.H * s.H * (backward ? 3 : 1) : 0;
    return products + skip + (POINTWISE_FLOPS_PER_GATE / (backward ? 1 : 3)) * s.GH;
  };
  const head = 2 * outSteps * s.H * s.O * (backward ? 3 : 1);
  return n * (s.S * overLayers(s, perLayer) + head);
}

/** Seconds of a forward (and backward) over n sequences: FLOPs at the assumed rate, plus the
 * per-layer-step cost of the kernels' calls. */
function secondsOf(s: Shape, n: number, backward: boolean, outSteps: number): number {
  const perLayerStep = s.perStep ? LAYER_STEP_SECONDS.perStep : LAYER_STEP_SECONDS.sequence;
  return flopsOf(s, n, backward, outSteps) / ASSUMED_FLOPS_PER_SECOND + s.L * s.S * perLayerStep * (backward ? 1 : 0.5);
}

export function estimateVariant(exp: ResolvedExperiment, v: ResolvedVariant): VariantEstimate {
  const d = taskDims(v.task);
  const s = shapeOf(v, d);
  const params = parameterCount(v, d);
  const memory = memoryOf(exp, v, d, s, params);
  const outSteps = d.targets === 'every_step' ? s.S : 1;
  // The step's products, then the optimizer, clipping and gradient norms (tens of FLOPs per parameter).
  const flopsPerStep = flopsOf(s, v.batchSize, true, outSteps) + 30 * params;
  const secondsPerStep = secondsOf(s, v.batchSize, true, outSteps) + (30 * params) / ASSUMED_FLOPS_PER_SECOND + STEP_OVERHEAD_SECONDS;
  const valN = Math.min(exp.valSize, d.testSize);
  // A logged step adds the validation forward and sigma_max of every W_hh.
  const perLog = secondsOf(s, valN, false, outSteps) + (s.L * SIGMA_ROUNDS * 4 * s.GH * s.H) / ASSUMED_FLOPS_PER_SECOND;
  const secondsPerRun = exp.steps * secondsPerStep + loggedSteps(exp) * perLog + secondsOf(s, d.testSize, false, outSteps);
  return {
    variant: v.name,
    params,
    runs: exp.seeds.length,
    memory,
    peakBytes: peakOf(memory),
    largestArray: largestArray(v, d, s),
    flopsPerStep,
    secondsPerStep,
    secondsPerRun,
  };
}

/** The estimate for a whole experiment with `workers` worker threads (1: runs in this thread) on
 * a machine with `cores` cores (os.availableParallelism() unless given). */
export function estimateExperiment(exp: ResolvedExperiment, opts: { workers?: number; cores?: number } = {}): ExperimentEstimate {
  const perVariant = exp.variants.map((v) => estimateVariant(exp, v));
  const runs = exp.variants.length * exp.seeds.length;
  const workers = Math.max(1, Math.floor(opts.workers ?? 1));
  const parallel = Math.min(workers, runs);
  // More workers than cores hold more memory at once, but do not go faster.
  const coresUsed = Math.max(1, Math.min(parallel, opts.cores ?? availableParallelism()));
  // Runs side by side: the largest `parallel` of them, each in its own worker when there are several.
  const runPeaks = perVariant.flatMap((e) => Array.from({ length: Math.min(e.runs, parallel) }, () => e.peakBytes)).sort((a, b) => b - a);
  const parallelPeak = runPeaks.slice(0, parallel).reduce((a, b) => a + b, 0) + (workers > 1 ? parallel * WORKER_BASE_BYTES : 0);
  // The main thread holds every finished run's log, then writes them all as JSON.
  const resultsBytes = perVariant.reduce((sum, e) => sum + e.runs * e.memory.log * (1 + JSON_NUMBER_BYTES / LOG_NUMBER_BYTES), 0);
  const totalSeconds = perVariant.reduce((sum, e) => sum + e.runs * e.secondsPerRun, 0);
  const longestRun = Math.max(...perVariant.map((e) => e.secondsPerRun));
  return {
    perVariant,
    totalParams: perVariant.reduce((sum, e) => sum + e.params, 0),
    peakMemoryBytes: PROCESS_BASE_BYTES + parallelPeak + resultsBytes,
    estimatedSeconds: Math.max(longestRun, totalSeconds / coresUsed),
    runs,
    parallel,
    coresUsed,
    resultsBytes,
    flopsPerSecond: ASSUMED_FLOPS_PER_SECOND,
  };
}

export interface LimitOptions {
  /** Go past the soft limits. */
  force?: boolean;
  /** The machine's memory (os.totalmem() unless given; tests pin it). */
  totalMemoryBytes: number;
}

/** 1536 -> "1.5 KiB"; binary units, as the machine's memory is counted. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (v >= 10_000) return `${v.toExponential(1)} ${units[u]}`;
  return `${u === 0 ? v.toFixed(0) : v.toPrecision(3)} ${units[u]}`;
}

/** 5400 -> "1.5 h". */
export function formatSeconds(seconds: number): string {
  // Two significant digits, never in exponent form (toPrecision writes 200 as "2.0e+2").
  const two = (x: number): string => (x >= 100 ? String(Math.round(x)) : x.toPrecision(2));
  if (seconds < 1) return `${two(seconds * 1000)} ms`;
  if (seconds < 120) return `${two(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toPrecision(3)} min`;
  if (seconds < 3 * 86400) return `${(seconds / 3600).toPrecision(3)} h`;
  const days = seconds / 86400;
  return days < 10_000 ? `${days.toPrecision(3)} days` : `${days.toExponential(1)} days`;
}

/** The biggest part of a variant's memory, with the settings that size it. */
function dominantPart(e: VariantEstimate): { part: string; fix: string } {
  const m = e.memory;
  const parts: [number, string, string][] = [
    [m.model + m.optimizer, `weights and optimizer state ${formatBytes(m.model + m.optimizer)} for ${e.params.toExponential(2)} parameters`, 'lower hiddenSize or numLayers'],
    [m.testSet, `test set ${formatBytes(m.testSet)}`, 'lower task.testSize or task.T'],
    [m.training, `one training step ${formatBytes(m.training)}`, 'lower batchSize (or raise accumulation), task.T, hiddenSize or numLayers'],
    [m.evaluation, `evaluating the test set ${formatBytes(m.evaluation)}`, 'lower task.testSize, task.T, hiddenSize or numLayers'],
    [m.wasm, `kernel memory ${formatBytes(m.wasm)}`, 'lower task.T, batchSize, task.testSize or hiddenSize'],
    [m.log, `the run's log ${formatBytes(m.log)}`, 'raise logEvery, or lower steps, task.T or numLayers'],
  ];
  const [, part, fix] = parts.reduce((a, b) => (b[0] > a[0] ? b : a));
  return { part, fix };
}

function variantPath(exp: ResolvedExperiment, e: VariantEstimate): string {
  return `experiment.variants[${exp.variants.findIndex((v) => v.name === e.variant)}] ("${e.variant}")`;
}

const FORCE = 'or pass --force to go past this limit';

/**
 * Refuse an experiment whose estimate cannot run here (hard limits, always) or most likely should
 * not (soft limits, unless `force`), as one ExperimentError line naming the variant or field, the
 * numbers, and the fix.
 */
export function checkLimits(exp: ResolvedExperiment, est: ExperimentEstimate, opts: LimitOptions): void {
  const total = opts.totalMemoryBytes;
  for (const e of est.perVariant) {
    const a = e.largestArray;
    if (a.elements > MAX_ARRAY_ELEMENTS) {
      throw new ExperimentError(`${variantPath(exp, e)}: ${a.what} would be one array of ${a.elements.toExponential(2)} values, over the ${MAX_ARRAY_ELEMENTS} an array may hold; ${a.fix}`);
    }
    if (e.memory.wasm > WASM_MEMORY_LIMIT_BYTES) {
      throw new ExperimentError(`${variantPath(exp, e)}: the float32 kernels would need ${formatBytes(e.memory.wasm)} of WebAssembly memory for one layer's sequence, over its 4 GiB address space; lower task.T, batchSize (or raise accumulation), task.testSize or hiddenSize`);
    }
  }
  const biggest = est.perVariant.reduce((a, b) => (b.peakBytes > a.peakBytes ? b : a));
  const { part, fix } = dominantPart(biggest);
  const side = est.parallel > 1 ? ` with ${est.parallel} runs side by side` : '';
  const memory = `estimated peak memory ${formatBytes(est.peakMemoryBytes)}${side} (largest run: ${variantPath(exp, biggest)} ${formatBytes(biggest.peakBytes)}, mostly ${part})`;
  if (est.peakMemoryBytes > total) {
    // Several runs side by side may be what does not fit, one alone would.
    const fewer = est.parallel > 1 && PROCESS_BASE_BYTES + biggest.peakBytes <= total ? 'use fewer --workers, or ' : '';
    throw new ExperimentError(`experiment: ${memory} is over this machine's ${formatBytes(total)} of memory; ${fewer}${fix}`);
  }
  if (opts.force) return;
  if (est.peakMemoryBytes > SOFT_MEMORY_FRACTION * total) {
    throw new ExperimentError(`experiment: ${memory} is over half of this machine's ${formatBytes(total)} of memory; ${fix}, ${FORCE}`);
  }
  if (est.estimatedSeconds > SOFT_SECONDS) {
    const slowest = est.perVariant.reduce((a, b) => (b.secondsPerRun > a.secondsPerRun ? b : a));
    throw new ExperimentError(
      `experiment: estimated time ${formatSeconds(est.estimatedSeconds)} for ${est.runs} run(s), ${est.coresUsed} at a time `
      + `(rough: ${(ASSUMED_FLOPS_PER_SECOND / 1e9).toFixed(0)} GFLOP/s per core assumed; slowest ${variantPath(exp, slowest)} `
      + `${formatSeconds(slowest.secondsPerStep)} per step, ${formatSeconds(slowest.secondsPerRun)} per run) is over the ${SOFT_SECONDS / 3600} h limit; `
      + `lower steps, the number of seeds or variants, or the model and sequence sizes, ${FORCE}`,
    );
  }
}

/** The estimate as lines for `--dry-run`: one per variant, then the whole experiment. */
export function describeEstimate(est: ExperimentEstimate): string[] {
  const lines = est.perVariant.map((e) =>
    `  ${e.variant}: ${e.params} parameters; per run ~${formatBytes(e.peakBytes)} peak, ~${formatSeconds(e.secondsPerStep)} per step, ~${formatSeconds(e.secondsPerRun)} in all (${e.runs} run(s))`);
  lines.push(
    `  estimate: peak memory ~${formatBytes(est.peakMemoryBytes)} with ${est.parallel} run(s) side by side, ~${formatSeconds(est.estimatedSeconds)} for ${est.runs} run(s) `
    + `(rough: ${(est.flopsPerSecond / 1e9).toFixed(0)} GFLOP/s per core assumed)`,
  );
  return lines;
}
