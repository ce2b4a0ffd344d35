import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { readScalars } from '../../src/tensor/scalarReads.ts';
import { sigmaMax } from '../../src/diagnostics/sigmaMax.ts';
import type { ResolvedExperiment, ResolvedVariant } from '../../src/experiment/config.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import type { RunResult } from '../../src/experiment/results.ts';
import { prepareTasks, runOne } from '../../src/experiment/runner.ts';
import { RecurrentNet, type RecurrentNetConfig } from '../../src/nn/recurrentNet.ts';
import { tensor } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';
import type { Task } from '../../src/tasks/task.ts';
import { taskLoss } from '../../src/train/losses.ts';
import { train, type TrainResult } from '../../src/train/trainer.ts';
import { tinyDefinition } from '../helpers/definitions.ts';

/**
 * runOne's seed contract: Rng.seeded(seed).fork(0) draws the initial weights, fork(1) the training
 * data and fork(2) the dropout masks. Determinism tests cannot see which stream feeds what (any
 * fixed assignment is deterministic), so these tests rebuild the run from the streams by hand.
 */

const SEED = 7;

/** 4 steps of a 2-layer, 3-unit LSTM on a T=6 adding problem; dropout 0.5 between the layers, so
 * the dropout stream changes the numbers. */
function tiny(): { exp: ResolvedExperiment; v: ResolvedVariant; task: Task } {
  const def = tinyDefinition('seed-streams');
  def.steps = 4;
  def.variants = [{ name: 'dropout', numLayers: 2, dropout: 0.5 }];
  const exp = resolveExperiment(def);
  const v = exp.variants[0];
  return { exp, v, task: prepareTasks(exp)(v.task) };
}

/** The net config exactly as runOne builds it. */
function netConfig(v: ResolvedVariant, task: Task): RecurrentNetConfig {
  return {
    cell: v.cell, inputSize: task.inputSize, hiddenSize: v.hiddenSize, numLayers: v.numLayers, outputSize: task.outputSize,
    residual: v.residual, skipDelay: v.skipDelay ?? undefined, dropout: v.dropout,
  };
}

function initialNet(v: ResolvedVariant, task: Task, weightStream: number): RecurrentNet {
  return RecurrentNet.create(netConfig(v, task), Rng.seeded(SEED).fork(weightStream), { dtype: 'float32', backend: cpu, init: v.init });
}

/** train() with the streams given by number: weights, data, dropout. */
function trainWith(exp: ResolvedExperiment, v: ResolvedVariant, task: Task, streams: [number, number, number]): Promise<TrainResult> {
  const [w, d, p] = streams;
  return train(initialNet(v, task, w), task, {
    steps: exp.steps, batchSize: v.batchSize, accumulation: v.accumulation, logEvery: exp.logEvery, valSize: exp.valSize,
    optimizer: v.optimizer, schedule: v.schedule, clip: v.clip, earlyStop: exp.earlyStop,
  }, { data: Rng.seeded(SEED).fork(d), dropout: Rng.seeded(SEED).fork(p) });
}

/** A run's numbers: everything but the identity and the wall clock. */
function numbers(r: RunResult | TrainResult): unknown {
  const { durationMs: _d, variant: _v, seed: _s, ...rest } = r as RunResult;
  return JSON.parse(JSON.stringify(rest));
}

describe('runOne seed streams', () => {
  it('stream 0 gives the initial weights: step 0 logs sigma_max(W_hh) of a net drawn from fork(0)', async () => {
    const { exp, v, task } = tiny();
    const run = await runOne(exp, v, task, SEED, cpu);
    expect(run.status).toBe('ok');
    // sigma_max at step 0 is taken before the first update: a function of the initial weights only.
    const byStream = async (s: number): Promise<number[]> => {
      const net = initialNet(v, task, s);
      return [...(await readScalars([0, 1].map((l) => sigmaMax(net.param(`rnn.weight_hh_l${l}`)))))];
    };
    const expected = await byStream(0);
    expect(run.log[0].sigmaMaxWhh).toEqual(expected);
    // The check can tell the streams apart.
    expect(await byStream(1)).not.toEqual(expected);
  });

  it('stream 1 gives the data and stream 2 the dropout: step 0 loss is the loss of the first fork(1) batch with fork(2) masks', async () => {
    const { exp, v, task } = tiny();
    const run = await runOne(exp, v, task, SEED, cpu);
    const stepZeroLoss = async (dataStream: number, dropoutStream: number): Promise<number> => {
      const net = initialNet(v, task, 0);
      const b = task.trainSampler(Rng.seeded(SEED).fork(dataStream), v.batchSize)();
      const opts = { dtype: net.dtype, backend: cpu };
      const out = net.forward(tensor(b.x, b.xShape, opts), {
        outputs: task.targets === 'last' ? 'last' : 'every_step', dropoutRng: Rng.seeded(SEED).fork(dropoutStream),
      });
      return taskLoss(task.loss, out.output, tensor(b.y, b.yShape, opts)).itemAsync();
    };
    const expected = await stepZeroLoss(1, 2);
    expect(run.log[0].loss).toBe(expected);
    // Each stream matters to that number, so a wrong stream cannot pass.
    expect(await stepZeroLoss(0, 2)).not.toBe(expected);
    expect(await stepZeroLoss(2, 2)).not.toBe(expected);
    expect(await stepZeroLoss(1, 0)).not.toBe(expected);
    expect(await stepZeroLoss(1, 1)).not.toBe(expected);
  });

  it('the whole run equals train() with (fork(0) weights, fork(1) data, fork(2) dropout), and no other assignment', async () => {
    const { exp, v, task } = tiny();
    const run = numbers(await runOne(exp, v, task, SEED, cpu));
    expect(run).toEqual(numbers(await trainWith(exp, v, task, [0, 1, 2])));
    // Swapping any two streams, or sharing one, changes the numbers.
    for (const streams of [[1, 0, 2], [2, 1, 0], [0, 2, 1], [0, 0, 2], [0, 1, 1], [0, 1, 0]] as [number, number, number][]) {
      expect(run, `streams ${streams.join(',')}`).not.toEqual(numbers(await trainWith(exp, v, task, streams)));
    }
  });
});
