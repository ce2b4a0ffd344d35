import { defineExperiment } from '../src/experiment/resolve.ts';

/**
 * Gradient accumulation: 4 micro-batches of 16, each loss scaled by 1/4, give the gradient of one
 * batch of 64 (up to float32 summation order), so the two runs should track each other step for
 * step; a plain batch of 16 is the noisier run you get without accumulating.
 */
export default defineExperiment({
  name: 'accumulation',
  description: 'LSTM on the adding problem: batch 64 vs 4 x 16 accumulated (same effective batch) vs batch 16',
  notes: 'The first two curves should coincide up to float32 rounding; the batch-16 run differs because its gradient is noisier.',
  task: { name: 'adding', T: 30, variant: 'arjovsky' },
  steps: 1500,
  seeds: [0, 1],
  batchSize: 64,
  logEvery: 25,
  valSize: 256,
  defaults: { cell: 'lstm', hiddenSize: 32, optimizer: { name: 'adam', lr: 2e-3 }, clip: { kind: 'norm', maxNorm: 1 } },
  variants: [
    { name: 'batch 64' },
    { name: '4 x 16 accumulated', accumulation: 4 },
    { name: 'batch 16', batchSize: 16 },
  ],
  quick: { steps: 20, seeds: [0], logEvery: 10, valSize: 32, hiddenSize: 8, task: { T: 10 } },
});
