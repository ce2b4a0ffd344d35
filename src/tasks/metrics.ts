/**
 * Metrics shared by the tasks: small pure functions over flat float64 arrays.
 *
 * - `mse`: mean of squared differences, as `torch.nn.MSELoss()` (reduction 'mean') and
 *   `sklearn.metrics.mean_squared_error` (one output) define it.
 * - `r2Score`: `sklearn.metrics.r2_score` for one output (scikit-learn 1.2,
 *   sklearn/metrics/_regression.py): 1 - SS_res / SS_tot with SS_tot taken about the mean of
 *   y_true; with force_finite=True (the default) a constant y_true gives 1.0 when the prediction
 *   is perfect and 0.0 otherwise, instead of NaN / -inf.
 * - `crossEntropyFromLogits`: `torch.nn.CrossEntropyLoss()` with class-index targets, mean over
 *   rows: logsumexp(logits) - logits[label], computed with the row maximum subtracted.
 * - `accuracyFromLogits`: argmax (the first maximum on ties, as torch.argmax and np.argmax) equal
 *   to the label. A row with a NaN logit counts as wrong.
 * - `fractionWithin`: the share of |pred - target| < tol (strict, NaN counts as outside).
 *
 * Sums run left to right in float64; numpy's pairwise summation differs in the last bits only.
 */

function requireSameLength(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`${what}: lengths differ (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new Error(`${what}: empty input`);
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error('mean: empty input');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Mean squared error over all elements. */
export function mse(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  requireSameLength('mse', pred, target);
  let sum = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i] - target[i];
    sum += d * d;
  }
  return sum / pred.length;
}

/** Coefficient of determination, sklearn's r2_score (argument order as sklearn: true first). */
export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  requireSameLength('r2Score', yTrue, yPred);
  const m = mean(yTrue);
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const r = yTrue[i] - yPred[i];
    const d = yTrue[i] - m;
    ssRes += r * r;
    ssTot += d * d;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

function requireLogits(what: string, logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`${what}: numClasses must be an integer >= 1, got ${numClasses}`);
  if (labels.length === 0) throw new Error(`${what}: empty input`);
  if (logits.length !== labels.length * numClasses) {
    throw new Error(`${what}: ${logits.length} logits for ${labels.length} labels x ${numClasses} classes`);
  }
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new Error(`${what}: label ${c} at row ${i} is not in [0, ${numClasses})`);
  }
}

/** Mean cross-entropy of row-major logits [N, numClasses] against class indices [N]. */
export function crossEntropyFromLogits(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  requireLogits('crossEntropyFromLogits', logits, labels, numClasses);
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const o = i * numClasses;
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, logits[o + c]);
    let sumExp = 0;
    for (let c = 0; c < numClasses; c++) sumExp += Math.exp(logits[o + c] - max);
    total += max + Math.log(sumExp) - logits[o + labels[i]];
  }
  return total / labels.length;
}

/** Index of the first maximum of row `row`, or -1 if the row holds a NaN. */
export function argmaxRow(logits: ArrayLike<number>, row: number, numClasses: number): number {
  const o = row * numClasses;
  let best = 0;
  for (let c = 0; c < numClasses; c++) {
    const v = logits[o + c];
    if (Number.isNaN(v)) return -1;
    if (v > logits[o + best]) best = c;
  }
  return best;
}

/** Fraction of rows of logits [N, numClasses] whose argmax equals the label. */
export function accuracyFromLogits(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  requireLogits('accuracyFromLogits', logits, labels, numClasses);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (argmaxRow(logits, i, numClasses) === labels[i]) correct++;
  return correct / labels.length;
}

/** Fraction of elements with |pred - target| < tol. */
export function fractionWithin(pred: ArrayLike<number>, target: ArrayLike<number>, tol: number): number {
  requireSameLength('fractionWithin', pred, target);
  let inside = 0;
  for (let i = 0; i < pred.length; i++) if (Math.abs(pred[i] - target[i]) < tol) inside++;
  return inside / pred.length;
}
