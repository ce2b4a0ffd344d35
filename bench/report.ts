/**
 * The benchmark's shapes, FLOP count, result types and table (pure functions, tested in
 * test/bench/benchReport.test.ts; the timing lives in bench/bench.ts).
 */

export type BenchCell = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';

export interface BenchShape {
  name: string;
  B: number;
  T: number;
  I: number;
  H: number;
}

/** The shapes of issue 6, (B, T, I, H). */
export const SHAPES: readonly BenchShape[] = [
  { name: 'small', B: 32, T: 100, I: 1, H: 64 },
  { name: 'wide', B: 32, T: 100, I: 32, H: 128 },
  { name: 'long', B: 16, T: 400, I: 1, H: 32 },
];

/** Every cell `--cells` accepts (gradlab's names, src/cells/table.ts). */
export const BENCH_CELLS: readonly BenchCell[] = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'];

/** The cells benched by default. rnn_relu is left out: it runs the same matmuls as rnn_tanh
 * (only the pointwise activation differs) and would add ~1/4 to a full run of 10+ minutes. */
export const CELLS: readonly BenchCell[] = ['lstm', 'gru', 'rnn_tanh'];

/** Gate blocks per cell: W_ih is [G*H, I], W_hh is [G*H, H]. */
export const gates = (cell: BenchCell): number => (cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1);

export const FLOP_FORMULA =
  'matmul FLOPs only (2 per multiply-add), N = B*T, G = 4 (lstm), 3 (gru) or 1 (rnn_tanh, rnn_relu): ' +
  'forward X W_ih^T + H W_hh^T = 2*N*G*H*(I+H); backward dW_ih = 2*N*G*H*I, dW_hh = 2*N*G*H*H, ' +
  'dh via W_hh = 2*N*G*H*H (no dx: the input needs no gradient); total 2*N*G*H*(2*I + 3*H). ' +
  'The head (O(B*H)), the pointwise gate math, the probe and Adam are not counted.';

/**
 * FLOPs of one training step by FLOP_FORMULA: 2 * B*T * G*H * (2*I + 3*H).
 * small lstm: 2*3200*256*194 = 317.8 MFLOP; wide lstm: 2*3200*512*448 = 1468 MFLOP.
 */
export function flopsPerStep(s: Pick<BenchShape, 'B' | 'T' | 'I' | 'H'>, cell: BenchCell): number {
  return 2 * s.B * s.T * gates(cell) * s.H * (2 * s.I + 3 * s.H);
}

/** Achieved GFLOP/s at `ms` per step. */
export const gflops = (flops: number, ms: number): number => flops / (ms * 1e6);

/** The peer groups of the table; each may have several variants (threads, implementations), of
 * which the table shows the fastest. A variant belongs to the longest group its label starts
 * with: 'torch-1t' is torch (the stock nn.LSTM/nn.GRU/nn.RNN module), 'torch-unrolled-1t' is
 * torch-unrolled (a *Cell looped in Python with retain_grad on every h_t and the per-timestep
 * norms: what a torch user writes to get gradlab's probe). */
export const PEER_GROUPS = ['torch', 'torch-unrolled', 'tfjs-wasm', 'tfjs-cpu'] as const;
export type PeerGroup = (typeof PEER_GROUPS)[number];
/** The torch groups, for "gradlab / best torch". */
export const TORCH_GROUPS: readonly PeerGroup[] = ['torch', 'torch-unrolled'];
/** The variant label of the OpenBLAS single-thread floor (bench/blasFloor.py): not a peer. */
export const FLOOR_LABEL = 'blas-floor';
/** gradlab's own second variant: its products on 2 threads (--threads 2). */
export const GRADLAB_2T = 'gradlab-2t';

/** The group a variant label belongs to: the longest matching prefix, or null. */
export function groupOf(label: string): PeerGroup | null {
  let best: PeerGroup | null = null;
  for (const g of PEER_GROUPS) {
    if ((label === g || label.startsWith(`${g}-`)) && (!best || g.length > best.length)) best = g;
  }
  return best;
}

/** One measured variant: median ms over `n` timed steps, or why there is no number. */
export type Timing = { medianMs: number; n: number; ms: number[] } | { error: string };

export interface BenchRow {
  shape: string;
  B: number;
  T: number;
  I: number;
  H: number;
  cell: BenchCell;
  flops: number;
  gradlab: Timing;
  gradlabGflops: number | null;
  /** gradlab with its products split over 2 threads (`--threads 2`), when measured. */
  gradlab2t?: Timing;
  /** Every variant measured, by label (e.g. 'torch-1t', 'torch-unrolled-2t', 'tfjs-wasm-loop'). */
  variants: Record<string, Timing>;
  /** The GEMMs alone of one step of this shape and cell, numpy float32 on one OpenBLAS thread
   * (bench/blasFloor.py); `overheadMs` estimates the Python call overhead inside medianMs. Absent
   * when not measured. */
  blasFloor?: Timing & { overheadMs?: number };
  /** The fastest variant per group, or the reason the group has no number. */
  groups: Record<PeerGroup, { medianMs: number; via: string } | { error: string }>;
  bestPeer: { group: PeerGroup; via: string; medianMs: number } | null;
  /** gradlab ms / best peer ms: below 1 means gradlab is faster; the issue's target is <= 1/3. */
  ratio: number | null;
  /** gradlab ms / the fastest torch variant (module or unrolled, 1 or 2 threads). */
  torchRatio: number | null;
  /** gradlab ms / the BLAS floor ms: how far gradlab's whole step is from its GEMMs alone. */
  floorRatio: number | null;
}

export interface WorkersResult {
  command: string;
  /** Wall-clock ms of each run, in the order they ran (alternated). */
  w1Ms: number[];
  w2Ms: number[];
  /** median(w1) / median(w2): the throughput of --workers 2 relative to --workers 1. */
  speedup: number | null;
  /** Whether the runs' results (durations aside) were the same for 1 and 2 workers. */
  identical: boolean | null;
  error?: string;
}

export interface BenchReport {
  schema: 'gradlab-bench/2';
  startedAt: string;
  command: string;
  machine: { cpus: number; cpuModel: string; node: string; platform: string; loadAvgBefore: number[]; loadAvgAfter: number[] };
  /** Which float32 kernels gradlab ran: 'wasm relaxed-simd', 'wasm simd', or why the JavaScript ones. */
  gradlabKernels?: string;
  settings: { quick: boolean; warmup: number; rounds: number; perRound: number; roundBudgetMs: number; variantBudgetMs: number };
  flopFormula: string;
  peers: Record<string, { available: boolean; info?: Record<string, unknown>; error?: string }>;
  rows: BenchRow[];
  workers: WorkersResult | null;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Fill `groups`, `bestPeer` and the ratios of a row from its variants (label prefix = group). */
export function summarizeRow(row: Omit<BenchRow, 'groups' | 'bestPeer' | 'ratio' | 'torchRatio' | 'floorRatio'>): BenchRow {
  const groups = {} as BenchRow['groups'];
  let bestPeer: BenchRow['bestPeer'] = null;
  for (const g of PEER_GROUPS) {
    const entries = Object.entries(row.variants).filter(([label]) => groupOf(label) === g);
    const timed = entries.filter((e): e is [string, { medianMs: number; n: number; ms: number[] }] => 'medianMs' in e[1]);
    if (timed.length === 0) {
      const err = entries.map(([label, t]) => ('error' in t ? `${label}: ${t.error}` : '')).filter(Boolean).join('; ');
      groups[g] = { error: err || 'not run' };
      continue;
    }
    const [via, t] = timed.reduce((a, b) => (b[1].medianMs < a[1].medianMs ? b : a));
    groups[g] = { medianMs: t.medianMs, via };
    if (!bestPeer || t.medianMs < bestPeer.medianMs) bestPeer = { group: g, via, medianMs: t.medianMs };
  }
  const ours = 'medianMs' in row.gradlab ? row.gradlab.medianMs : null;
  const torchMs = TORCH_GROUPS.map((g) => groups[g]).flatMap((x) => ('medianMs' in x ? [x.medianMs] : []));
  const floorMs = row.blasFloor && 'medianMs' in row.blasFloor ? row.blasFloor.medianMs : null;
  return {
    ...row, groups, bestPeer,
    ratio: ours !== null && bestPeer ? ours / bestPeer.medianMs : null,
    torchRatio: ours !== null && torchMs.length ? ours / Math.min(...torchMs) : null,
    floorRatio: ours !== null && floorMs !== null ? ours / floorMs : null,
  };
}

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtRatio = (x: number | null): string => (x !== null ? `${x.toFixed(2)}x` : 'n/a');
const GROUP_TITLES: Record<PeerGroup, string> = {
  torch: 'torch module', 'torch-unrolled': 'torch unrolled', 'tfjs-wasm': 'tfjs-wasm', 'tfjs-cpu': 'tfjs-cpu',
};

/** The table as Markdown (printed on stdout and pasted into bench/NOTES.md). A group's cell shows
 * its fastest variant's median and which (1t/2t, loop/layers); '—' where the group did not run
 * (e.g. tfjs-cpu in --quick), 'failed' where all its variants failed. */
export function formatTable(rows: readonly BenchRow[]): string {
  const head = [
    'shape (B,T,I,H)', 'cell', 'gradlab ms', 'gradlab 2 threads ms', ...PEER_GROUPS.map((g) => `${GROUP_TITLES[g]} ms`),
    'gradlab / best torch', 'gradlab / best peer', 'BLAS floor ms (GFLOP/s)', 'gradlab / floor', 'gradlab GFLOP/s',
  ];
  const lines = rows.map((r) => [
    `${r.shape} (${r.B},${r.T},${r.I},${r.H})`,
    r.cell,
    'medianMs' in r.gradlab ? fmtMs(r.gradlab.medianMs) : 'failed',
    !r.gradlab2t ? '—' : 'medianMs' in r.gradlab2t
      ? `${fmtMs(r.gradlab2t.medianMs)}${'medianMs' in r.gradlab ? ` (${(r.gradlab.medianMs / r.gradlab2t.medianMs).toFixed(2)}x)` : ''}` : 'failed',
    ...PEER_GROUPS.map((g) => {
      const x = r.groups[g];
      if ('medianMs' in x) return `${fmtMs(x.medianMs)} (${x.via.slice(g.length + 1) || g})`;
      return x.error === 'not run' ? '—' : 'failed';
    }),
    fmtRatio(r.torchRatio),
    fmtRatio(r.ratio),
    !r.blasFloor ? '—' : 'medianMs' in r.blasFloor
      ? `${fmtMs(r.blasFloor.medianMs)} (${gflops(r.flops, r.blasFloor.medianMs).toFixed(1)})` : 'failed',
    fmtRatio(r.floorRatio),
    r.gradlabGflops !== null ? r.gradlabGflops.toFixed(2) : 'n/a',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [row(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}
