/**
 * The CPU backend instances (src/backends/cpu/index.ts): cpu-js runs its float32 products on the
 * JavaScript GEMM even where the wasm kernels are built, cpu-wasm on the wasm kernels, `cpu` (the
 * default) is cpu-wasm where the kernels loaded, and float64 takes the JavaScript GEMM on both.
 * Kernels that did not load leave cpuWasm null and make requireCpuWasm() throw the reason,
 * never a silent JavaScript backend under the cpu-wasm name.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import {
  cpu, cpuBackendNamed, cpuJs, cpuWasm, cpuWasmStatus, isCpuBackend, requireCpuWasm,
} from '../../src/backends/cpu/index.ts';
import { gemm } from '../../src/backends/cpu/gemm.ts';
import { loadWasmGemm, matmulWasm, type WasmGemm } from '../../src/backends/cpu/wasm.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import { runExperiment } from '../../src/experiment/runner.ts';
import { REPO } from '../helpers/cli.ts';
import { TINY } from '../helpers/durable.ts';

// A product long enough (k = 200) that summing in float32 (wasm) and in float64 rounded once
// (JavaScript) give different bits somewhere.
const m = 5, k = 200, n = 7;
const va = Array.from({ length: m * k }, (_, i) => Math.fround(Math.sin(i * 1.7) * 3));
const vb = Array.from({ length: k * n }, (_, i) => Math.fround(Math.cos(i * 0.9) / 7));

describe('cpu backend instances', () => {
  it('cpu-js has no wasm kernels; cpu-wasm has the loaded ones; cpu is cpu-wasm where they loaded', () => {
    expect([cpuJs.name, cpuJs.wasm, cpuJs.kernels]).toEqual(['cpu-js', null, 'javascript']);
    const w = requireCpuWasm();
    expect(w).toBe(cpuWasm);
    expect(w.name).toBe('cpu-wasm');
    expect(w.wasm).toBe(loadWasmGemm().gemm);
    expect(w.kernels).toBe(cpuWasmStatus);
    expect(cpuWasmStatus).toMatch(/^wasm (relaxed-)?simd$/);
    expect(cpu).toBe(w);
    expect([isCpuBackend(cpuJs), isCpuBackend(w)]).toEqual([true, true]);
    expect(cpuBackendNamed('cpu-js')).toBe(cpuJs);
    expect(cpuBackendNamed('cpu-wasm')).toBe(w);
    expect(() => cpuBackendNamed('cpu')).toThrow('no CPU backend is named "cpu" (cpu-js, cpu-wasm)');
  });

  it.each([[false, false], [true, false], [false, true], [true, true]])(
    'float32 matmul (transA=%s transB=%s): cpu-js is the JavaScript GEMM, cpu-wasm the wasm one, bit for bit', (tA, tB) => {
      const sa = tA ? [k, m] : [m, k];
      const sb = tB ? [n, k] : [k, n];
      const js = new Float32Array(m * n);
      gemm(Float32Array.from(va), Float32Array.from(vb), js, m, n, k, tA, tB, false);
      const wa = new Float32Array(m * n);
      matmulWasm(requireCpuWasm().wasm, Float32Array.from(va), Float32Array.from(vb), wa, m, n, k, tA, tB);
      expect(js).not.toEqual(wa); // so that the two checks below tell the kernels apart
      const got = (b: typeof cpuJs) => b.matmul(b.fromValues(va, sa, 'float32'), b.fromValues(vb, sb, 'float32'), tA, tB).data;
      expect(got(cpuJs)).toEqual(js);
      expect(got(requireCpuWasm())).toEqual(wa);
    });

  it('float64 takes the JavaScript GEMM on cpu-wasm too', () => {
    const js = new Float64Array(m * n);
    gemm(Float64Array.from(va), Float64Array.from(vb), js, m, n, k, false, false, false);
    for (const b of [cpuJs, requireCpuWasm()]) {
      expect(b.matmul(b.fromValues(va, [m, k], 'float64'), b.fromValues(vb, [k, n], 'float64'), false, false).data).toEqual(js);
    }
  });

  it('training on cpu-js never calls the wasm kernels; on cpu-wasm it does', async () => {
    const gm = requireCpuWasm().wasm;
    const methods = ['reserve', 'gemm', 'lstmStep', 'tanhRows', 'apply', 'lstmBackStep', 'tanhBackStep'] as const satisfies readonly (keyof WasmGemm)[];
    const spies = methods.map((name) => vi.spyOn(gm, name));
    const calls = (): number => spies.reduce((s, spy) => s + spy.mock.calls.length, 0);
    try {
      // Every cell, float32, one and two layers.
      const exp = resolveExperiment({
        ...TINY, name: 'cpu-js-no-wasm', steps: 4, logEvery: 2, seeds: [0],
        variants: [{ name: 'lstm' }, { name: 'gru', cell: 'gru', numLayers: 2 }, { name: 'tanh', cell: 'rnn_tanh' }, { name: 'relu', cell: 'rnn_relu' }],
      });
      await runExperiment(exp, { backend: cpuJs });
      expect(calls()).toBe(0);
      await runExperiment(exp, { backend: requireCpuWasm() });
      expect(calls()).toBeGreaterThan(0);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('without the kernels (GRADLAB_WASM=off) cpu is cpu-js and asking for cpu-wasm fails with the reason', () => {
    const code = `
      const b = await import('./src/backends/cpu/index.ts');
      let error = null;
      try { b.requireCpuWasm(); } catch (e) { error = e.message; }
      console.log(JSON.stringify({ cpu: b.cpu.name, kernels: b.cpu.kernels, cpuWasm: b.cpuWasm, error }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, GRADLAB_WASM: 'off' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      cpu: 'cpu-js', kernels: 'javascript', cpuWasm: null,
      error: 'the cpu-wasm backend is unavailable: disabled by GRADLAB_WASM=off',
    });
  });
});
