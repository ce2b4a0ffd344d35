import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { journalPath, readRun, RunJournal } from '../../src/experiment/runFiles.ts';
import type { LogEntry } from '../../src/experiment/results.ts';
import { RecurrentNet } from '../../src/nn/recurrentNet.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { captureCheckpoint, restoreCheckpoint } from '../../src/train/checkpoint.ts';
import { createOptimizer } from '../../src/train/optimizers.ts';
import { tempDir } from '../helpers/durable.ts';
import { fcParams } from '../helpers/fc.ts';

const entry = (step: number): LogEntry => ({
  step, loss: 0.5 / (step + 1), gradNorm: null, clipped: false, clipFactor: 1, lr: 1e-3, dLdh: [[1e-30, 2.5]], paramGradNorms: { w: 3 },
});

describe('what a resume rests on', () => {
  it('a generator restored from its saved state continues the same stream, the Box-Muller spare included', () => {
    fc.assert(fc.property(fc.nat({ max: 2 ** 40 }), fc.nat({ max: 50 }), fc.boolean(), (seed, skip, oddNormals) => {
      const a = Rng.seeded(seed).fork(3);
      for (let i = 0; i < skip; i++) a.uniform();
      if (oddNormals) a.normal(); // leaves a spare normal behind
      const b = Rng.fromState(JSON.parse(JSON.stringify(a.saveState())));
      const draw = (r: Rng) => [r.normal(), r.uniform(), r.int(1000), r.normal(), r.fork(1).uniform()];
      expect(draw(b)).toEqual(draw(a));
    }), fcParams(50));
  });

  it('a checkpoint restores parameters and optimizer state bit for bit (float32 and float64)', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const make = () => RecurrentNet.create({ cell: 'lstm', inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 1 }, Rng.seeded(7), { dtype, backend: cpu });
      const net = make();
      const params = [...net.params.values()];
      const opt = createOptimizer(params, { name: 'adam', lr: 0.1 });
      // Give every parameter but the last a gradient and two Adam steps: lazy state included.
      params.slice(0, -1).forEach((p, i) => (p.grad = cpu.full(p.shape, dtype, 0.1 * (i + 1) + 1e-40)));
      opt.step(0.1);
      opt.step(0.05);
      const c = JSON.parse(JSON.stringify(await captureCheckpoint(net, opt, {
        step: 2, logCount: 1, elapsedMs: 5, clipPerStep: [1, 0.5], rngs: { data: Rng.seeded(1), dropout: Rng.seeded(2) },
      })));
      const fresh = make();
      const opt2 = createOptimizer([...fresh.params.values()], { name: 'adam', lr: 0.1 });
      restoreCheckpoint(fresh, opt2, c);
      for (const [name, p] of net.params) expect([...fresh.param(name).data], name).toEqual([...p.data]);
      const s1 = opt.state();
      const s2 = opt2.state();
      expect(s2.map((s) => s?.steps ?? null)).toEqual(s1.map((s) => s?.steps ?? null));
      expect(s2[s2.length - 1]).toBeNull();
      s1.forEach((s, i) => s?.buffers.forEach((b, j) => expect([...s2[i]!.buffers[j].data]).toEqual([...b.data])));
    }
  });

  it('a checkpoint made for another model is refused, naming what does not fit', async () => {
    const net = RecurrentNet.create({ cell: 'gru', inputSize: 1, hiddenSize: 2, numLayers: 1, outputSize: 1 }, Rng.seeded(0), { dtype: 'float32', backend: cpu });
    const c = await captureCheckpoint(net, createOptimizer([...net.params.values()], { name: 'adam' }), {
      step: 0, logCount: 0, elapsedMs: 0, clipPerStep: [], rngs: { data: Rng.seeded(1), dropout: Rng.seeded(2) },
    });
    const wider = RecurrentNet.create({ cell: 'gru', inputSize: 1, hiddenSize: 3, numLayers: 1, outputSize: 1 }, Rng.seeded(0), { dtype: 'float32', backend: cpu });
    expect(() => restoreCheckpoint(wider, createOptimizer([...wider.params.values()], { name: 'adam' }), c)).toThrow(/params\["rnn\.weight_ih_l0"\] is float32 \[6, 1\]; the model's is float32 \[9, 1\]/);
  });

  it('a journal reads to its last whole line: a torn line (a kill mid-write) and anything after it are ignored', () => {
    const dir = tempDir('gradlab-journal-');
    const j = RunJournal.open(dir, { index: 3, variant: 'v', seed: 9 });
    j.log(entry(0));
    j.log(entry(4));
    const whole = readFileSync(journalPath(dir, 3), 'utf8');
    appendFileSync(journalPath(dir, 3), JSON.stringify({ kind: 'log', ...entry(8) }).slice(0, 40));
    const rec = readRun(dir, 3);
    expect(rec.identity).toEqual({ index: 3, variant: 'v', seed: 9 });
    expect(rec.log).toEqual([entry(0), entry(4)]);
    expect(rec.end).toBeNull();
    // Reopening to resume keeps exactly the lines a checkpoint covers.
    RunJournal.open(dir, { index: 3, variant: 'v', seed: 9 }, [entry(0)]);
    expect(readRun(dir, 3).log).toEqual([entry(0)]);
    writeFileSync(join(dir, 'runs', 'run-0003.checkpoint.json'), '{"trunc');
    expect(readRun(dir, 3).checkpoint).toBeNull();
    expect(whole.split('\n').filter(Boolean)).toHaveLength(3);
  });
});
