import { backward, noGrad, zeroGrad } from '../autograd/index.ts';
import { gradNormOnDevice, hiddenGradNormsOnDevice } from '../diagnostics/hiddenGradNorms.ts';
import { gradientReach } from '../diagnostics/gradientReach.ts';
import { readScalars, ScalarReads } from '../tensor/scalarReads.ts';
import { sigmaMax } from '../diagnostics/sigmaMax.ts';
import { probeNet } from '../diagnostics/probe.ts';
import type { GateLog, LogEntry, Num, RunResult, RunStatus, RunSummary } from '../records/results.ts';
import type { RecurrentNet } from '../nn/recurrentNet.ts';
import { tensor } from '../tensor/create.ts';
import { beginScope, keep, scope } from '../tensor/scope.ts';
import type { Rng } from '../tensor/rng.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { sliceBatch } from '../tasks/batch.ts';
import { EVAL_CHUNK } from './evalChunk.ts';
import { sequenceStandardErrors } from '../tasks/standardErrors.ts';
import type { Batch, Task } from '../tasks/task.ts';
import { clipGradNormWith, clipGradValue, normOfNorms } from './clipping.ts';
import { taskLoss, type LossKind } from './losses.ts';
import { baseLearningRate, createOptimizer, type Optimizer, type OptimizerConfig } from './optimizers.ts';
import { learningRateAt, type ScheduleConfig } from './schedule.ts';
import { captureCheckpoint, restoreCheckpoint, sameRngState, type TrainCheckpoint } from './checkpoint.ts';

export type ClipConfig = { kind: 'none' } | { kind: 'norm'; maxNorm: number } | { kind: 'value'; clipValue: number };

export interface TrainConfig {
  steps: number;
  batchSize: number;
  /** Micro-batches per step: the batch is split into this many equal parts whose gradients are
   * accumulated, each loss scaled by 1/k, so the step equals one on the whole batch. */
  accumulation: number;
  logEvery: number;
  /** Test sequences used for the validation loss at log steps. */
  valSize: number;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  clip: ClipConfig;
  earlyStop?: { metric: string; below?: number; above?: number } | null;
}

/** What train() returns: the training part of a RunResult (the runner adds variant, seed, the
 * duration and, for a run that threw, 'failed' with its error). */
export interface TrainResult extends Pick<RunResult, 'divergedAtStep' | 'stepsRun' | 'clipPerStep' | 'log' | 'metrics' | 'metricErrors' | 'testSize' | 'summary'> {
  /** 'interrupted': stopped at a step boundary by `shouldStop`, after a checkpoint. */
  status: Exclude<RunStatus, 'failed'>;
  earlyStopped: boolean;
}

export interface TrainHooks {
  /** Called after every step (progress bars). */
  onStep?: (step: number, loss: number) => void;
  /** Called once a log entry is complete, in step order (the runner streams it to disk). */
  onLog?: (entry: LogEntry) => void;
  /** Asked at every step boundary; true stops the run there, with a checkpoint. May wait (it is
   * where an in-process run lets the event loop see a signal). */
  shouldStop?: () => boolean | Promise<boolean>;
  /** Save a checkpoint after every `everyLogged` logged steps, and when stopped. */
  checkpoint?: { everyLogged: number; save: (c: TrainCheckpoint) => void | Promise<void> };
}

/** Where a resumed run continues: its last checkpoint and the log entries it covers. */
export interface ResumePoint {
  checkpoint: TrainCheckpoint;
  log: LogEntry[];
}

const finite = (x: number): Num => (Number.isFinite(x) ? x : null);
const finiteRecord = (r: Record<string, number>): Record<string, Num> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, finite(v)]));

function toTensors(net: RecurrentNet, b: Batch): { x: Tensor; y: Tensor } {
  const p = net.param('head.bias');
  const opts = { dtype: p.dtype, backend: p.backend };
  return { x: tensor(b.x, b.xShape, opts), y: tensor(b.y, b.yShape, opts) };
}

/**
 * Predictions of the net on a batch (no graph), as the task's metrics expect them, evaluated
 * EVAL_CHUNK sequences at a time. Every loss is a mean over equally many elements per sequence,
 * so the batch's loss is the chunks' losses weighted by their sequences.
 */
export async function predict(net: RecurrentNet, task: Task, b: Batch): Promise<{ pred: Float64Array; loss: number }> {
  const B = b.xShape[0];
  if (B <= EVAL_CHUNK) return predictChunk(net, task, b);
  const parts: Float64Array[] = [];
  let lossSum = 0;
  for (let start = 0; start < B; start += EVAL_CHUNK) {
    const end = Math.min(B, start + EVAL_CHUNK);
    // Each chunk's device tensors go when it is read back.
    const r = await scope(() => predictChunk(net, task, sliceBatch(b, start, end)));
    parts.push(r.pred);
    lossSum += r.loss * (end - start);
  }
  const pred = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    pred.set(p, at);
    at += p.length;
  }
  return { pred, loss: lossSum / B };
}

async function predictChunk(net: RecurrentNet, task: Task, b: Batch): Promise<{ pred: Float64Array; loss: number }> {
  const { output, loss } = noGrad(() => {
    const { x, y } = toTensors(net, b);
    const out = net.forward(x, { outputs: task.targets === 'last' ? 'last' : 'every_step' });
    return { output: out.output, loss: taskLoss(task.loss, out.output, y) };
  });
  return { pred: await output.toFloat64ArrayAsync(), loss: await loss.itemAsync() };
}

/** Pascanu et al. 2013's gamma, a bound on |sigma'| of the recurrence's nonlinearity: 1 for tanh
 * and relu. Gated cells have no single such bound, so their runs report no guarantee. */
const PASCANU_GAMMA = 1;

function metricCrossed(value: number | undefined, rule: NonNullable<TrainConfig['earlyStop']>): boolean {
  if (value === undefined || !Number.isFinite(value)) return false;
  return (rule.below !== undefined && value < rule.below) || (rule.above !== undefined && value > rule.above);
}

/** What accumulateGradients leaves on the device, to be read back with the step's other numbers. */
export interface AccumulatedGradients {
  /** Each micro-batch's loss; the batch loss is their mean. */
  readonly losses: readonly Tensor[];
  /** When probed: per micro-batch, ||dL/dh_t|| as one-element tensors, [layer][t]. */
  readonly hiddenNorms: readonly (Tensor | null)[][][] | null;
}

/**
 * Zero the gradients, then accumulate them over `k` equal micro-batches of `batch`, each loss
 * scaled by 1/k: for a mean loss this is the gradient of the whole batch (up to summation
 * order). Nothing is read back: the losses and (when `probe` is set) the squared dL/dh_t norms
 * stay on the device for queueAccumulated / readAccumulated.
 */
export function accumulateGradients(
  net: RecurrentNet, lossKind: LossKind, outputs: 'last' | 'every_step', batch: Batch, k: number,
  opts: { dropoutRng?: Rng; probe?: boolean } = {},
): AccumulatedGradients {
  const params = [...net.params.values()];
  zeroGrad(params);
  const B = batch.xShape[0];
  if (B % k !== 0) throw new Error(`a batch of ${B} cannot be split into ${k} equal micro-batches`);
  const micro = B / k;
  const losses: Tensor[] = [];
  const hiddenNorms: (Tensor | null)[][][] = [];
  for (let m = 0; m < k; m++) {
    const part = k === 1 ? batch : sliceBatch(batch, m * micro, (m + 1) * micro);
    const { x, y } = toTensors(net, part);
    const out = net.forward(x, { outputs, dropoutRng: opts.dropoutRng });
    const l = taskLoss(lossKind, out.output, y);
    losses.push(l);
    backward(l, l.backend.full([], l.dtype, 1 / k));
    if (opts.probe) hiddenNorms.push(hiddenGradNormsOnDevice(out.hidden));
  }
  return { losses, hiddenNorms: opts.probe ? hiddenNorms : null };
}

/**
 * Queue an accumulation's numbers on `reads`; the returned function turns the values read back
 * into the batch loss (the mean of the micro-batch losses, in float64) and ||dL/dh_t|| over the
 * whole batch per [layer][t] (the root of the micro-batches' summed squares).
 */
export function queueAccumulated(
  acc: AccumulatedGradients, reads: ScalarReads,
): (values: Float64Array) => { loss: number; dLdh: number[][] | null } {
  const lossAt = acc.losses.map((l) => reads.add(l));
  const normAt = acc.hiddenNorms?.map((m) => m.map((layer) => layer.map((t) => (t ? reads.add(t) : -1)))) ?? null;
  return (values) => {
    const loss = lossAt.reduce((s, i) => s + values[i] / lossAt.length, 0);
    if (!normAt) return { loss, dLdh: null };
    const dLdh = normAt[0].map((layer, l) => layer.map((_, t) => normOfNorms(normAt.map((m) => (m[l][t] < 0 ? 0 : values[m[l][t]])))));
    return { loss, dLdh };
  };
}

/** The batch loss and dL/dh_t norms of an accumulation, with one read-back. */
export async function readAccumulated(acc: AccumulatedGradients): Promise<{ loss: number; dLdh: number[][] | null }> {
  const reads = new ScalarReads();
  const finish = queueAccumulated(acc, reads);
  return finish(await reads.read());
}

async function readSigmas(sigmas: readonly Tensor[]): Promise<Num[]> {
  return [...(await readScalars(sigmas))].map(finite);
}

/** Copies of the parameters (for the update-to-weight ratio). `cast` to the same dtype copies. */
function snapshot(params: readonly Tensor[]): Tensor[] {
  return params.map((p) => p.backend.cast(p, p.dtype));
}

/** ||Δw|| and ||w|| of every parameter, on the device. */
function queueUpdateNorms(params: readonly Tensor[], before: readonly Tensor[], reads: ScalarReads): { dNorm: number[]; wNorm: number[] } {
  return {
    dNorm: params.map((p, i) => reads.add(p.backend.norm(p.backend.binary('sub', p, before[i])))),
    wNorm: before.map((b) => reads.add(b.backend.norm(b))),
  };
}

/**
 * What outlives a step's tensor scope: the optimizer's state (made at a parameter's first update,
 * inside a step) and the parameters' gradients (a caller may read .grad after train(), as on the
 * CPU; the next step disposes them). Returns the gradients kept.
 */
function keepTrainingState(params: readonly Tensor[], optimizer: Optimizer): Tensor[] {
  for (const s of optimizer.state()) for (const b of s?.buffers ?? []) keep(b);
  return params.flatMap((p) => (p.grad ? [keep(p.grad)] : []));
}

/**
 * Train one run. Every `logEvery` steps (and at step 0 and the last step) the diagnostics are
 * recorded: ||dL/dh_t|| per layer and t, the global and per-parameter gradient norms before
 * clipping, what clipping did, sigma_max(W_hh), the update-to-weight ratio and the validation
 * loss. A non-finite loss or gradient stops the run as "diverged" at that step.
 *
 * Read-backs: every step reads its loss and squared gradient norms in one go (the loss and the
 * norm decide divergence and clipping); a logged step adds one read of the diagnostics (all
 * computed on the device) and the validation predictions.
 *
 * Device memory (src/tensor/scope.ts): each step runs in one tensor scope, ended once the step's
 * numbers have been read back, so every tensor the step made goes back to the pool then, except
 * the optimizer's state and the parameters' gradients, which the next step disposes. The
 * optimizer's state is disposed when the run ends.
 */
export async function train(
  net: RecurrentNet, task: Task, cfg: TrainConfig, rngs: { data: Rng; dropout: Rng }, hooks: TrainHooks = {}, resume?: ResumePoint,
): Promise<TrainResult> {
  const started = Date.now();
  const params = [...net.params.values()];
  const names = [...net.params.keys()];
  const optimizer = createOptimizer(params, cfg.optimizer);
  const baseLr = baseLearningRate(cfg.optimizer);
  const sampler = task.trainSampler(rngs.data, cfg.batchSize);
  const testSet = task.testSet();
  const valSet = sliceBatch(testSet, 0, Math.min(cfg.valSize, testSet.xShape[0]));
  const outputs = task.targets === 'last' ? 'last' : 'every_step';
  const log: LogEntry[] = [];
  let status: TrainResult['status'] = 'ok';
  let divergedAtStep: number | undefined;
  let earlyStopped = false;
  let step = 0;
  const clipPerStep: number[] = [];
  let dropoutRng = rngs.dropout;
  let priorMs = 0;
  if (resume) {
    const c = resume.checkpoint;
    if (resume.log.length !== c.logCount) throw new Error(`resume: the checkpoint at step ${c.step} covers ${c.logCount} log entries, ${resume.log.length} were given`);
    // The decoded tensors go with the scope; the optimizer's state (reshapes of them) stays.
    dropoutRng = scope(() => {
      const restored = restoreCheckpoint(net, optimizer, c).dropout;
      keepTrainingState(params, optimizer);
      return restored;
    });
    // The data position is the step: one batch per step. Replaying the sampler (rather than
    // restoring its state) is exact for every task, stateful samplers (epochs) included; the
    // data stream must then be exactly where it was.
    for (let i = 0; i < c.step; i++) sampler();
    if (!sameRngState(rngs.data.saveState(), c.rngs.data)) throw new Error(`resume: the data stream after ${c.step} batches differs from the checkpoint's`);
    log.push(...resume.log);
    clipPerStep.push(...c.clipPerStep);
    step = c.step;
    priorMs = c.elapsedMs;
  }
  let lastCheckpointStep = step;
  const saveCheckpoint = async (at: number): Promise<void> => {
    if (!hooks.checkpoint) return;
    lastCheckpointStep = at;
    const c = await captureCheckpoint(net, optimizer, {
      step: at, logCount: log.length, elapsedMs: priorMs + Date.now() - started, clipPerStep, rngs: { data: rngs.data, dropout: dropoutRng },
    });
    await hooks.checkpoint.save(c);
  };
  let interrupted = false;
  /** The previous step's parameter gradients (kept past its scope). */
  let keptGrads: Tensor[] = [];

  for (; step < cfg.steps; step++) {
    if (hooks.shouldStop && (await hooks.shouldStop())) {
      interrupted = true;
      break;
    }
    const stepScope = beginScope();
    try {
      for (const g of keptGrads) g.dispose();
      keptGrads = [];
      const lr = learningRateAt(cfg.schedule, baseLr, step);
      const logging = step % cfg.logEvery === 0 || step === cfg.steps - 1;
      const batch = sampler();
      const acc = accumulateGradients(net, task.loss, outputs, batch, cfg.accumulation, {
        dropoutRng: net.config.dropout ? dropoutRng : undefined,
        probe: logging,
      });
      const reads = new ScalarReads();
      const finishAcc = queueAccumulated(acc, reads);
      const gradNormAt = params.map((p) => {
        const n = gradNormOnDevice(p);
        return n ? reads.add(n) : -1;
      });
      const values = await reads.read();
      const { loss, dLdh } = finishAcc(values);
      const gradNorms = gradNormAt.map((i) => (i < 0 ? 0 : values[i]));
      const normBefore = normOfNorms(gradNorms);
      const diverged = !Number.isFinite(loss) || !Number.isFinite(normBefore);
      let clipped = false;
      let clipFactor = 1;
      if (!diverged && cfg.clip.kind === 'norm') {
        const r = clipGradNormWith(params, cfg.clip.maxNorm, normBefore);
        clipped = r.clipped;
        clipFactor = r.factor;
      } else if (!diverged && cfg.clip.kind === 'value') {
        const n = await clipGradValue(params, cfg.clip.clipValue);
        clipped = n > 0;
        clipFactor = n / params.reduce((s, p) => s + p.size, 0);
      }
      if (!diverged && cfg.clip.kind !== 'none') clipPerStep.push(clipFactor);
      let entry: LogEntry | null = null;
      if (logging || diverged) {
        entry = {
          step,
          loss: finite(loss),
          gradNorm: finite(normBefore),
          clipped,
          clipFactor,
          lr,
          dLdh: (dLdh ?? []).map((layer) => layer.map(finite)),
          paramGradNorms: Object.fromEntries(names.map((n, i) => [n, finite(gradNorms[i])])),
        };
        if (!diverged && (step === 0 || step === cfg.steps - 1)) entry.gates = await gateViews(net, task, batch);
        log.push(entry);
      }
      // sigma_max of the weights the step's gradients were taken at (before the update).
      const sigmas = entry
        ? Array.from({ length: net.config.numLayers }, (_, l) => sigmaMax(net.param(`rnn.weight_hh_l${l}`)))
        : null;
      if (diverged) {
        if (entry && sigmas) entry.sigmaMaxWhh = await readSigmas(sigmas);
        if (entry) hooks.onLog?.(entry);
        status = 'diverged';
        divergedAtStep = step;
        break;
      }
      const before = entry ? snapshot(params) : null;
      optimizer.step(lr);
      hooks.onStep?.(step, loss);
      if (entry && before && sigmas) {
        const logReads = new ScalarReads();
        const sigmaAt = sigmas.map((s) => logReads.add(s));
        const { dNorm, wNorm } = queueUpdateNorms(params, before, logReads);
        const logValues = await logReads.read();
        const total = (at: number[]): number => normOfNorms(at.map((i) => logValues[i]));
        entry.sigmaMaxWhh = sigmaAt.map((i) => finite(logValues[i]));
        entry.updateRatio = finite(total(dNorm) / total(wNorm));
        const val = await predict(net, task, valSet);
        entry.valLoss = finite(val.loss);
        const m = task.metrics(val.pred, valSet);
        entry.valMetrics = finiteRecord(m);
        hooks.onLog?.(entry);
        if (cfg.earlyStop) {
          if (metricCrossed(m[cfg.earlyStop.metric] ?? (cfg.earlyStop.metric === 'valLoss' ? val.loss : undefined), cfg.earlyStop)) {
            earlyStopped = true;
            step++;
            break;
          }
        }
        if (hooks.checkpoint && step + 1 < cfg.steps && log.length % hooks.checkpoint.everyLogged === 0) await saveCheckpoint(step + 1);
      }
    } finally {
      keptGrads = keepTrainingState(params, optimizer);
      stepScope.end();
    }
  }

  if (interrupted) {
    status = 'interrupted';
    if (step > lastCheckpointStep) await saveCheckpoint(step);
  }

  let metrics: Record<string, Num> = {};
  let metricErrors: Record<string, Num> = {};
  if (status === 'ok') {
    const test = await scope(() => predict(net, task, testSet));
    metrics = finiteRecord(task.metrics(test.pred, testSet));
    metricErrors = finiteRecord(sequenceStandardErrors(task, test.pred, testSet));
  }
  for (const s of optimizer.state()) for (const b of s?.buffers ?? []) b.dispose();
  return {
    status, divergedAtStep, stepsRun: step, earlyStopped, log, metrics, metricErrors, testSize: testSet.xShape[0], summary: summarize(log, net.config.cell),
    ...(cfg.clip.kind !== 'none' ? { clipPerStep } : {}),
  };
}

/**
 * The probe's per-gate views at this step's weights and batch, for a run's first and last step:
 * one more forward and backward, on the spec's ops, without dropout. Its backward adds into the
 * parameters' gradients, so the step's own gradients are set aside and put back untouched.
 */
async function gateViews(net: RecurrentNet, task: Task, batch: Batch): Promise<GateLog[]> {
  const params = [...net.params.values()];
  const stepGrads = params.map((p) => p.grad);
  zeroGrad(params);
  try {
    const probed = await probeNet(net, { ...batch, h0: null, c0: null }, {
      loss: task.loss, target: task.targets === 'last' ? 'last' : 'every', sample: null,
    }, { sigmaMax: false });
    return probed.layers.map((l) => ({ dLdc: l.dLdc, gates: l.gates }));
  } finally {
    params.forEach((p, i) => {
      p.grad?.dispose();
      p.grad = stepGrads[i];
    });
  }
}

/** How far the gradient reaches at the first and the last logged step, from a run's log (also
 * for the partial log of an interrupted run). */
export function summarize(log: readonly LogEntry[], cell: string): RunSummary | null {
  const withGrads = log.filter((e) => e.dLdh.length > 0);
  if (withGrads.length === 0) return null;
  return {
    reachAtStart: withGrads[0].dLdh.map(gradientReach),
    reachAtEnd: withGrads[withGrads.length - 1].dLdh.map(gradientReach),
    pascanuGamma: PASCANU_GAMMA,
    vanishingGuaranteed: cell.startsWith('rnn_')
      ? (withGrads[withGrads.length - 1].sigmaMaxWhh ?? []).map((s) => s !== null && s < 1 / PASCANU_GAMMA)
      : null,
  };
}
