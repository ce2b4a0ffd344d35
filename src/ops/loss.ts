import { record1 } from '../autograd/graph.ts';
import { formatShape, sameShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { square, sub } from './pointwise.ts';
import { mean } from './reduce.ts';

/** nn.MSELoss(): the mean over all elements. Shapes must match exactly — torch would broadcast
 * [B] against [B, 1] into a [B, B] loss, a classic silent bug we refuse instead. */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  if (!sameShape(pred.shape, target.shape)) {
    throw new Error(`mse: prediction ${formatShape(pred.shape)} and target ${formatShape(target.shape)} must have the same shape`);
  }
  return mean(square(sub(pred, target)));
}

/** nn.CrossEntropyLoss() (mean): logits [B, C], labels [B] holding class indices. */
export function crossEntropyLoss(logits: Tensor, labels: Tensor): Tensor {
  const k = logits.backend;
  const { loss, probs } = k.softmaxCrossEntropy(logits, labels);
  return record1('cross_entropy', [logits], loss, (g) => [k.softmaxCrossEntropyBackward(probs, labels, g)]);
}
