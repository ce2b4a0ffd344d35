import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { noGrad } from '../../src/autograd/index.ts';
import { probeNet } from '../../src/diagnostics/probe.ts';
import { sigmaMax } from '../../src/diagnostics/sigmaMax.ts';
import type { ResolvedExperiment, ResolvedVariant } from '../../src/experiment/config.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { prepareTasks } from '../../src/experiment/runner.ts';
import type { LogEntry } from '../../src/records/results.ts';
import { RecurrentNet } from '../../src/nn/recurrentNet.ts';
import { sliceBatch } from '../../src/tasks/batch.ts';
import { copyTask } from '../../src/tasks/copy.ts';
import { sequenceStandardErrors } from '../../src/tasks/standardErrors.ts';
import type { Batch, Task } from '../../src/tasks/task.ts';
import { tensor } from '../../src/tensor/create.ts';
import { readScalars } from '../../src/tensor/scalarReads.ts';
import { Rng } from '../../src/tensor/rng.ts';
import type { DType } from '../../src/tensor/dtype.ts';
import type { TrainCheckpoint } from '../../src/train/checkpoint.ts';
import { taskLoss } from '../../src/train/losses.ts';
import { predict, summarize, train, type TrainConfig, type TrainHooks, type TrainResult } from '../../src/train/trainer.ts';
import { tinyDefinition } from '../helpers/definitions.ts';

/**
 * Every number a logged step records, recomputed in the test from its definition and the weights
 * around the step (captured by the step hook): the update-to-weight ratio from the weights before
 * and after the update, sigma_max(W_hh) at the weights the gradients were taken at, the
 * validation loss and metrics at the updated weights on the first valSize test sequences, the
 * learning rate from the schedule's literal values, the test metrics at the final weights.
 */

const SEED = 11;
type Weights = Map<string, Float64Array>;

function setup(overrides: Record<string, unknown> = {}): { exp: ResolvedExperiment; v: ResolvedVariant; task: Task } {
  const def: Record<string, unknown> = { ...tinyDefinition('trainer-log'), steps: 5, ...overrides };
  def.task = { name: 'adding', T: 6, variant: 'arjovsky', testSize: 24 };
  const exp = resolveExperiment(def);
  const v = exp.variants[0];
  return { exp, v, task: prepareTasks(exp)(v.task) };
}

function makeNet(v: ResolvedVariant, task: Task, dtype: DType = 'float32'): RecurrentNet {
  return RecurrentNet.create(
    { cell: v.cell, inputSize: task.inputSize, hiddenSize: v.hiddenSize, numLayers: v.numLayers, outputSize: task.outputSize, dropout: v.dropout },
    Rng.seeded(SEED).fork(0), { dtype, backend: cpu, init: v.init },
  );
}

function config(exp: ResolvedExperiment, v: ResolvedVariant): TrainConfig {
  return {
    steps: exp.steps, batchSize: v.batchSize, accumulation: v.accumulation, logEvery: exp.logEvery, valSize: exp.valSize,
    optimizer: v.optimizer, schedule: v.schedule, clip: v.clip, earlyStop: exp.earlyStop,
  };
}

const weightsOf = (net: RecurrentNet): Weights => new Map([...net.params].map(([n, p]) => [n, p.toFloat64Array()]));
const gradsOf = (net: RecurrentNet): Weights => new Map([...net.params].map(([n, p]) => [n, p.grad!.toFloat64Array()]));

/** A copy of `net`'s architecture holding `w`. */
function netWith(v: ResolvedVariant, task: Task, w: Weights): RecurrentNet {
  const net = makeNet(v, task);
  for (const [n, p] of net.params) (p.data as Float32Array).set(w.get(n)!);
  return net;
}

function norm(xs: Iterable<Float64Array>): number {
  let s = 0;
  for (const x of xs) for (const v of x) s += v * v;
  return Math.sqrt(s);
}

/** The net's loss and predictions on a batch, in one forward pass. */
async function evaluate(net: RecurrentNet, task: Task, b: Batch): Promise<{ loss: number; pred: Float64Array }> {
  const { out, loss } = noGrad(() => {
    const opts = { dtype: net.dtype, backend: cpu };
    const o = net.forward(tensor(b.x, b.xShape, opts), { outputs: task.targets === 'last' ? 'last' : 'every_step' });
    return { out: o.output, loss: taskLoss(task.loss, o.output, tensor(b.y, b.yShape, opts)) };
  });
  return { loss: await loss.itemAsync(), pred: out.toFloat64Array() };
}

interface Observed {
  result: TrainResult;
  /** Weights after step s's update, and the (clipped) gradients it used; index -1 holds the initial weights. */
  after: Map<number, Weights>;
  grads: Map<number, Weights>;
  stepLosses: number[];
}

async function observe(exp: ResolvedExperiment, v: ResolvedVariant, task: Task, hooks: TrainHooks = {}): Promise<Observed> {
  const net = makeNet(v, task);
  const after = new Map<number, Weights>([[-1, weightsOf(net)]]);
  const grads = new Map<number, Weights>();
  const stepLosses: number[] = [];
  const result = await train(net, task, config(exp, v), { data: Rng.seeded(SEED).fork(1), dropout: Rng.seeded(SEED).fork(2) }, {
    ...hooks,
    onStep: (step, loss) => {
      after.set(step, weightsOf(net));
      grads.set(step, gradsOf(net));
      stepLosses[step] = loss;
    },
  });
  return { result, after, grads, stepLosses };
}

// The device computes norms in float32: each element's square and each partial sum rounds by at
// most 2^-24 relative, so a sum of n <= 64 squares is within ~n * 2^-24 = 3.8e-6 of the float64
// sum, its root within half that, and a ratio of two such norms within ~4e-6. 1e-5 covers it.
const FLOAT32_NORM_REL = 1e-5;

describe('what a logged step records, recomputed from its definition', () => {
  it('update ratio, sigma_max before the update, validation loss and metrics after it, per-parameter gradient norms, lr by the schedule', async () => {
    const { exp, v, task } = setup({
      steps: 5, logEvery: 2, valSize: 8,
      defaults: { cell: 'rnn_tanh', hiddenSize: 4, numLayers: 2, optimizer: { name: 'sgd', lr: 0.1 }, schedule: { name: 'step', stepSize: 2, gamma: 0.5 } },
    });
    const { result, after, grads, stepLosses } = await observe(exp, v, task);
    expect(result.status).toBe('ok');
    expect(result.log.map((e) => e.step)).toEqual([0, 2, 4]);
    // StepLR(0.1, stepSize 2, gamma 0.5): halving is exact in binary floating point.
    expect(result.log.map((e) => e.lr)).toEqual([0.1, 0.05, 0.025]);
    const valSet = sliceBatch(task.testSet(), 0, 8);
    for (const e of result.log) {
      const before = after.get(e.step - 1)!;
      const now = after.get(e.step)!;
      expect(e.loss).toBe(stepLosses[e.step]);
      // Without clipping, nothing is clipped and the factor is 1.
      expect([e.clipped, e.clipFactor]).toEqual([false, 1]);
      // ||w_after - w_before|| / ||w_before|| over all parameters together.
      const delta = [...now].map(([n, w]) => w.map((x, i) => x - before.get(n)![i]));
      const ratio = norm(delta) / norm(before.values());
      expect(Math.abs(e.updateRatio! - ratio)).toBeLessThan(FLOAT32_NORM_REL * ratio);
      // The gradient norms logged are those of the step's gradients.
      for (const [n, gn] of grads.get(e.step)!) {
        expect(Math.abs(e.paramGradNorms[n]! - norm([gn]))).toBeLessThan(FLOAT32_NORM_REL * norm([gn]));
      }
      // SGD without clipping steps by -lr * gradient at the scheduled lr: in float32, lr * g and
      // w - lr * g each round by at most 2^-24 relative, so the difference from the exact step is
      // at most 2^-24 (||lr g|| + ||w_after||); 2^-23 leaves a factor of two.
      const g = grads.get(e.step)!;
      const offStep = [...now.keys()].map((n, j) => g.get(n)!.map((x, i) => delta[j][i] + e.lr * x));
      expect(norm(offStep)).toBeLessThan(2 ** -23 * (e.lr * norm(g.values()) + norm(now.values())));
      // sigma_max of the weights the gradients were taken at (before the update).
      const sigmas = await readScalars([0, 1].map((l) => sigmaMax(tensor(before.get(`rnn.weight_hh_l${l}`)!, [4, 4], { dtype: 'float32', backend: cpu }))));
      expect(e.sigmaMaxWhh).toEqual([...sigmas]);
      const afterSigma = await readScalars([sigmaMax(tensor(now.get('rnn.weight_hh_l0')!, [4, 4], { dtype: 'float32', backend: cpu }))]);
      expect(afterSigma[0]).not.toBe(e.sigmaMaxWhh![0]);
      // Validation at the updated weights, on the test set's first valSize sequences.
      const val = await evaluate(netWith(v, task, now), task, valSet);
      expect(e.valLoss).toBe(val.loss);
      expect(e.valMetrics).toEqual(task.metrics(val.pred, valSet));
      expect((await evaluate(netWith(v, task, before), task, valSet)).loss).not.toBe(e.valLoss);
      // The probe's gate views: at the first and the last step only.
      expect(e.gates !== undefined).toBe(e.step === 0 || e.step === exp.steps - 1);
    }
    // Test metrics at the final weights on the whole test set, with their standard errors.
    const test = task.testSet();
    const final = await evaluate(netWith(v, task, after.get(exp.steps - 1)!), task, test);
    expect(result.testSize).toBe(24);
    expect(result.metrics).toEqual(task.metrics(final.pred, test));
    expect(result.metricErrors).toEqual(sequenceStandardErrors(task, final.pred, test));
    expect(Object.keys(result.metricErrors!).length).toBeGreaterThan(0);
    expect(result.stepsRun).toBe(5);
    expect(result.earlyStopped).toBe(false);
  });

  it('value clipping: the clip factor is the fraction of gradient elements that were clipped', async () => {
    const plain = setup({ steps: 1, defaults: { cell: 'gru', hiddenSize: 3, optimizer: { name: 'sgd', lr: 0.1 } } });
    const raw = (await observe(plain.exp, plain.v, plain.task)).grads.get(0)!;
    const all = [...raw.values()].flatMap((g) => [...g].map(Math.abs)).sort((a, b) => a - b);
    // A threshold between two gradient sizes, so rounding cannot move an element across it.
    const k = Math.floor(all.length * 0.7);
    const clipValue = (all[k - 1] + all[k]) / 2;
    expect(all[k]).toBeGreaterThan(all[k - 1]);
    const clipped = setup({ steps: 1, defaults: { cell: 'gru', hiddenSize: 3, optimizer: { name: 'sgd', lr: 0.1 }, clip: { kind: 'value', clipValue } } });
    const { result, grads } = await observe(clipped.exp, clipped.v, clipped.task);
    const [e] = result.log;
    expect(e.clipped).toBe(true);
    expect(e.clipFactor).toBe((all.length - k) / all.length);
    expect(result.clipPerStep).toEqual([(all.length - k) / all.length]);
    // The norms logged are those before clipping; the update used the clipped gradient.
    expect(Math.abs(e.gradNorm! - norm(raw.values()))).toBeLessThan(FLOAT32_NORM_REL * norm(raw.values()));
    for (const g of grads.get(0)!.values()) for (const x of g) expect(Math.abs(x)).toBeLessThanOrEqual(Math.fround(clipValue));
    // A threshold above every element clips nothing: not clipped, factor 0.
    const loose = setup({ steps: 1, defaults: { cell: 'gru', hiddenSize: 3, optimizer: { name: 'sgd', lr: 0.1 }, clip: { kind: 'value', clipValue: 2 * all[all.length - 1] } } });
    const [free] = (await observe(loose.exp, loose.v, loose.task)).result.log;
    expect([free.clipped, free.clipFactor]).toEqual([false, 0]);
  });
});

describe('checkpoints and stops at step boundaries', () => {
  const saved = (): { hooks: TrainHooks; at: [number, number][] } => {
    const at: [number, number][] = [];
    return { at, hooks: { checkpoint: { everyLogged: 2, save: (c: TrainCheckpoint) => void at.push([c.step, c.logCount]) } } };
  };

  it('saves after every everyLogged logged steps, never after the last step', async () => {
    const { exp, v, task } = setup({ steps: 6, logEvery: 1 });
    const s = saved();
    const { result } = await observe(exp, v, task, s.hooks);
    expect(result.status).toBe('ok');
    // Log lengths 2 and 4 after steps 1 and 3; after step 5 (the last) there is nothing to resume.
    expect(s.at).toEqual([[2, 2], [4, 4]]);
  });

  it('a stop request ends the run as interrupted at that boundary, with a checkpoint there unless one is already', async () => {
    for (const [stopAt, expected] of [[3, [[2, 2], [3, 3]]], [2, [[2, 2]]]] as const) {
      const { exp, v, task } = setup({ steps: 6, logEvery: 1 });
      const s = saved();
      let boundary = 0;
      const { result } = await observe(exp, v, task, { ...s.hooks, shouldStop: () => boundary++ === stopAt });
      expect(result.status).toBe('interrupted');
      expect(result.stepsRun).toBe(stopAt);
      expect(result.log).toHaveLength(stopAt);
      expect(s.at).toEqual(expected);
      // An unfinished run has no test metrics.
      expect(result.metrics).toEqual({});
    }
  });
});

describe('early stopping', () => {
  it('on the validation loss: "above" 0 stops after the first logged step; "below" 0 never stops', async () => {
    const above = setup({ steps: 4, earlyStop: { metric: 'valLoss', above: 0 } });
    const { result: stopped } = await observe(above.exp, above.v, above.task);
    expect([stopped.earlyStopped, stopped.stepsRun, stopped.status]).toEqual([true, 1, 'ok']);
    const below = setup({ steps: 4, earlyStop: { metric: 'valLoss', below: 0 } });
    const { result: full } = await observe(below.exp, below.v, below.task);
    expect([full.earlyStopped, full.stepsRun]).toEqual([false, 4]);
  });
});

describe('early stopping on a metric that is not finite', () => {
  it('never stops: an infinite metric is no evidence of crossing a threshold', async () => {
    const { exp, v, task } = setup({ steps: 3 });
    const withMetric = (x: number): Task => Object.assign(Object.create(task) as Task, { metrics: () => ({ x }) });
    const run = (x: number): Promise<TrainResult> => train(makeNet(v, task), withMetric(x), { ...config(exp, v), earlyStop: { metric: 'x', above: 0 } }, {
      data: Rng.seeded(SEED).fork(1), dropout: Rng.seeded(SEED).fork(2),
    });
    expect([(await run(1)).earlyStopped, (await run(1)).stepsRun]).toEqual([true, 1]);
    expect([(await run(Infinity)).earlyStopped, (await run(Infinity)).stepsRun]).toEqual([false, 3]);
  });

  it('thresholds are strict, each rule only its own side, and a metric the task does not report never stops a run', async () => {
    const { exp, v, task } = setup({ steps: 3 });
    const stops = async (x: number, rule: { metric: string; below?: number; above?: number }): Promise<boolean> => {
      const t = Object.assign(Object.create(task) as Task, { metrics: () => ({ x }) });
      return (await train(makeNet(v, task), t, { ...config(exp, v), earlyStop: rule }, { data: Rng.seeded(SEED).fork(1), dropout: Rng.seeded(SEED).fork(2) })).earlyStopped;
    };
    expect(await stops(1, { metric: 'x', below: 1 })).toBe(false);
    expect(await stops(0.5, { metric: 'x', below: 1 })).toBe(true);
    expect(await stops(1, { metric: 'x', above: 1 })).toBe(false);
    expect(await stops(0, { metric: 'x', above: 1 })).toBe(false);
    expect(await stops(2, { metric: 'x', above: 1 })).toBe(true);
    expect(await stops(2, { metric: 'x', below: 1 })).toBe(false);
    expect(await stops(2, { metric: 'missing', above: -Infinity })).toBe(false);
  });
});

describe('resuming train() from a checkpoint', () => {
  it('refuses a log that does not match the checkpoint and a data stream not where it was; counts the time before', async () => {
    const { exp, v, task } = setup({ steps: 6, logEvery: 1 });
    const saved: TrainCheckpoint[] = [];
    const logs: LogEntry[] = [];
    await observe(exp, v, task, { checkpoint: { everyLogged: 2, save: (c) => void saved.push(c) }, onLog: (e) => void logs.push(e) });
    const c = saved[0];
    expect([c.step, c.logCount]).toEqual([2, 2]);
    const resume = (point: TrainCheckpoint, log: LogEntry[], dataStream = 1, hooks: TrainHooks = {}): Promise<TrainResult> =>
      train(makeNet(v, task), task, config(exp, v), { data: Rng.seeded(SEED).fork(dataStream), dropout: Rng.seeded(SEED).fork(2) }, hooks, { checkpoint: point, log });
    await expect(resume(c, logs.slice(0, 1))).rejects.toThrow('resume: the checkpoint at step 2 covers 2 log entries, 1 were given');
    await expect(resume(c, logs.slice(0, 2), 3)).rejects.toThrow("resume: the data stream after 2 batches differs from the checkpoint's");
    const HOUR = 3_600_000;
    const later: TrainCheckpoint[] = [];
    const resumed = await resume({ ...c, elapsedMs: HOUR }, logs.slice(0, 2), 1, { checkpoint: { everyLogged: 2, save: (x) => void later.push(x) } });
    expect(resumed.log).toEqual(logs);
    expect(later.map((x) => x.step)).toEqual([4]);
    expect(later[0].elapsedMs).toBeGreaterThanOrEqual(HOUR);
    expect(later[0].elapsedMs).toBeLessThan(HOUR + 600_000);
  });
});

describe('predict in chunks of 256 sequences', () => {
  it('equals one forward pass over the whole batch (float64), at 256, 257 and 600 sequences', async () => {
    const { v, task } = setup();
    const net = makeNet(v, task, 'float64');
    const big = task.trainSampler(Rng.seeded(3), 600)();
    for (const n of [256, 257, 512, 600]) {
      const b = sliceBatch(big, 0, n);
      const whole = await evaluate(net, task, b);
      const chunked = await predict(net, task, b);
      // Same per-sequence arithmetic; only the mean's summation order differs: n * 2^-53 relative.
      expect(Math.abs(chunked.loss - whole.loss)).toBeLessThan(1e-12 * whole.loss);
      expect(chunked.pred).toHaveLength(whole.pred.length);
      chunked.pred.forEach((p, i) => expect(Math.abs(p - whole.pred[i])).toBeLessThan(1e-12 * (1 + Math.abs(whole.pred[i]))));
    }
  });
});

describe('predict on a task scored at every step', () => {
  it('copy (targets at every step): the predictions are every step\'s outputs, the loss over all of them', async () => {
    const { v } = setup();
    const copy = copyTask({ T: 3, testSize: 4 });
    const net = makeNet({ ...v, hiddenSize: 3 }, copy, 'float64');
    const b = copy.testSet();
    const got = await predict(net, copy, b);
    const whole = await evaluate(net, copy, b);
    expect(got.pred).toEqual(whole.pred);
    expect(got.pred).toHaveLength(4 * (3 + 20) * 10);
    expect(got.loss).toBe(whole.loss);
  });
});

describe('training on a task scored at every step', () => {
  it('copy: step 0\'s loss is the loss of every step\'s outputs on the first batch', async () => {
    const { exp, v } = setup();
    const copy = copyTask({ T: 3, testSize: 4 });
    const cfg: TrainConfig = { ...config(exp, v), steps: 1, batchSize: 2, optimizer: { name: 'sgd', lr: 0.1 } };
    const result = await train(makeNet(v, copy), copy, cfg, { data: Rng.seeded(SEED).fork(1), dropout: Rng.seeded(SEED).fork(2) });
    const first = copy.trainSampler(Rng.seeded(SEED).fork(1), 2)();
    expect(result.log[0].loss).toBe((await evaluate(makeNet(v, copy), copy, first)).loss);
  });

  it('copy with an LSTM: the gate views logged at step 0 are the probe\'s with the loss on every step', async () => {
    const { exp, v } = setup();
    const copy = copyTask({ T: 3, testSize: 4 });
    const lstm = { ...v, cell: 'lstm' as const };
    const cfg: TrainConfig = { ...config(exp, lstm), steps: 1, batchSize: 2, optimizer: { name: 'sgd', lr: 0.1 } };
    const result = await train(makeNet(lstm, copy), copy, cfg, { data: Rng.seeded(SEED).fork(1), dropout: Rng.seeded(SEED).fork(2) });
    const first = copy.trainSampler(Rng.seeded(SEED).fork(1), 2)();
    // The gate views are taken before step 0's update: at the initial weights, on step 0's batch.
    const views = async (target: 'last' | 'every') => {
      const probed = await probeNet(makeNet(lstm, copy), { ...first, h0: null, c0: null }, { loss: copy.loss, target, sample: null }, { sigmaMax: false });
      return probed.layers.map((l) => ({ dLdc: l.dLdc, gates: l.gates }));
    };
    expect(result.log[0].gates).toEqual(await views('every'));
    // On the last step only, the probe cannot score a copy batch at all (23 labels a sequence).
    await expect(views('last')).rejects.toThrow('cross_entropy: 46 labels for a batch of 2');
  });
});

describe('summarize', () => {
  const entry = (dLdh: (number | null)[][], sigmaMaxWhh?: (number | null)[]): LogEntry => ({
    step: 0, loss: 1, gradNorm: 1, clipped: false, clipFactor: 1, lr: 0.1, dLdh, paramGradNorms: {}, ...(sigmaMaxWhh ? { sigmaMaxWhh } : {}),
  });

  it('reach at the first and last logged steps with gradients; Pascanu\'s guarantee for vanilla cells only, strictly below 1', () => {
    const log = [
      entry([]), // a diverged step's entry has no profile
      entry([[1e-7, 1e-3, 1]], [2]),
      entry([[1, 1, 1]], [0.5, 1, null]),
    ];
    const s = summarize(log, 'rnn_tanh')!;
    expect(s.reachAtStart.map((r) => r.reach)).toEqual([2]);
    expect(s.reachAtEnd.map((r) => r.reach)).toEqual([3]);
    expect(s.pascanuGamma).toBe(1);
    expect(s.vanishingGuaranteed).toEqual([true, false, false]);
    expect(summarize(log, 'rnn_relu')!.vanishingGuaranteed).toEqual([true, false, false]);
    expect(summarize(log, 'lstm')!.vanishingGuaranteed).toBeNull();
    expect(summarize([entry([[1]])], 'rnn_tanh')!.vanishingGuaranteed).toEqual([]);
    expect(summarize([entry([])], 'gru')).toBeNull();
  });
});
