/**
 * The GPU benchmark's result types and table (pure functions, tested in
 * test/bench/gpuReport.test.ts; the timing lives in bench/gpuBench.ts).
 */
import { FLOP_FORMULA, flopsPerStep, type BenchCell, type BenchShape } from './report.ts';

export const GPU_IMPLS = ['gradlab-webgpu', 'gradlab-cpu', 'torch-cuda', 'torch-cuda-unrolled'] as const;
export type GpuImpl = (typeof GPU_IMPLS)[number];

/** What each implementation is, for the table's notes. */
const IMPL_NOTES: Record<GpuImpl, string> = {
  'gradlab-webgpu': 'gradlab, WebGPU backend, probe read back every step',
  'gradlab-cpu': 'gradlab, CPU backend (wasm SIMD), probe every step',
  'torch-cuda': 'torch nn.LSTM / nn.GRU on the GPU (cuDNN); no per-timestep gradients',
  'torch-cuda-unrolled': 'torch nn.*Cell looped over T with retain_grad on every h_t and the same norms',
};

export type GpuRow =
  | {
    cell: BenchCell;
    impl: GpuImpl;
    ms: number[];
    medianMs: number;
    gflops: number;
    /** gradlab only: median ms of σ_max(W_hh) (200 power-iteration rounds) with its read-back. */
    sigmaMaxMs?: number;
    /** gradlab only: the first step's ||dL/dh_t||, t = 1..T (the WebGPU-vs-CPU check). */
    firstStepNorms?: number[];
  }
  | { cell: BenchCell; impl: GpuImpl; error: string };

export interface GpuBenchReport {
  date: string;
  node: string;
  cpu: string;
  loadBefore: number;
  loadAfter: number | null;
  shape: BenchShape;
  warmup: number;
  steps: number;
  /** Per implementation: the adapter, the kernels and threads, or torch's version and GPU. */
  about: Partial<Record<GpuImpl, string>>;
  rows: GpuRow[];
  /** Per cell: the largest relative difference between the two gradlab backends' first-step norms. */
  webgpuVsCpu: { cell: BenchCell; maxRelDiff: number }[];
}

/**
 * max_t |a_t - b_t| / max(|a_t|, |b_t|) (0 where both are 0); Infinity when the lengths differ
 * and NaN when either has a non-finite value, so a broken backend never reads as agreement.
 */
export function maxRelativeDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) return NaN;
    const scale = Math.max(Math.abs(a[i]), Math.abs(b[i]));
    if (scale > 0) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  }
  return worst;
}

const fixed = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** The report as Markdown: one table row per cell and implementation, then what each is. */
export function formatGpuTable(r: GpuBenchReport): string {
  const s = r.shape;
  const lines = [
    `B=${s.B}, T=${s.T}, I=${s.I}, H=${s.H}; ${r.warmup} warm-up and up to ${r.steps} timed steps; median ms per training step.`,
    '',
    '| cell | implementation | ms / step | GFLOP/s | x gradlab-webgpu | σ_max(W_hh) ms |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const row of r.rows) {
    if ('error' in row) {
      lines.push(`| ${row.cell} | ${row.impl} | no number: ${row.error.replace(/\|/g, '\\|')} | | | |`);
      continue;
    }
    const ref = r.rows.find((x) => x.cell === row.cell && x.impl === 'gradlab-webgpu');
    const ratio = ref && 'medianMs' in ref ? fixed(row.medianMs / ref.medianMs, 2) : '';
    lines.push(`| ${row.cell} | ${row.impl} | ${fixed(row.medianMs, 1)} | ${fixed(row.gflops, 0)} | ${ratio} | ${row.sigmaMaxMs === undefined ? '' : fixed(row.sigmaMaxMs, 1)} |`);
  }
  lines.push('');
  for (const c of r.webgpuVsCpu) {
    lines.push(`WebGPU vs CPU backend, ${c.cell}: the first step's ||dL/dh_t|| differ by at most ${c.maxRelDiff.toExponential(1)} (relative).`);
  }
  lines.push(
    `GFLOP/s counts ${FLOP_FORMULA} (lstm: ${(flopsPerStep(s, 'lstm') / 1e9).toFixed(1)} GFLOP per step at this shape).`,
    `Load average ${fixed(r.loadBefore, 2)} before, ${r.loadAfter === null ? '?' : fixed(r.loadAfter, 2)} after; Node ${r.node}; ${r.cpu}.`,
  );
  for (const impl of Object.keys(IMPL_NOTES) as GpuImpl[]) {
    if (r.rows.some((x) => x.impl === impl)) lines.push(`- ${impl}: ${IMPL_NOTES[impl]}${r.about[impl] ? ` (${r.about[impl]})` : ''}.`);
  }
  return lines.join('\n');
}
