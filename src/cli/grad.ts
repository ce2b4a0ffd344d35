import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BACKEND_HELP, backendFromOption } from './backendOption.ts';
import { isDType } from '../tensor/dtype.ts';
import { parseGradCase } from './gradCase.ts';
import { computeCaseGradients } from './gradCompute.ts';
import { UsageError } from './usageError.ts';

interface GradOptions {
  case: string;
  dtype: string;
  backend: string;
  path: string;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--case: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--case: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

export function registerGrad(program: Command): void {
  program
    .command('grad')
    .description('print loss, parameter gradients and ||dL/dh_t|| for a model given with PyTorch parameter names')
    .requiredOption('--case <file>', 'case JSON (its format: the README, "Check a model against PyTorch"); - reads stdin')
    .option('--dtype <dtype>', 'float64 or float32', 'float64')
    .option('--backend <backend>', BACKEND_HELP, 'cpu')
    .option('--path <path>', 'sequence (one kernel per layer), fused (one per step) or reference (composed from ops)', 'sequence')
    .action(async (opts: GradOptions) => {
      if (!isDType(opts.dtype)) throw new UsageError(`--dtype must be float64 or float32, got "${opts.dtype}"`);
      if (opts.path !== 'sequence' && opts.path !== 'fused' && opts.path !== 'reference') {
        throw new UsageError(`--path must be sequence, fused or reference, got "${opts.path}"`);
      }
      const { backend } = await backendFromOption(opts.backend, opts.dtype);
      const c = parseGradCase(readJson(opts.case));
      const out = await computeCaseGradients(c, { dtype: opts.dtype, backend, path: opts.path });
      process.stdout.write(`${JSON.stringify(out)}\n`);
    });
}
