import { join } from 'node:path';
import { writeSafetensorsFile, type TensorToWrite } from '../io/safetensors.ts';
import type { RecurrentNet } from '../nn/recurrentNet.ts';

/**
 * `gradlab experiment --save-weights`: each run's weights as safetensors, under torch's names
 * (rnn.weight_ih_l0 ..., head.weight, head.bias), so that
 *   model.load_state_dict(load_safetensors(path))
 * loads them into a module with `rnn = nn.LSTM(I, H, L, batch_first=True)` and
 * `head = nn.Linear(H, O)`, and `gradlab probe --weights` reads them back. Files are named by
 * the run's index (its place in results.json's runs), never by a variant's name, so no name
 * from the data makes the path: DIR/weights/run-0003.final.safetensors (and .initial).
 */

export type SaveWeights = 'final' | 'both';

/** The safetensors metadata key holding the model's config as JSON (read by `gradlab probe`:
 * residual and skip settings are not visible in the tensors). */
export const MODEL_METADATA_KEY = 'gradlab.model';

export function weightsPath(dir: string, index: number, which: 'initial' | 'final'): string {
  return join(dir, 'weights', `run-${String(index).padStart(4, '0')}.${which}.safetensors`);
}

/** Write the net's parameters (float32 nets as F32, float64 as F64) with what identifies them. */
export async function saveWeights(net: RecurrentNet, path: string, about: { variant: string; seed: number; step: number; status: string }): Promise<void> {
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, p] of net.params) {
    tensors.set(name, { dtype: p.dtype === 'float64' ? 'F64' : 'F32', shape: p.shape, data: await p.toFloat64ArrayAsync() });
  }
  const { cell, inputSize, hiddenSize, numLayers, outputSize, residual, skipDelay } = net.config;
  writeSafetensorsFile(path, tensors, {
    // What the Hugging Face writer records for torch tensors.
    format: 'pt',
    [MODEL_METADATA_KEY]: JSON.stringify({ cell, inputSize, hiddenSize, numLayers, outputSize, residual, skipDelay }),
    'gradlab.variant': about.variant,
    'gradlab.seed': String(about.seed),
    'gradlab.step': String(about.step),
    'gradlab.status': about.status,
  });
}
