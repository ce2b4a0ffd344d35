import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CELL_KINDS } from '../cells/table.ts';
import { probeModel } from '../diagnostics/probe.ts';
import { toJson, writeFileAtomic } from '../io/atomicWrite.ts';
import { PROBE_SCHEMA, type ProbeResults } from '../records/probe.ts';
import { writeProbeReport } from '../report/probeWrite.ts';
import { isDType } from '../tensor/dtype.ts';
import { BACKEND_HELP, backendFromOption } from './backendOption.ts';
import { readProbeInput, type ProbeInputOptions } from './probeInput.ts';
import type { CommandOutcome } from './program.ts';
import { packageVersion } from './provenance.ts';
import { shellQuote } from './shellQuote.ts';
import { printable } from './terminalText.ts';
import { UsageError } from './usageError.ts';

export interface ProbeCommandOptions extends ProbeInputOptions {
  out: string;
  dtype?: string;
  backend?: string;
  /** The command line, for the results' env; rebuilt from the options when absent. */
  command?: string;
}

function commandOf(o: ProbeCommandOptions): string {
  const args = ['probe', '--weights', o.weights, '--data', o.data, '--out', o.out];
  for (const key of ['cell', 'loss', 'target', 'prefix', 'head', 'sample', 'dtype', 'backend'] as const) {
    const v = o[key];
    if (v !== undefined) args.push(`--${key}`, v);
  }
  return `gradlab ${args.map(shellQuote).join(' ')}`;
}

/** Everything `gradlab probe` does: read and check the inputs (nothing is written when they are
 * bad), run the probe, write DIR/results.json and DIR/index.html. */
export async function runProbe(o: ProbeCommandOptions): Promise<ProbeResults> {
  const started = Date.now();
  const dtype = o.dtype ?? 'float64';
  if (!isDType(dtype)) throw new UsageError(`--dtype must be float64 or float32, got "${dtype}"`);
  const input = readProbeInput(o);
  const { backend } = await backendFromOption(o.backend ?? 'cpu', dtype);
  const { config, prefix, head, ignoredKeys, values } = input.model;
  const outcome = await probeModel(config, values, input.batch, { loss: input.loss, target: input.target, sample: input.sample, dtype, backend });
  const [B, T] = input.batch.xShape;
  const results: ProbeResults = {
    schema: PROBE_SCHEMA,
    model: { cell: config.cell, inputSize: config.inputSize, hiddenSize: config.hiddenSize, numLayers: config.numLayers, outputSize: head === null ? null : config.outputSize },
    source: { weights: o.weights, data: o.data, prefix, head, ignoredKeys },
    loss: { kind: input.loss, target: input.target, value: outcome.loss },
    batch: { size: B, steps: T },
    sample: input.sample,
    dtype,
    layers: outcome.layers,
    units: outcome.units,
    env: {
      gradlab: packageVersion(), node: process.version, backend: backend.name,
      startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, command: o.command ?? commandOf(o),
    },
  };
  const dir = resolve(o.out);
  writeFileAtomic(join(dir, 'results.json'), `${toJson(results)}\n`);
  writeProbeReport(dir, results);
  return results;
}

export function registerProbe(program: Command, outcome: CommandOutcome): void {
  program
    .command('probe')
    .description('the gradient diagnostics of one trained model on one batch: dL/dh_t, dL/dc_t, per gate, per unit (weights and data as safetensors; see the README, "Diagnose your own PyTorch model")')
    .requiredOption('--weights <file>', 'the model: a torch state dict saved as safetensors (examples/torch_to_gradlab.py writes one)')
    .requiredOption('--data <file>', 'the batch as safetensors: x [B, T, inputs], y (targets), optional h0, c0 [layers, B, H]')
    .option('--out <dir>', 'where results.json and index.html go', join('reports', 'probe'))
    .option('--cell <cell>', `${CELL_KINDS.join(', ')}; read from the tensors when they tell (rnn_tanh and rnn_relu look alike)`)
    .option('--loss <loss>', 'mse or ce (cross-entropy); by default ce when y holds integers, else mse')
    .option('--target <target>', 'last (the head reads h_T) or every (every h_t); by default read from y\'s shape')
    .option('--prefix <prefix>', 'the recurrent module\'s key prefix, e.g. rnn or encoder.lstm ("" for a bare nn.LSTM state dict); found when there is only one')
    .option('--head <prefix>', 'the Linear head\'s key prefix, or none; by default head when head.weight exists')
    .option('--sample <k>', 'norms over sequence k of the batch only, instead of the whole batch')
    .option('--dtype <dtype>', 'float64 or float32', 'float64')
    .option('--backend <backend>', BACKEND_HELP, 'cpu')
    .action(async (opts: ProbeCommandOptions) => {
      const command = `gradlab ${outcome.argv.map(shellQuote).join(' ')}`;
      const results = await runProbe({ ...opts, command });
      const top = results.layers[results.layers.length - 1];
      process.stdout.write(printable(`${results.model.cell}, ${results.model.numLayers} layer(s): loss ${results.loss.value}, top layer reach ${top.reach.reach} of ${results.batch.steps} steps; report: ${join(resolve(opts.out), 'index.html')}`) + '\n');
      if (results.source.ignoredKeys.length) {
        process.stderr.write(`gradlab: note: ${printable(`the model did not use ${results.source.ignoredKeys.map((k) => `"${k}"`).join(', ')}`)} (--head names a Linear head under another prefix)\n`);
      }
    });
}
