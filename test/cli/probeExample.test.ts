import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProbeInput } from '../../src/cli/probeInput.ts';
import { saveWeights } from '../../src/experiment/runWeights.ts';
import { readSafetensorsFile, writeSafetensorsFile, type TensorToWrite } from '../../src/io/safetensors.ts';
import { RecurrentNet } from '../../src/nn/recurrentNet.ts';
import type { ProbeResults } from '../../src/records/probe.ts';
import { gradlab, REPO } from '../helpers/cli.ts';
import { tempDir } from '../helpers/durable.ts';
import { expectClose } from '../helpers/expectClose.ts';
import { runMain } from '../helpers/inProcess.ts';
import { runPython } from '../helpers/python.ts';

const EXAMPLE = join(REPO, 'examples', 'torch_to_gradlab.py');

/** The number after `label` in the example script's output. */
function printed(stdout: string, label: string): number {
  const m = new RegExp(`${label}: (\\S+)`).exec(stdout);
  if (!m) throw new Error(`no "${label}" in: ${stdout}`);
  return Number(m[1]);
}

describe('examples/torch_to_gradlab.py -> gradlab probe', () => {
  const dir = tempDir('gradlab-probe-example-');
  const weights = join(dir, 'model.safetensors');
  const data = join(dir, 'batch.safetensors');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the example\'s default model (2-layer LSTM, adding problem) probes from the command line, with torch\'s loss; gradlab-saved weights load back into the torch module strictly', async () => {
    const made = runPython([EXAMPLE, '--out', weights, '--data', data], '');
    const out = join(dir, 'reports', 'probe');
    const r = gradlab(['probe', '--weights', weights, '--data', data, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ProbeResults;
    expect(results.model).toEqual({ cell: 'lstm', inputSize: 2, hiddenSize: 32, numLayers: 2, outputSize: 1 });
    expect(results.batch).toEqual({ size: 32, steps: 100 });
    expect(results.loss.kind).toBe('mse');
    expect(results.loss.target).toBe('last');
    expect(results.source.ignoredKeys).toEqual([]);
    // torch ran the float32 model in float32; the probe runs the same float32 values in float64.
    expectClose([results.loss.value ?? NaN], [printed(made, 'torch mse loss on the batch')], 'loss vs the example\'s torch loss', 1e-5);

    // The round trip: gradlab writes the weights it read (as an experiment's --save-weights
    // does), and the example's --check loads them with load_state_dict(strict=True). The file is
    // F64 holding the float32 values exactly, so torch's float64 loss is the probe's to rounding.
    const input = readProbeInput({ weights, data });
    const net = RecurrentNet.fromValues(input.model.config, input.model.values, { dtype: 'float64' });
    const saved = join(dir, 'gradlab_weights.safetensors');
    await saveWeights(net, saved, { variant: 'example', seed: 0, step: 0, status: 'ok' });
    const checked = runPython([EXAMPLE, '--check', saved, '--data', data, '--cell', 'lstm', '--layers', '2', '--hidden', '32'], '');
    expectClose([printed(checked, 'mse loss on \\S+')], [results.loss.value ?? NaN], 'torch loss of gradlab-saved weights vs the probe');
  });

  it('refuses bad inputs with exit 2 and one line, writing nothing: a tensor of the wrong shape (named, with the shape it must have), a missing file', async () => {
    if (!existsSync(weights)) runPython([EXAMPLE, '--out', weights, '--data', data], '');
    const tensors = new Map<string, TensorToWrite>([...readSafetensorsFile(weights).tensors].map(([k, t]) => [k, { dtype: 'F32', shape: t.shape, data: t.data }]));
    const hh = tensors.get('rnn.weight_hh_l1')!;
    tensors.set('rnn.weight_hh_l1', { dtype: 'F32', shape: [128, 16], data: Array.from(hh.data).slice(0, 128 * 16) });
    const bad = join(dir, 'bad.safetensors');
    writeSafetensorsFile(bad, tensors);
    const missing = join(dir, 'no-such-file.safetensors');
    for (const [args, mustSay] of [
      [['--weights', bad, '--data', data], ['"rnn.weight_hh_l1"', '[128, 16]', '[128, 32]']],
      [['--weights', missing, '--data', data], [missing]],
      [['--weights', weights, '--data', missing], [missing]],
    ] as const) {
      const out = join(dir, 'bad-out');
      const r = await runMain(['probe', ...args, '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      for (const s of mustSay) expect(r.stderr).toContain(s);
      expect(existsSync(out)).toBe(false);
    }
  });
});
