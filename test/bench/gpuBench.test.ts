import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatGpuTable, maxRelativeDifference, type GpuBenchReport } from '../../bench/gpuReport.ts';
import { MAX_PACK_BYTES, pack } from '../../bench/gpuPack.ts';
import { PYTHON } from '../helpers/python.ts';

describe('gpu bench report', () => {
  it('maxRelativeDifference: by hand, and never agreement for broken input', () => {
    // |1 - 1.5| / 1.5 = 1/3 beats |4 - 4.4| / 4.4 = 0.0909...
    expect(maxRelativeDifference([1, 4, 0], [1.5, 4.4, 0])).toBeCloseTo(1 / 3, 15);
    expect(maxRelativeDifference([2, -2], [2, -2])).toBe(0);
    expect(maxRelativeDifference([1, 2], [1])).toBe(Infinity);
    expect(maxRelativeDifference([1, NaN], [1, 1])).toBeNaN();
    expect(maxRelativeDifference([1, 1], [1, Infinity])).toBeNaN();
  });

  it('the table: one row per variant, the ratio to gradlab-webgpu, and a failed variant\'s reason', () => {
    const report: GpuBenchReport = {
      date: '2026-12-01T00:00:00Z', node: 'v20', cpu: 'x', loadBefore: 0.5, loadAfter: 0.75,
      shape: { name: 's', B: 256, T: 100, I: 32, H: 512 }, warmup: 3, steps: 10,
      about: { 'gradlab-webgpu': 'NVIDIA H200' },
      rows: [
        { cell: 'lstm', impl: 'gradlab-webgpu', ms: [40, 40], medianMs: 40, gflops: 4195, sigmaMaxMs: 2 },
        { cell: 'lstm', impl: 'torch-cuda', ms: [10], medianMs: 10, gflops: 16780 },
        { cell: 'lstm', impl: 'torch-cuda-unrolled', error: 'torch sees no GPU | really' },
      ],
      webgpuVsCpu: [{ cell: 'lstm', maxRelDiff: 2.5e-7 }],
    };
    const lines = formatGpuTable(report).split('\n');
    expect(lines).toContain('| lstm | gradlab-webgpu | 40.0 | 4195 | 1.00 | 2.0 |');
    expect(lines).toContain('| lstm | torch-cuda | 10.0 | 16780 | 0.25 |  |');
    // A '|' in a message would split the Markdown cell: escaped.
    expect(lines).toContain('| lstm | torch-cuda-unrolled | no number: torch sees no GPU \\| really | | | |');
    expect(lines).toContain('WebGPU vs CPU backend, lstm: the first step\'s ||dL/dh_t|| differ by at most 2.5e-7 (relative).');
    // 2 * 25600 * 2048 * (64 + 1536) = 167.77 GFLOP
    expect(lines.some((l) => l.includes('lstm: 167.8 GFLOP per step'))).toBe(true);
    expect(lines).toContain('- gradlab-webgpu: gradlab, WebGPU backend, probe read back every step (NVIDIA H200).');
  });
});

/**
 * The packed folder runs where the repository is not: copied under a temporary folder, with no
 * node_modules above it, started through its run.sh with a minimal environment. Here the WebGPU
 * adapter is SwiftShader (the CPU) and torch sees no GPU, so the shape is tiny and the torch row
 * must say why it has no number.
 */
describe('npm run bench:gpu:pack', () => {
  const work = mkdtempSync(join(tmpdir(), 'gradlab-gpupack-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('packs a folder under 64 MiB that runs the bench with its own Node, Dawn and kernels', async () => {
    const out = join(work, 'gpu-bench');
    const { bytes } = await pack(out);
    expect(bytes).toBeLessThan(MAX_PACK_BYTES);
    expect(readdirSync(work)).toEqual(['gpu-bench']); // no .part folder left beside it
    for (const f of ['run.sh', 'bin/node.gz', 'app/gpu-bench.mjs', 'app/node_modules/webgpu/dist/linux-x64/dawn.node.gz', 'lib/libvulkan.so.1']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const results = join(work, 'results');
    const r = spawnSync('sh', [join(out, 'run.sh'), results, '--shape', '2,4,3,5', '--cells', 'lstm', '--warmup', '1', '--steps', '2',
      '--impls', 'gradlab-webgpu,gradlab-cpu,torch-cuda', '--python', PYTHON], {
      cwd: work,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: work,
        VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json',
        XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
      },
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(existsSync(join(out, 'bin/node'))).toBe(true); // unpacked on first run, and used
    const report = JSON.parse(readFileSync(join(results, 'gpu-bench.json'), 'utf8')) as GpuBenchReport;
    const row = (impl: string) => report.rows.find((x) => x.impl === impl);
    expect(row('gradlab-webgpu')).toHaveProperty('medianMs');
    expect(row('gradlab-cpu')).toHaveProperty('medianMs');
    expect(report.about['gradlab-cpu']).toMatch(/^wasm /); // the packed kernels were found, not the JS fallback
    expect(row('torch-cuda')).toMatchObject({ error: expect.stringContaining('sees no GPU') });
    // Both backends took the same first step from the same weights: float32 forward and BPTT over
    // T = 4 steps with dot products of at most 8 terms (u = 2^-24 each), so the norms agree to
    // ~1e-6 relative; 1e-4 would still catch a backend computing a different step.
    expect(report.webgpuVsCpu).toHaveLength(1);
    expect(report.webgpuVsCpu[0].maxRelDiff).toBeLessThan(1e-4);
    expect(readFileSync(join(results, 'gpu-bench.md'), 'utf8')).toContain('| lstm | gradlab-cpu |');
  }, 180_000);
});
