/**
 * The benchmark's shapes, FLOP count, result types and table (pure functions, tested in
 * test/bench/benchReport.test.ts; the timing lives in bench/bench.ts).
 */

export type BenchCell = 'lstm' | 'rnn_tanh';

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

export const CELLS: readonly BenchCell[] = ['lstm', 'rnn_tanh'];

/** Gate blocks per cell: W_ih is [G*H, I], W_hh is [G*H, H]. */
export const gates = (cell: BenchCell): number => (cell === 'lstm' ? 4 : 1);

export const FLOP_FORMULA =
  'matmul FLOPs only (2 per multiply-add), N = B*T, G = 4 (lstm) or 1 (rnn_tanh): ' +
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
 * which the table shows the fastest. */
export const PEER_GROUPS = ['torch', 'tfjs-wasm', 'tfjs-cpu'] as const;
export type PeerGroup = (typeof PEER_GROUPS)[number];

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
  /** Every variant measured, by label (e.g. 'torch-1t', 'tfjs-wasm-loop'). */
  variants: Record<string, Timing>;
  /** The fastest variant per group, or the reason the group has no number. */
  groups: Record<PeerGroup, { medianMs: number; via: string } | { error: string }>;
  bestPeer: { group: PeerGroup; via: string; medianMs: number } | null;
  /** gradlab ms / best peer ms: below 1 means gradlab is faster; the target is <= 1/3. */
  ratio: number | null;
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
  schema: 'gradlab-bench/1';
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

/** Fill `groups`, `bestPeer` and `ratio` of a row from its variants (label prefix = group). */
export function summarizeRow(row: Omit<BenchRow, 'groups' | 'bestPeer' | 'ratio'>): BenchRow {
  const groups = {} as BenchRow['groups'];
  let bestPeer: BenchRow['bestPeer'] = null;
  for (const g of PEER_GROUPS) {
    const entries = Object.entries(row.variants).filter(([label]) => label === g || label.startsWith(`${g}-`));
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
  return { ...row, groups, bestPeer, ratio: ours !== null && bestPeer ? ours / bestPeer.medianMs : null };
}

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** The table as Markdown (printed on stdout and pasted into bench/NOTES.md). */
export function formatTable(rows: readonly BenchRow[]): string {
  const head = ['shape (B,T,I,H)', 'cell', 'gradlab ms', ...PEER_GROUPS.map((g) => `${g} ms`), 'best peer', 'gradlab / best', 'gradlab GFLOP/s'];
  const lines = rows.map((r) => [
    `${r.shape} (${r.B},${r.T},${r.I},${r.H})`,
    r.cell,
    'medianMs' in r.gradlab ? fmtMs(r.gradlab.medianMs) : 'failed',
    ...PEER_GROUPS.map((g) => {
      const x = r.groups[g];
      return 'medianMs' in x ? `${fmtMs(x.medianMs)} (${x.via.slice(g.length + 1) || g})` : 'n/a';
    }),
    r.bestPeer ? r.bestPeer.via : 'none',
    r.ratio !== null ? `${r.ratio.toFixed(2)}x` : 'n/a',
    r.gradlabGflops !== null ? r.gradlabGflops.toFixed(2) : 'n/a',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [row(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}
