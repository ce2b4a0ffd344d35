import { gradientReach } from '../../src/diagnostics/gradientReach.ts';
import type { GateLog, LogEntry, Num, Results, RunResult } from '../../src/experiment/results.ts';
import { RESULTS_SCHEMA } from '../../src/experiment/results.ts';

/** Synthetic results.json objects for the report tests (no training involved). */

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticVariant {
  name: string;
  description: string;
  cell: 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';
  numLayers?: number;
  clip?: { kind: 'none' } | { kind: 'norm'; maxNorm: number };
  /** Decades lost per timestep going back, at the start and at the end of training. */
  decay: [number, number];
  /** Final loss level (the loss decays from ~0.5 toward it). */
  finalLoss: number;
  gamma?: number;
  sigma: [number, number];
  /** Seed -> step at which the run diverges. */
  divergeAt?: Record<number, number>;
  gradScale?: number;
}

function profile(T: number, decay: number, scale: number, noise: () => number): number[] {
  const out: number[] = [];
  for (let t = 1; t <= T; t++) out.push(scale * 10 ** (-decay * (T - t) + 0.15 * (noise() - 0.5)));
  return out;
}

/** Torch's tensors of an L-layer net with a head, each with a share of the global norm. */
function paramNorms(L: number, gradNorm: number, diverged: boolean, rand: () => number): Record<string, Num> {
  const out: Record<string, Num> = {};
  const share: Record<string, number> = { weight_ih: 0.3, weight_hh: 0.5, bias_ih: 0.05, bias_hh: 0.05 };
  for (let l = 0; l < L; l++) {
    for (const [k, f] of Object.entries(share)) out[`rnn.${k}_l${l}`] = diverged ? null : gradNorm * f * 0.5 ** l * (1 + 0.2 * rand());
  }
  out['head.weight'] = diverged ? null : gradNorm * 0.4 * (1 + 0.2 * rand());
  out['head.bias'] = diverged ? null : gradNorm * 0.02 * (1 + 0.2 * rand());
  return out;
}

const GATES: Record<SyntheticVariant['cell'], [string, 'sigmoid' | 'tanh' | 'relu'][]> = {
  lstm: [['i', 'sigmoid'], ['f', 'sigmoid'], ['g', 'tanh'], ['o', 'sigmoid']],
  gru: [['r', 'sigmoid'], ['z', 'sigmoid'], ['n', 'tanh']],
  rnn_tanh: [['h', 'tanh']],
  rnn_relu: [['h', 'relu']],
};

/** LogEntry.gates as the trainer records it at a run's first and last step (deterministic, no
 * draw from the run's generator): p = 0 at the start, 1 at the end. A forget (or update) gate
 * saturates more and more at the top, which keeps dL/dc_t flat. */
export function syntheticGates(cell: SyntheticVariant['cell'], L: number, T: number, decay: number, scale: number, p: number, seed: number): GateLog[] {
  return Array.from({ length: L }, (_, l) => ({
    dLdc: cell === 'lstm' ? Array.from({ length: T }, (_, i) => scale * 2 * 10 ** (-decay * 0.3 * (T - 1 - i))) : null,
    gates: GATES[cell].map(([name, activation], g) => {
      const keeps = name === 'f' || name === 'z';
      const saturation = Array.from({ length: T }, (_, i) =>
        Math.min(1, Math.max(0, (keeps ? 0.1 + 0.6 * p : 0.05 + 0.1 * g) + 0.05 * Math.sin(i / 3 + seed + l))));
      return {
        name, activation,
        gradNorm: Array.from({ length: T }, (_, i) => scale * (0.2 + 0.3 * g) * 10 ** (-decay * (1 + 0.2 * g) * (T - 1 - i))),
        saturation,
        saturationHigh: saturation.map((s) => (activation === 'relu' ? 0 : keeps ? 0.9 * s : s / 2)),
      };
    }),
  }));
}

export function syntheticResults(opts: {
  experiment: string;
  description: string;
  notes?: string | null;
  T: number;
  steps: number;
  logEvery: number;
  seeds: number[];
  variants: SyntheticVariant[];
  startedAt?: string;
  quick?: boolean;
  /** Record LogEntry.gates at each run's step 0 and last step (not at a diverged step). */
  gates?: boolean;
}): Results {
  const { T, steps, logEvery, seeds } = opts;
  const runs: RunResult[] = [];
  for (const v of opts.variants) {
    const L = v.numLayers ?? 1;
    for (const seed of seeds) {
      const rand = rng(seed * 1000 + v.name.length);
      const divergeAt = v.divergeAt?.[seed];
      const log: LogEntry[] = [];
      let stepsRun = steps;
      for (let step = 0; step <= steps; step += logEvery) {
        const p = step / steps;
        const diverged = divergeAt !== undefined && step >= divergeAt;
        const decay = v.decay[0] + (v.decay[1] - v.decay[0]) * p;
        const gradScale = (v.gradScale ?? 0.05) * (1 + 0.3 * rand());
        const loss = v.finalLoss + (0.5 - v.finalLoss) * Math.exp(-4 * p) * (1 + 0.1 * (rand() - 0.5));
        const gradNorm = gradScale * 20 * (1 + rand());
        const maxNorm = v.clip?.kind === 'norm' ? v.clip.maxNorm : Infinity;
        const dLdh: Num[][] = [];
        for (let l = 0; l < L; l++) {
          const prof = profile(T, decay * (1 + 0.25 * (L - 1 - l)), gradScale, rand);
          dLdh.push(diverged ? prof.map(() => null) : prof);
        }
        const sigma = v.sigma[0] + (v.sigma[1] - v.sigma[0]) * p + 0.02 * (rand() - 0.5);
        log.push({
          step,
          loss: diverged ? null : loss,
          valLoss: step % (logEvery * 2) === 0 ? (diverged ? null : loss * 1.05) : undefined,
          gradNorm: diverged ? null : gradNorm,
          clipped: !diverged && gradNorm > maxNorm,
          clipFactor: !diverged && gradNorm > maxNorm ? maxNorm / gradNorm : 1,
          lr: 1e-3,
          dLdh,
          paramGradNorms: paramNorms(L, gradNorm, diverged, rand),
          sigmaMaxWhh: Array.from({ length: L }, (_, l) => (diverged ? null : sigma + 0.1 * l)),
          updateRatio: diverged ? null : 3e-3 * Math.exp(-2 * p) * (1 + 0.3 * rand()),
          ...(opts.gates && !diverged && (step === 0 || step + logEvery > steps) ? { gates: syntheticGates(v.cell, L, T, decay, v.gradScale ?? 0.05, p, seed) } : {}),
        });
        if (diverged) {
          stepsRun = step;
          break;
        }
      }
      for (const e of log) if (e.valLoss === undefined) delete e.valLoss;
      const valid = log.filter((e) => e.dLdh[0].every((x) => x !== null));
      const first = valid[0];
      const last = valid[valid.length - 1];
      const diverged = divergeAt !== undefined;
      const finalLoss = last.loss as number;
      runs.push({
        variant: v.name,
        seed,
        status: diverged ? 'diverged' : 'ok',
        ...(diverged ? { divergedAtStep: divergeAt } : {}),
        stepsRun,
        durationMs: 1000 + 10 * seed,
        log,
        metrics: diverged ? { loss: null, mse: null } : { loss: finalLoss * 1.02, mse: finalLoss * 1.02 },
        summary: {
          reachAtStart: first.dLdh.map((row) => gradientReach(row)),
          reachAtEnd: last.dLdh.map((row) => gradientReach(row)),
          pascanuGamma: v.gamma ?? 1,
          vanishingGuaranteed: v.cell.startsWith('rnn') ? last.sigmaMaxWhh!.map((s) => s !== null && s < 1 / (v.gamma ?? 1)) : null,
        },
      });
    }
  }
  const config = {
    name: opts.experiment,
    description: opts.description,
    notes: opts.notes ?? null,
    quick: opts.quick ?? false,
    task: { name: 'adding', T, variant: 'arjovsky' },
    steps,
    seeds,
    logEvery,
    valSize: 256,
    earlyStop: null,
    variants: opts.variants.map((v) => ({
      name: v.name,
      description: v.description,
      cell: v.cell,
      hiddenSize: 32,
      numLayers: v.numLayers ?? 1,
      init: {},
      optimizer: { name: 'adam', lr: 1e-3 },
      schedule: { name: 'constant' },
      clip: v.clip ?? { kind: 'none' },
      accumulation: 1,
      residual: false,
      skipDelay: null,
      dropout: 0,
      batchSize: 32,
      task: { name: 'adding', T, variant: 'arjovsky' },
    })),
  };
  return {
    schema: RESULTS_SCHEMA,
    experiment: opts.experiment,
    description: opts.description,
    config,
    baselines: [{ metric: 'loss', value: 1 / 6, note: 'predict 1 (the mean): MSE = Var(X1+X2) = 2 * 1/12 = 1/6 (Arjovsky et al. 2016, 4.2)' }],
    env: {
      gradlab: '0.1.0',
      node: 'v20.20.2',
      backend: 'cpu',
      platform: 'linux x64',
      gitCommit: '0123456789abcdef0123456789abcdef01234567',
      startedAt: opts.startedAt ?? '2026-01-02T03:04:05.000Z',
      durationMs: 65_432,
      command: `gradlab experiment ${opts.experiment}${opts.quick ? ' --quick' : ''}`,
    },
    runs,
  };
}

export const HOSTILE_NAME = '<img src=x onerror=alert(1)>';
export const HOSTILE_DESCRIPTION = 'ends the script </script><script>alert(2)</script> & "quotes"';

/** 2 variants x 2 seeds; one run diverges (nulls in its log); a hostile variant name. */
export function hostileResults(): Results {
  const r = syntheticResults({
    experiment: 'hostile',
    description: 'escaping test </script><b>bold</b>',
    notes: 'notes with <i>tags</i> & </script>',
    T: 12,
    steps: 40,
    logEvery: 10,
    seeds: [0, 1],
    gates: true,
    variants: [
      { name: HOSTILE_NAME, description: HOSTILE_DESCRIPTION, cell: 'rnn_tanh', decay: [0.4, 0.8], finalLoss: 0.17, sigma: [0.9, 0.95], divergeAt: { 1: 20 }, clip: { kind: 'norm', maxNorm: 1 } },
      { name: 'lstm', description: 'LSTM, forget bias 1', cell: 'lstm', numLayers: 2, decay: [0.1, 0.02], finalLoss: 0.01, sigma: [1.1, 1.3], gamma: 0.25 },
    ],
  });
  return r;
}

/** Something like `gradlab experiment vanishing --quick`: four cells on the adding problem. */
export function vanishingLikeResults(): Results {
  return syntheticResults({
    experiment: 'vanishing',
    description: 'Vanishing gradients on the adding problem: tanh RNN, ReLU RNN, LSTM and GRU side by side',
    notes: 'Compare how far back ‖dL/dh_t‖ reaches: the tanh RNN should die out within a few dozen steps; whether the gated cells keep it alive is what the data says.',
    T: 100,
    steps: 400,
    logEvery: 10,
    seeds: [0, 1, 2],
    quick: true,
    gates: true,
    variants: [
      { name: 'rnn-tanh', description: 'vanilla tanh RNN, orthogonal W_hh', cell: 'rnn_tanh', decay: [0.18, 0.3], finalLoss: 0.168, sigma: [1.0, 0.85] },
      { name: 'rnn-relu-clip', description: 'IRNN (ReLU, identity W_hh), norm clipping at 1', cell: 'rnn_relu', clip: { kind: 'norm', maxNorm: 1 }, decay: [0.02, 0.06], finalLoss: 0.09, sigma: [1.0, 1.15], divergeAt: { 2: 250 }, gradScale: 0.08 },
      { name: 'lstm', description: 'LSTM, forget-gate bias 1, 2 layers', cell: 'lstm', numLayers: 2, decay: [0.06, 0.012], finalLoss: 0.004, sigma: [1.2, 1.6], gamma: 0.25 },
      { name: 'gru', description: 'GRU', cell: 'gru', decay: [0.05, 0.02], finalLoss: 0.01, sigma: [1.1, 1.3], gamma: 0.25 },
    ],
  });
}

/** Twelve variants with long names (a sweep's labels): the legends must stay readable. */
export function manyVariantsResults(): Results {
  const cells = ['rnn_tanh', 'lstm', 'gru', 'rnn_relu'] as const;
  return syntheticResults({
    experiment: 'many-variants',
    description: 'A sweep of twelve variants with long, similar names',
    T: 30,
    steps: 200,
    logEvery: 20,
    seeds: [0, 1],
    variants: Array.from({ length: 12 }, (_, i) => ({
      name: `${cells[i % 4]} hidden=128 lr=${(10 ** -(2 + (i % 3))).toExponential(0)} forget-bias=${i} clip=norm(1.0) #${i}`,
      description: `variant ${i}`,
      cell: cells[i % 4],
      decay: [0.02 + 0.02 * i, 0.01 + 0.03 * i] as [number, number],
      finalLoss: 0.01 + 0.013 * i,
      sigma: [0.9 + 0.03 * i, 1 + 0.02 * i] as [number, number],
      ...(i % 3 === 0 ? { clip: { kind: 'norm' as const, maxNorm: 1 } } : {}),
    })),
  });
}
