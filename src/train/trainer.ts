import { backward, noGrad, zeroGrad } from '../autograd/index.ts';
import { gradNorm, hiddenGradNorms } from '../diagnostics/hiddenGradNorms.ts';
import { gradientReach } from '../diagnostics/gradientReach.ts';
import { sigmaMax } from '../diagnostics/sigmaMax.ts';
import type { LogEntry, Num, RunSummary } from '../experiment/results.ts';
import { gateCount } from '../nn/cellKinds.ts';
import type { RecurrentNet } from '../nn/recurrentNet.ts';
import { tensor } from '../tensor/create.ts';
import type { Rng } from '../tensor/rng.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { sliceBatch } from '../tasks/batch.ts';
import type { Batch, Task } from '../tasks/task.ts';
import { clipGradNorm, clipGradValue, globalGradNorm } from './clipping.ts';
import { taskLoss, type LossKind } from './losses.ts';
import { baseLearningRate, createOptimizer, type OptimizerConfig } from './optimizers.ts';
import { learningRateAt, type ScheduleConfig } from './schedule.ts';

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

export interface TrainResult {
  status: 'ok' | 'diverged';
  divergedAtStep?: number;
  stepsRun: number;
  earlyStopped: boolean;
  /** Every step's clipping, when clipping is on: the factor the gradient was scaled by (norm
   * clipping; 1 = not clipped) or the fraction of elements clamped (value clipping). */
  clipPerStep?: number[];
  log: LogEntry[];
  metrics: Record<string, Num>;
  summary: RunSummary | null;
}

export interface TrainHooks {
  /** Called after every step (progress bars). */
  onStep?: (step: number, loss: number) => void;
}

const finite = (x: number): Num => (Number.isFinite(x) ? x : null);

function toTensors(net: RecurrentNet, b: Batch): { x: Tensor; y: Tensor } {
  const p = net.param('head.bias');
  const opts = { dtype: p.dtype, backend: p.backend };
  return { x: tensor(b.x, b.xShape, opts), y: tensor(b.y, b.yShape, opts) };
}

/** Predictions of the net on a batch (no graph), as the task's metrics expect them. */
export function predict(net: RecurrentNet, task: Task, b: Batch): { pred: Float64Array; loss: number } {
  return noGrad(() => {
    const { x, y } = toTensors(net, b);
    const out = net.forward(x, { outputs: task.targets === 'last' ? 'last' : 'every_step' });
    return { pred: out.output.toFloat64Array(), loss: taskLoss(task.loss, out.output, y).item() };
  });
}

/** Pascanu et al. 2013's gamma, a bound on |sigma'| of the recurrence's nonlinearity: 1 for tanh
 * and relu. Gated cells have no single such bound, so their runs report no guarantee. */
const PASCANU_GAMMA = 1;

function sigmaMaxes(net: RecurrentNet): Num[] {
  const { numLayers, hiddenSize: H, cell } = net.config;
  const G = gateCount(cell);
  return Array.from({ length: numLayers }, (_, l) => finite(sigmaMax(net.param(`rnn.weight_hh_l${l}`).toFloat64Array(), G * H, H)));
}

function metricCrossed(value: number | undefined, rule: NonNullable<TrainConfig['earlyStop']>): boolean {
  if (value === undefined || !Number.isFinite(value)) return false;
  return (rule.below !== undefined && value < rule.below) || (rule.above !== undefined && value > rule.above);
}

/**
 * Zero the gradients, then accumulate them over `k` equal micro-batches of `batch`, each loss
 * scaled by 1/k: for a mean loss this is the gradient of the whole batch (up to summation
 * order). Returns the batch loss and, when `probe` is set, ||dL/dh_t|| over the whole batch
 * per [layer][t] (the root of the micro-batches' summed squares).
 */
export function accumulateGradients(
  net: RecurrentNet, lossKind: LossKind, outputs: 'last' | 'every_step', batch: Batch, k: number,
  opts: { dropoutRng?: Rng; probe?: boolean } = {},
): { loss: number; dLdh: number[][] | null } {
  const params = [...net.params.values()];
  zeroGrad(params);
  const B = batch.xShape[0];
  if (B % k !== 0) throw new Error(`a batch of ${B} cannot be split into ${k} equal micro-batches`);
  const micro = B / k;
  let loss = 0;
  let sq: number[][] | null = null;
  for (let m = 0; m < k; m++) {
    const part = k === 1 ? batch : sliceBatch(batch, m * micro, (m + 1) * micro);
    const { x, y } = toTensors(net, part);
    const out = net.forward(x, { outputs, dropoutRng: opts.dropoutRng });
    const l = taskLoss(lossKind, out.output, y);
    loss += l.item() / k;
    backward(l, l.backend.full([], l.dtype, 1 / k));
    if (opts.probe) {
      const norms = hiddenGradNorms(out.hidden);
      const prev: number[][] | null = sq;
      sq = norms.map((layer, i) => layer.map((v, t): number => v * v + (prev ? prev[i][t] : 0)));
    }
  }
  return { loss, dLdh: sq ? sq.map((layer) => layer.map(Math.sqrt)) : null };
}

/**
 * Train one run. Every `logEvery` steps (and at step 0 and the last step) the diagnostics are
 * recorded: ||dL/dh_t|| per layer and t, the global and per-parameter gradient norms before
 * clipping, what clipping did, sigma_max(W_hh), the update-to-weight ratio and the validation
 * loss. A non-finite loss or gradient stops the run as "diverged" at that step.
 */
export function train(net: RecurrentNet, task: Task, cfg: TrainConfig, rngs: { data: Rng; dropout: Rng }, hooks: TrainHooks = {}): TrainResult {
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

  for (; step < cfg.steps; step++) {
    const lr = learningRateAt(cfg.schedule, baseLr, step);
    const logging = step % cfg.logEvery === 0 || step === cfg.steps - 1;
    const { loss, dLdh } = accumulateGradients(net, task.loss, outputs, sampler(), cfg.accumulation, {
      dropoutRng: net.config.dropout ? rngs.dropout : undefined,
      probe: logging,
    });
    const normBefore = globalGradNorm(params);
    const diverged = !Number.isFinite(loss) || !Number.isFinite(normBefore);
    let clipped = false;
    let clipFactor = 1;
    if (!diverged && cfg.clip.kind === 'norm') {
      const r = clipGradNorm(params, cfg.clip.maxNorm);
      clipped = r.clipped;
      clipFactor = r.factor;
    } else if (!diverged && cfg.clip.kind === 'value') {
      const n = clipGradValue(params, cfg.clip.clipValue);
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
        paramGradNorms: Object.fromEntries(names.map((n, i) => [n, finite(gradNorm(params[i]))])),
        sigmaMaxWhh: sigmaMaxes(net),
      };
      log.push(entry);
    }
    if (diverged) {
      status = 'diverged';
      divergedAtStep = step;
      break;
    }
    const before = entry ? params.map((p) => p.toFloat64Array()) : null;
    optimizer.step(lr);
    hooks.onStep?.(step, loss);
    if (entry && before) {
      let dSq = 0;
      let wSq = 0;
      params.forEach((p, i) => {
        const now = p.toFloat64Array();
        for (let j = 0; j < now.length; j++) {
          dSq += (now[j] - before[i][j]) ** 2;
          wSq += before[i][j] ** 2;
        }
      });
      entry.updateRatio = finite(Math.sqrt(dSq / wSq));
      const val = predict(net, task, valSet);
      entry.valLoss = finite(val.loss);
      if (cfg.earlyStop) {
        const m = task.metrics(val.pred, valSet);
        if (metricCrossed(m[cfg.earlyStop.metric] ?? (cfg.earlyStop.metric === 'valLoss' ? val.loss : undefined), cfg.earlyStop)) {
          earlyStopped = true;
          step++;
          break;
        }
      }
    }
  }

  let metrics: Record<string, Num> = {};
  if (status === 'ok') {
    const test = predict(net, task, testSet);
    metrics = Object.fromEntries(Object.entries(task.metrics(test.pred, testSet)).map(([k, v]) => [k, finite(v)]));
  }
  const withGrads = log.filter((e) => e.dLdh.length > 0);
  const summary: RunSummary | null = withGrads.length === 0 ? null : {
    reachAtStart: withGrads[0].dLdh.map(gradientReach),
    reachAtEnd: withGrads[withGrads.length - 1].dLdh.map(gradientReach),
    pascanuGamma: PASCANU_GAMMA,
    vanishingGuaranteed: net.config.cell.startsWith('rnn_')
      ? (withGrads[withGrads.length - 1].sigmaMaxWhh ?? []).map((s) => s !== null && s < 1 / PASCANU_GAMMA)
      : null,
  };
  return {
    status, divergedAtStep, stepsRun: step, earlyStopped, log, metrics, summary,
    ...(cfg.clip.kind !== 'none' ? { clipPerStep } : {}),
  };
}
