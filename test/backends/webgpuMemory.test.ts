/**
 * Explicit device memory on the WebGPU backend (src/tensor/scope.ts, GpuRuntime): dispose and
 * scopes return buffers to the pool, a disposed tensor cannot be used again, bind groups are
 * cached, and a training run's device memory is constant from step to step once warmed up — by
 * construction, with no garbage collector involved. No adapter is a failure here, not a skip.
 */
import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { webgpuBackend, type WebGpuBackend } from '../../src/backends/webgpu/index.ts';
import type { GpuRuntimeStats } from '../../src/backends/webgpu/runtime.ts';
import type { CellKind } from '../../src/cells/table.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { prepareTasks, runOne } from '../../src/experiment/runner.ts';
import { RecurrentNet } from '../../src/nn/recurrentNet.ts';
import { createTask } from '../../src/tasks/index.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { beginScope, dispose, keep, scope } from '../../src/tensor/scope.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { train, type TrainConfig } from '../../src/train/trainer.ts';
import { tinyDefinition } from '../helpers/definitions.ts';

const gpu = (): Promise<WebGpuBackend> => webgpuBackend();
const stats = (k: WebGpuBackend): GpuRuntimeStats => k.runtime.stats();
/** Buffers holding a tensor's storage now (made and not in the pool). */
const inUse = (s: GpuRuntimeStats): number => s.buffers - s.pooled;
const values = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => from + i);
const read = (t: Tensor): Promise<number[]> => t.toFloat64ArrayAsync().then((v) => [...v]);

describe('webgpu dispose', () => {
  it('returns the buffer to the pool, and the next tensor of that size reuses it', async () => {
    const k = await gpu();
    const t = k.fromValues(values(300), [300], 'float32');
    const before = stats(k);
    t.dispose();
    const after = stats(k);
    expect(after.pooled).toBe(before.pooled + 1);
    expect(after.buffers).toBe(before.buffers);
    const u = k.full([300], 'float32', 2);
    expect(stats(k).pooled).toBe(before.pooled);
    expect(stats(k).buffers).toBe(before.buffers);
    expect(await read(u)).toEqual(new Array(300).fill(2));
    u.dispose();
  });

  it('is harmless twice, and a disposed tensor used again throws instead of reading reused memory', async () => {
    const k = await gpu();
    const t = k.fromValues(values(4), [4], 'float32');
    t.dispose();
    const pooled = stats(k).pooled;
    t.dispose();
    expect(stats(k).pooled).toBe(pooled);
    expect(k.isDisposed(t)).toBe(true);
    expect(() => t.toFloat64ArrayAsync()).toThrow(/was disposed/);
    expect(() => k.unary('neg', t)).toThrow(/was disposed/);
    expect(() => k.reshape(t, [2, 2])).toThrow(/was disposed/);
    scope(() => expect(() => k.addInto(k.full([4], 'float32', 0), t)).toThrow(/was disposed/));
  });

  it('reshapes share storage: the buffer goes back with the last of them', async () => {
    const k = await gpu();
    const x = k.fromValues(values(6), [2, 3], 'float32');
    const v = k.reshape(x, [3, 2]);
    const pooled = stats(k).pooled;
    x.dispose();
    expect(stats(k).pooled).toBe(pooled);
    expect(() => x.toFloat64ArrayAsync()).toThrow(/was disposed/);
    expect(await read(v)).toEqual(values(6));
    v.dispose();
    expect(stats(k).pooled).toBe(pooled + 1);
  });

  it('adopts a tensor made elsewhere around one of its storages when a kernel first uses it', async () => {
    const k = await gpu();
    const s = beginScope();
    const raw = new Tensor([5], 'float32', k.runtime.allocate(5), k);
    const filled = k.binary('add', k.full([5], 'float32', 1), k.full([5], 'float32', 2));
    k.copyInto(raw, filled);
    expect(await read(raw)).toEqual([3, 3, 3, 3, 3]);
    s.end();
    expect(k.isDisposed(raw)).toBe(true);
  });

  it('is a no-op on the CPU backend, and scopes track nothing there', () => {
    const t = cpu.fromValues([1, 2], [2], 'float32');
    t.dispose();
    t.dispose();
    expect([...t.toFloat64Array()]).toEqual([1, 2]);
    const inner = scope(() => cpu.full([2], 'float32', 7));
    const other = scope(() => {
      cpu.full([3], 'float32', 1);
      return 1;
    });
    expect(other).toBe(1);
    expect([...inner.toFloat64Array()]).toEqual([7, 7]);
  });
});

describe('webgpu scopes', () => {
  it('dispose what was made inside, except kept and returned tensors; older tensors survive', async () => {
    const k = await gpu();
    const outside = k.fromValues(values(3), [3], 'float32');
    let temp!: Tensor;
    let kept!: Tensor;
    let view!: Tensor;
    const before = stats(k);
    const returned = scope(() => {
      temp = k.binary('mul', outside, outside);
      kept = keep(k.scale(outside, 10));
      // A returned reshape keeps its storage while the tensor it was made from goes.
      view = k.reshape(k.scale(temp, 2), [1, 3]);
      return { view, list: [k.unary('neg', outside)] };
    });
    expect(k.isDisposed(temp)).toBe(true);
    expect(k.isDisposed(outside)).toBe(false);
    expect(await read(outside)).toEqual([1, 2, 3]);
    expect(await read(kept)).toEqual([10, 20, 30]);
    expect(await read(returned.view)).toEqual([2, 8, 18]);
    expect(await read(returned.list[0])).toEqual([-1, -2, -3]);
    // temp went back; kept, the view's storage and neg did not.
    expect(inUse(stats(k)) - inUse(before)).toBe(3);
    dispose([kept, returned]);
    outside.dispose();
    expect([kept, view, returned.list[0], outside].every((t) => k.isDisposed(t))).toBe(true);
  });

  it('nest: what an inner scope returns belongs to the outer one', async () => {
    const k = await gpu();
    let fromInner!: Tensor;
    const total = scope(() => {
      fromInner = scope(() => k.full([2], 'float32', 4));
      expect(k.isDisposed(fromInner)).toBe(false);
      return k.binary('add', fromInner, fromInner);
    });
    expect(k.isDisposed(fromInner)).toBe(true);
    expect(await read(total)).toEqual([8, 8]);
    total.dispose();
  });

  it('end when an async function settles, also when it throws', async () => {
    const k = await gpu();
    let made!: Tensor;
    const value = await scope(async () => {
      made = k.full([4], 'float32', 3);
      const v = await read(made);
      return v[0];
    });
    expect(value).toBe(3);
    expect(k.isDisposed(made)).toBe(true);
    let failed!: Tensor;
    await expect(scope(async () => {
      failed = k.full([4], 'float32', 3);
      await read(failed);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(k.isDisposed(failed)).toBe(true);
  });

  it('must nest: ending an outer scope while an inner one is open throws', async () => {
    const k = await gpu();
    const outer = beginScope();
    const inner = beginScope();
    const t = k.full([2], 'float32', 1);
    expect(() => outer.end()).toThrow(/must nest/);
    inner.end();
    expect(k.isDisposed(t)).toBe(true);
  });
});

describe('webgpu runtime', () => {
  it('caches bind groups: the same dispatches on the same buffers make none the second time', async () => {
    const k = await gpu();
    const a = k.fromValues(values(8), [8], 'float32');
    const b = k.fromValues(values(8, 5), [8], 'float32');
    const once = async (): Promise<number[]> => scope(async () => read(k.binary('add', k.scale(a, 2), b)));
    expect(await once()).toEqual(values(8).map((v, i) => 2 * v + 5 + i));
    const created = stats(k).bindGroupsCreated;
    expect(await once()).toEqual(values(8).map((v, i) => 2 * v + 5 + i));
    expect(stats(k).bindGroupsCreated).toBe(created);
    dispose([a, b]);
  });

  it('trim destroys the pooled buffers and drops their bind groups; everything still works after', async () => {
    const k = await gpu();
    const a = k.fromValues(values(8), [8], 'float32');
    expect(await scope(() => read(k.scale(a, 3)))).toEqual(values(8).map((v) => 3 * v));
    const before = stats(k);
    expect(before.pooled).toBeGreaterThan(0);
    k.runtime.trim();
    const after = stats(k);
    expect(after.pooled).toBe(0);
    expect(after.pooledBytes).toBe(0);
    expect(after.buffers).toBe(before.buffers - before.pooled);
    expect(after.bindGroups).toBeLessThan(before.bindGroups);
    expect(await scope(() => read(k.scale(a, 3)))).toEqual(values(8).map((v) => 3 * v));
    a.dispose();
  });
});

interface MemoryRun {
  /** runtime.stats() at every step boundary (after the previous step's scope ended). */
  atStep: GpuRuntimeStats[];
  /** Buffers in use (not pooled) at the last step boundary and after the run, beyond those in
   * use before the net was made. */
  inUseBetweenSteps: number;
  inUseAfter: number;
  loss: number | null;
}


async function trainOnGpu(
  k: WebGpuBackend, cell: CellKind, net: { numLayers: number; dropout?: number }, cfg: Partial<TrainConfig> & { steps: number },
): Promise<MemoryRun> {
  const task = createTask({ name: 'sine', T: 5, testSize: 8 });
  const base = inUse(stats(k));
  const rng = Rng.seeded(11);
  const model = RecurrentNet.create(
    { cell, inputSize: 1, hiddenSize: 4, numLayers: net.numLayers, outputSize: 1, dropout: net.dropout },
    rng.fork(0), { dtype: 'float32', backend: k },
  );
  const atStep: GpuRuntimeStats[] = [];
  const r = await train(model, task, {
    batchSize: 2, accumulation: 1, logEvery: 10, valSize: 4, optimizer: { name: 'adam', lr: 0.01 }, schedule: { name: 'constant' }, clip: { kind: 'none' },
    ...cfg,
  }, { data: rng.fork(1), dropout: rng.fork(2) }, {
    shouldStop: () => {
      atStep.push(stats(k));
      return false;
    },
  });
  expect(r.status).toBe('ok');
  expect(r.stepsRun).toBe(cfg.steps);
  // The parameters survive every step, and their last gradients survive the run.
  for (const p of model.params.values()) {
    expect(k.isDisposed(p)).toBe(false);
    expect(p.grad && !k.isDisposed(p.grad)).toBe(true);
  }
  expect((await model.param('head.bias').grad!.toFloat64ArrayAsync()).every(Number.isFinite)).toBe(true);
  const inUseAfter = inUse(stats(k)) - base;
  dispose([...model.params.values()].flatMap((p) => [p, p.grad]));
  expect(inUse(stats(k))).toBe(base);
  return { atStep, inUseBetweenSteps: inUse(atStep[atStep.length - 1]) - base, inUseAfter, loss: r.log[r.log.length - 1].loss };
}

/** Every step boundary from `from` on has the same device memory as the first of them. */
function expectConstantFrom(run: MemoryRun, from: number): void {
  const ref = run.atStep[from];
  run.atStep.slice(from).forEach((s, i) => expect(s, `runtime stats at step ${from + i}`).toEqual(ref));
}

describe('webgpu training memory', () => {
  it('an LSTM (B=2, T=5, I=1, H=4) trains 300 steps with constant device memory and no new bind groups after warm-up', async () => {
    const k = await gpu();
    const run = await trainOnGpu(k, 'lstm', { numLayers: 1 }, { steps: 300 });
    expect(run.atStep).toHaveLength(300);
    expect(Number.isFinite(run.loss)).toBe(true);
    // Warm-up: step 0 makes the optimizer's state in mid-step, and the first logged step after it
    // (step 10) is the first logged step to start from the steady pool.
    expectConstantFrom(run, 21);
    // In use between steps: the 6 parameters, Adam's m and v of each, the last step's gradients.
    expect(run.inUseBetweenSteps).toBe(6 + 2 * 6 + 6);
    // The run's end disposed the optimizer's state: only the parameters and their grads remain.
    expect(run.inUseAfter).toBe(12);
  }, 180_000);

  it('a 2-layer GRU with dropout, accumulation and norm clipping, and an rnn_tanh with value clipping and SGD, likewise', async () => {
    const k = await gpu();
    const gru = await trainOnGpu(k, 'gru', { numLayers: 2, dropout: 0.25 }, {
      steps: 60, accumulation: 2, batchSize: 4, clip: { kind: 'norm', maxNorm: 0.1 },
    });
    expectConstantFrom(gru, 21);
    expect(gru.inUseBetweenSteps).toBe(10 + 2 * 10 + 10);
    const rnn = await trainOnGpu(k, 'rnn_tanh', { numLayers: 1 }, {
      steps: 60, clip: { kind: 'value', clipValue: 0.01 }, optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 },
    });
    expectConstantFrom(rnn, 21);
    expect(rnn.inUseBetweenSteps).toBe(6 + 6 + 6);
  }, 180_000);
});

describe('webgpu memory across runs', () => {
  it('a finished run (runOne) leaves no device memory in use: its parameters and gradients go back to the pool', async () => {
    const k = await gpu();
    const def = tinyDefinition('memory-across-runs');
    def.steps = 3;
    const exp = resolveExperiment(def);
    const v = exp.variants[0];
    const task = prepareTasks(exp)(v.task);
    const before = inUse(stats(k));
    const first = await runOne(exp, v, task, 1, k);
    expect(first.status).toBe('ok');
    const afterOne = inUse(stats(k));
    await runOne(exp, v, task, 2, k);
    // Nothing a run made outlives it, so a second run leaves the count where the first did.
    expect(afterOne).toBe(before);
    expect(inUse(stats(k))).toBe(before);
  }, 120_000);
});
