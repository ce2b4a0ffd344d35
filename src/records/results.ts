/**
 * results.json, schema "gradlab.results/1" (these types are its documentation; docs/ARCHITECTURE.md
 * points here). Numbers that were NaN or Infinity are written as null, with the run's status
 * saying why.
 *
 * In the lowest layer (test/layering.test.ts): train, diagnostics, report and export use these
 * records without importing the experiment runner; src/experiment/results.ts re-exports them.
 */
import type { ProbeGate } from './probe.ts';

export const RESULTS_SCHEMA = 'gradlab.results/1';

export type Num = number | null;

export interface LogEntry {
  step: number;
  /** Training loss of this step's batch (before the update). */
  loss: Num;
  /** Loss on the validation subset, when evaluated at this step. */
  valLoss?: Num;
  /** The task's metrics on the validation subset at this step (when valLoss is). */
  valMetrics?: Record<string, Num>;
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: Num;
  clipped: boolean;
  /** What clipping multiplied the gradient by (1 when it did not fire); for value clipping, the
   * fraction of elements clamped. */
  clipFactor: number;
  lr: number;
  /** ||dL/dh_t|| per [layer][t], t = 1..T. */
  dLdh: Num[][];
  paramGradNorms: Record<string, Num>;
  /** Largest singular value of each layer's W_hh. */
  sigmaMaxWhh?: Num[];
  /** ||Δθ|| / ||θ|| of this step's update. */
  updateRatio?: Num;
  /** At a run's first and last step only (an extra forward and backward on the spec's ops, in
   * eval mode, on the same batch): per layer, ||dL/dc_t|| (LSTM) and each gate's pre-activation
   * gradient and saturation, t = 1..T, as `gradlab probe` reports them. */
  gates?: GateLog[];
}

export interface GateLog {
  dLdc: Num[] | null;
  gates: ProbeGate[];
}

/** How far back the gradient reaches, per layer, from a dL/dh_t profile. */
export interface GradientReach {
  /** Least-squares slope of log10 ||dL/dh_t|| against t (decades per timestep); > 0 means the
   * gradient shrinks going back in time. */
  decadesPerStep: Num;
  /** Timesteps back from T over which ||dL/dh_t|| stays above 1e-6 ||dL/dh_T||. */
  reach: number;
  /** ||dL/dh_1|| / ||dL/dh_T||. */
  firstToLast: Num;
}

export interface RunSummary {
  /** Per layer, at the first and the last logged step. */
  reachAtStart: GradientReach[];
  reachAtEnd: GradientReach[];
  /** Pascanu et al. 2013: gamma bounds |sigma'| (1 for tanh/relu; 1/4 for sigmoid gates). */
  pascanuGamma: number;
  /** sigma_max(W_hh) < 1/gamma at the end: vanishing is guaranteed (for vanilla RNNs). */
  vanishingGuaranteed: boolean[] | null;
}

/** 'interrupted': the experiment stopped (a signal, a crash) before this run finished; its log
 * holds what it logged, `stepsRun` how far it got, and `--resume` continues it. */
export type RunStatus = 'ok' | 'diverged' | 'failed' | 'interrupted';

export interface RunResult {
  variant: string;
  seed: number;
  status: RunStatus;
  error?: string;
  divergedAtStep?: number;
  /** Steps actually trained (fewer than configured after an early stop or divergence). */
  stepsRun: number;
  earlyStopped?: boolean;
  /** Every step's clipping when clipping is on: the factor the gradient was scaled by (norm
   * clipping; 1 = not clipped), or the fraction of gradient elements clamped (value clipping). */
  clipPerStep?: number[];
  durationMs: number;
  log: LogEntry[];
  metrics: Record<string, Num>;
  /** Standard error of each metric that is a mean over the test sequences (sd / sqrt(n) of the
   * per-sequence values; tasks/standardErrors.ts): what a verdict's margin is made of. */
  metricErrors?: Record<string, Num>;
  /** Sequences in the test set the metrics were measured on. */
  testSize?: number;
  summary: RunSummary | null;
}

export interface ResultsEnv {
  gradlab: string;
  node: string;
  backend: string;
  /** The accelerator's adapter, in words (WebGPU runs). */
  device?: string;
  platform: string;
  gitCommit: string | null;
  startedAt: string;
  durationMs: number;
  /** The command line that reproduces this file. */
  command: string;
}

export interface ResultBaseline {
  metric: string;
  value: number;
  note: string;
  /** The variants whose task has this baseline; absent: every variant's. */
  variants?: string[];
}

export interface Results {
  schema: typeof RESULTS_SCHEMA;
  experiment: string;
  description: string;
  /** The experiment as resolved: defaults filled in, --quick/--steps/--seeds applied. */
  config: unknown;
  /** Reference lines from the tasks, e.g. MSE 1/6 for the adding problem. Variants whose tasks
   * differ (another T) may have different ones: such an entry names the variants it is for. */
  baselines: ResultBaseline[];
  env: ResultsEnv;
  /** A shard's partial results: shard `index` of `count` (the runs whose index mod count is
   * index); `gradlab merge` combines the shards. Absent for a whole experiment. */
  shard?: { index: number; count: number };
  runs: RunResult[];
}
