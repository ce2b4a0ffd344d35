/**
 * `gradlab experiment vanishing --quick --backend webgpu` end to end (the real binary, on
 * SwiftShader in CI), against the same experiment on the CPU backend, and the CLI's refusals.
 *
 * Tolerance. Step 0 is one forward and backward pass with no update yet: both runs are float32,
 * each within GAIN · S · u of the exact values (of the largest value of their kind, as in
 * cells.parity.test.ts; S = (T + L)(I + H + 8)), so they differ by at most twice that.
 * After that, 30 Adam updates feed each run's rounding back into its weights; no useful
 * arithmetic bound survives that (Adam's m/sqrt(v) can even flip the sign of an update where a
 * gradient is near zero), so the later log entries and the final metrics are held to a
 * regression guard of 1e-3 relative, where the measured drift is about 1e-6.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { loadExperiment } from '../../src/experiment/registry.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import type { Results } from '../../src/experiment/results.ts';
import { prepareTasks, runExperiment } from '../../src/experiment/runner.ts';
import { webgpuBackend } from '../../src/backends/webgpu/index.ts';
import { gradlab } from '../helpers/cli.ts';
import { runMain } from '../helpers/inProcess.ts';
import { comparable, tempDir, TINY, writeDefinition } from '../helpers/durable.ts';
import { U32 } from './backends.ts';

const GAIN = 8;
const OUT = 'test-webgpu-vanishing';

const close = (a: number | null, b: number | null, tol: number): boolean => a !== null && b !== null && Math.abs(a - b) <= tol;

describe('gradlab experiment --backend webgpu', () => {
  // Every variant of the README's example, on one seed (a second seed runs the same kernels on
  // other numbers, and SwiftShader takes ~3.5 s per run).
  it('vanishing --quick --seeds 0 runs end to end and matches --backend cpu', async () => {
    const out = join(tempDir('gradlab-webgpu-'), 'vanishing');
    const r = gradlab(['experiment', 'vanishing', '--quick', '--seeds', '0', '--backend', 'webgpu', '--out', out], { timeoutMs: 400_000 });
    expect(r.status, r.stderr).toBe(0);
    const gpu = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(gpu.env.backend).toBe('webgpu');
    expect(gpu.env.device).toBeTypeOf('string');
    const exp = resolveExperiment(await loadExperiment('vanishing'), { quick: true, seeds: [0] });
    const ref = await runExperiment(exp, { backend: cpu });
    const taskOf = prepareTasks(exp);
    expect(gpu.runs.map((x) => [x.variant, x.seed, x.status])).toEqual(ref.runs.map((x) => [x.variant, x.seed, x.status]));
    gpu.runs.forEach((run, i) => {
      const want = ref.runs[i];
      const v = exp.variants.find((x) => x.name === run.variant)!;
      const T = want.log[0].dLdh[0].length;
      const S = (T + v.numLayers) * (taskOf(v.task).inputSize + v.hiddenSize + 8);
      const bound = 2 * GAIN * S * U32;
      const tag = `${run.variant} seed ${run.seed}`;
      expect(run.log.map((e) => e.step), tag).toEqual(want.log.map((e) => e.step));
      const [g0, w0] = [run.log[0], want.log[0]];
      expect(close(g0.loss, w0.loss, bound * Math.abs(w0.loss!)), `${tag} step 0 loss ${g0.loss} vs ${w0.loss}`).toBe(true);
      expect(close(g0.gradNorm, w0.gradNorm, bound * w0.gradNorm!), `${tag} step 0 gradNorm ${g0.gradNorm} vs ${w0.gradNorm}`).toBe(true);
      for (const [name, n] of Object.entries(w0.paramGradNorms)) {
        expect(close(g0.paramGradNorms[name], n, bound * w0.gradNorm!), `${tag} step 0 ||d ${name}||`).toBe(true);
      }
      w0.dLdh.forEach((layer, l) => {
        const scale = Math.max(...layer.map((x) => x ?? 0));
        layer.forEach((x, t) => expect(close(g0.dLdh[l][t], x, bound * scale), `${tag} step 0 dL/dh[${l}][${t}] ${g0.dLdh[l][t]} vs ${x}`).toBe(true));
      });
      (w0.sigmaMaxWhh ?? []).forEach((s, l) => expect(close(g0.sigmaMaxWhh![l], s, bound * s!), `${tag} sigma_max`).toBe(true));
      run.log.forEach((e, k) => expect(close(e.loss, want.log[k].loss, 1e-3 * Math.abs(want.log[k].loss!)), `${tag} loss at step ${e.step}`).toBe(true));
      for (const [name, m] of Object.entries(want.metrics)) {
        expect(close(run.metrics[name], m, 1e-3 * Math.abs(m!)), `${tag} metric ${name}: ${run.metrics[name]} vs ${m}`).toBe(true);
      }
    });
  }, 420_000);

  it('an interrupted run resumes on the device to the same bits as an uninterrupted one', async () => {
    // One run (the 2-layer GRU with dropout: its mask stream lives across the resume), 12 steps:
    // SwiftShader is slow.
    const def = writeDefinition({ ...TINY, name: 'durable-webgpu', steps: 12, seeds: [0], variants: [TINY.variants[1]] });
    const run = (out: string, extra: string[], env: Record<string, string> = {}) =>
      gradlab(['experiment', def, '--backend', 'webgpu', '--out', out, '--checkpoint-every', '2', ...extra], { env, timeoutMs: 200_000 });
    // The uninterrupted reference needs no process of its own.
    const ref = join(tempDir('gradlab-webgpu-'), 'ref');
    const uninterrupted = await runMain(['experiment', def, '--backend', 'webgpu', '--out', ref, '--checkpoint-every', '2']);
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    const out = join(tempDir('gradlab-webgpu-'), 'out');
    const killed = run(out, [], { GRADLAB_FAILPOINT: 'SIGTERM@run0.step5' });
    expect(killed.status, killed.stderr).toBe(143);
    const resumed = run(out, ['--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(comparable(out)).toBe(comparable(ref));
  }, 420_000);

  it('is deterministic: the same seed gives the same bits, run to run (fixed-order reductions, no atomics)', async () => {
    const full = resolveExperiment(await loadExperiment('vanishing'), { quick: true, steps: 6 });
    const exp = { ...full, variants: full.variants.filter((v) => v.cell === 'lstm' || v.cell === 'gru').slice(0, 2) };
    const backend = await webgpuBackend();
    const strip = (r: Awaited<ReturnType<typeof runExperiment>>) => r.runs.map(({ durationMs: _d, ...rest }) => rest);
    const a = strip(await runExperiment(exp, { backend }));
    const b = strip(await runExperiment(exp, { backend }));
    expect(a.every((r) => r.status === 'ok')).toBe(true);
    expect(b).toEqual(a);
  }, 300_000);

  it('gradlab grad --backend webgpu --dtype float32 equals the cpu float64 answer within the float32 bound', async () => {
    const c = {
      model: { cell: 'gru', inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 1 },
      x: [[[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], [[0.7, 0.1], [-0.2, 0.3], [0.4, -0.4]]],
      y: [[0.5], [-0.25]],
      loss: 'mse',
      params: {} as Record<string, number[][] | number[]>,
    };
    let z = 0;
    const w = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.fround(Math.sin(++z) * 0.5)));
    for (const l of [0, 1]) {
      c.params[`rnn.weight_ih_l${l}`] = w(9, l === 0 ? 2 : 3);
      c.params[`rnn.weight_hh_l${l}`] = w(9, 3);
      c.params[`rnn.bias_ih_l${l}`] = w(1, 9)[0];
      c.params[`rnn.bias_hh_l${l}`] = w(1, 9)[0];
    }
    c.params['head.weight'] = w(1, 3);
    c.params['head.bias'] = w(1, 1)[0];
    const input = JSON.stringify(c);
    const gpu = gradlab(['grad', '--case', '-', '--backend', 'webgpu', '--dtype', 'float32'], { input });
    // The cpu reference in this process (main() is what the binary runs), from a file.
    const caseFile = join(tempDir('gradlab-webgpu-'), 'case.json');
    writeFileSync(caseFile, input);
    const ref = await runMain(['grad', '--case', caseFile]);
    expect(gpu.status, gpu.stderr).toBe(0);
    expect(ref.code, ref.stderr).toBe(0);
    type Out = { loss: number; grads: Record<string, unknown>; dLdh: number[][] };
    const [g, r] = [JSON.parse(gpu.stdout) as Out, JSON.parse(ref.stdout) as Out];
    // S = (T + L)(I + H + 8) as in cells.parity.test.ts; values here are all below 1 in size.
    const bound = GAIN * (3 + 2) * (2 + 3 + 8) * U32;
    expect(Math.abs(g.loss - r.loss)).toBeLessThanOrEqual(bound * Math.abs(r.loss));
    const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
    const gradScale = Math.max(...Object.values(r.grads).flatMap(flat).map(Math.abs));
    for (const [name, v] of Object.entries(r.grads)) {
      flat(v).forEach((x, i) => expect(Math.abs(flat(g.grads[name])[i] - x), `${name}[${i}]`).toBeLessThanOrEqual(bound * gradScale));
    }
    flat(r.dLdh).forEach((x, i) => expect(Math.abs(flat(g.dLdh)[i] - x)).toBeLessThanOrEqual(bound * gradScale));
  });

  it('refuses float64, and --workers, with one line each and exit code 2', async () => {
    // main() in this process: refused before any device is asked for, and before the case is
    // read (a case file that is not there would be a different error).
    const f64 = await runMain(['grad', '--case', join(tempDir('gradlab-webgpu-'), 'not-there.json'), '--backend', 'webgpu', '--dtype', 'float64']);
    expect(f64.code).toBe(2);
    expect(f64.stderr.trim()).toBe('gradlab: --backend webgpu computes in float32 only: use --dtype float32, or --backend cpu for float64');
    const workers = await runMain(['experiment', 'vanishing', '--quick', '--backend', 'webgpu', '--workers', '2', '--out', `reports/${OUT}-w`]);
    expect(workers.code).toBe(2);
    expect(workers.stderr.trim().split('\n')).toHaveLength(1);
    expect(workers.stderr).toMatch(/--workers: the webgpu backend/);
  });

  it('no adapter: exit code 2 and a message that says how to get one (no native crash)', () => {
    const r = gradlab(['experiment', 'vanishing', '--quick', '--backend', 'webgpu', '--out', `reports/${OUT}-none`], {
      env: { VK_ICD_FILENAMES: '/nonexistent/icd.json' },
    });
    expect(r.status).toBe(2);
    // The Vulkan loader and Dawn log their own warnings first; ours is the last line.
    const last = r.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(/^gradlab: --backend webgpu: no WebGPU adapter found\. .*VK_ICD_FILENAMES=\/usr\/lib\/chromium\/vk_swiftshader_icd\.json/);
  });
});
