/**
 * `gradlab experiment vanishing --quick --backend webgpu` end to end (the real binary, on
 * SwiftShader in CI), against the same experiment on the CPU backend, and the CLI's refusals.
 *
 * Tolerance. Step 0 is one forward and backward pass with no update yet: its loss, gradient
 * norms, dL/dh_t and sigma_max differ only by float32 rounding, bounded as in
 * cells.parity.test.ts by GAIN · S · u of the largest value of their kind, S = (T + L)(I + H + 8).
 * After that, 30 Adam updates feed each run's rounding back into its weights; no useful
 * arithmetic bound survives that (Adam's m/sqrt(v) can even flip the sign of an update where a
 * gradient is near zero), so the later log entries and the final metrics are held to a
 * regression guard of 1e-3 relative, where the measured drift is about 1e-6.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { loadExperiment } from '../../src/experiment/registry.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import type { Results } from '../../src/experiment/results.ts';
import { prepareTasks, runExperiment } from '../../src/experiment/runner.ts';
import { gradlab, REPO } from '../helpers/cli.ts';
import { U32 } from './backends.ts';

const GAIN = 8;
const OUT = 'test-webgpu-vanishing';

const close = (a: number | null, b: number | null, tol: number): boolean => a !== null && b !== null && Math.abs(a - b) <= tol;

describe('gradlab experiment --backend webgpu', () => {
  it('vanishing --quick runs end to end and matches --backend cpu', async () => {
    const r = gradlab(['experiment', 'vanishing', '--quick', '--backend', 'webgpu', '--out', `reports/${OUT}`], { timeoutMs: 400_000 });
    expect(r.status, r.stderr).toBe(0);
    const gpu = JSON.parse(readFileSync(join(REPO, 'reports', OUT, 'results.json'), 'utf8')) as Results;
    expect(gpu.env.backend).toBe('webgpu');
    expect(gpu.env.device).toBeTypeOf('string');
    const exp = resolveExperiment(await loadExperiment('vanishing'), { quick: true });
    const ref = await runExperiment(exp, { backend: cpu });
    const taskOf = prepareTasks(exp);
    expect(gpu.runs.map((x) => [x.variant, x.seed, x.status])).toEqual(ref.runs.map((x) => [x.variant, x.seed, x.status]));
    gpu.runs.forEach((run, i) => {
      const want = ref.runs[i];
      const v = exp.variants.find((x) => x.name === run.variant)!;
      const T = want.log[0].dLdh[0].length;
      const S = (T + v.numLayers) * (taskOf(v.task).inputSize + v.hiddenSize + 8);
      const bound = GAIN * S * U32;
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

  it('refuses float64, and --workers, with one line each and exit code 2', () => {
    const f64 = gradlab(['grad', '--case', '-', '--backend', 'webgpu', '--dtype', 'float64'], { input: '{}' });
    expect(f64.status).toBe(2);
    expect(f64.stderr.trim()).toBe('gradlab: --backend webgpu computes in float32 only: use --dtype float32, or --backend cpu for float64');
    const workers = gradlab(['experiment', 'vanishing', '--quick', '--backend', 'webgpu', '--workers', '2', '--out', `reports/${OUT}-w`]);
    expect(workers.status).toBe(2);
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
