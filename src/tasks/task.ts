import type { Rng } from '../tensor/rng.ts';

/** A batch of sequences, row-major float64. */
export interface Batch {
  /** [B, T, inputSize] */
  x: Float64Array;
  xShape: [number, number, number];
  /**
   * Targets. targets 'last': [B, outputSize] for mse, [B] class indices for cross_entropy.
   * targets 'every_step': [B, T, outputSize] for mse, [B, T] class indices for cross_entropy.
   */
  y: Float64Array;
  yShape: number[];
}

/** A reference level for the loss (or another metric) that a model must beat, drawn as a line. */
export interface Baseline {
  metric: string;
  value: number;
  /** Where the number comes from, e.g. "predict the mean: Var(X1+X2) = 1/6". */
  note: string;
}

/**
 * A seeded learning problem. Training data is drawn from the run's generator; the test set is
 * fixed by the task's own seed, so every variant and seed of an experiment is scored on the
 * same sequences.
 */
export interface Task {
  readonly name: string;
  readonly description: string;
  /** The paper (or program) the task reproduces. */
  readonly source: string;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly seqLen: number;
  readonly loss: 'mse' | 'cross_entropy';
  readonly targets: 'last' | 'every_step';
  readonly baselines: readonly Baseline[];
  /** The keys `metrics()` returns, known before any prediction: an experiment's earlyStop.metric
   * is checked against them before the first step (a misspelt metric would never stop a run). */
  readonly metricNames: readonly string[];
  /** The metrics that are a mean over test sequences of a per-sequence value (every sequence
   * weighing the same): their standard error is measured (standardErrors.ts) and verdicts
   * compare them with a margin. Not R² or constants. */
  readonly sequenceMeans: readonly string[];
  /** A stateful sampler of training batches (fresh sequences, or epochs over a fixed set). */
  trainSampler(rng: Rng, batchSize: number): () => Batch;
  /** The fixed evaluation set. */
  testSet(): Batch;
  /** Task metrics from predictions on a batch: pred has yShape for mse tasks and
   * [...yShape, outputSize] logits for cross_entropy tasks. */
  metrics(pred: Float64Array, batch: Batch): Record<string, number>;
}
