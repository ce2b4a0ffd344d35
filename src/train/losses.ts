import { crossEntropyLoss, mseLoss, reshape } from '../ops/index.ts';
import type { Tensor } from '../tensor/tensor.ts';

export type LossKind = 'mse' | 'cross_entropy';

/**
 * The task loss on the head's output. mse: output and target have the same shape ([B, O] or
 * [B, T, O]). cross_entropy: logits [B, C] against labels [B], or per step [B, T, C] against
 * [B, T] — averaged over every (sequence, step) pair, as nn.CrossEntropyLoss on the flattened
 * batch.
 */
export function taskLoss(kind: LossKind, output: Tensor, target: Tensor): Tensor {
  if (kind === 'mse') return mseLoss(output, target);
  if (output.rank === 3) {
    const [B, T, C] = output.shape;
    return crossEntropyLoss(reshape(output, [B * T, C]), reshape(target, [B * T]));
  }
  return crossEntropyLoss(output, target);
}
