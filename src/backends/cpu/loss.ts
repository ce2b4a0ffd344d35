import { allocate, type DType, type TypedArray } from '../../tensor/dtype.ts';

function labelAt(labels: TypedArray, b: number, classes: number): number {
  const k = labels[b];
  if (!Number.isInteger(k) || k < 0 || k >= classes) {
    throw new Error(`class label ${k} at batch index ${b} is not an integer in [0, ${classes})`);
  }
  return k;
}

/** Mean cross-entropy with a max-shifted log-sum-exp (no overflow for large logits). */
export function softmaxCrossEntropy(
  logits: TypedArray, labels: TypedArray, batch: number, classes: number, dtype: DType,
): { loss: number; probs: TypedArray } {
  const probs = allocate(dtype, logits.length);
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const off = b * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[off + j]);
    let z = 0;
    for (let j = 0; j < classes; j++) z += Math.exp(logits[off + j] - max);
    for (let j = 0; j < classes; j++) probs[off + j] = Math.exp(logits[off + j] - max) / z;
    total += Math.log(z) + max - logits[off + labelAt(labels, b, classes)];
  }
  return { loss: total / batch, probs };
}

export function softmaxCrossEntropyBackward(
  probs: TypedArray, labels: TypedArray, batch: number, classes: number, scale: number, dtype: DType,
): TypedArray {
  const out = allocate(dtype, probs.length);
  const f = scale / batch;
  for (let b = 0; b < batch; b++) {
    const off = b * classes;
    const k = labelAt(labels, b, classes);
    for (let j = 0; j < classes; j++) out[off + j] = f * (probs[off + j] - (j === k ? 1 : 0));
  }
  return out;
}
