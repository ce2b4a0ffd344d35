import fc from 'fast-check';
import { describe, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { parseGradCase } from '../../src/cli/gradCase.ts';
import { computeCaseGradients, type GradOutput } from '../../src/cli/gradCompute.ts';
import { CELL_KINDS } from '../../src/cells/table.ts';
import { expectClose, flat } from '../helpers/expectClose.ts';
import { runPython } from '../helpers/python.ts';
import { lossScale } from './lossScale.ts';
import { caseArb } from './randomCase.ts';

const SCRIPT = new URL('./torch_reference.py', import.meta.url).pathname;
const CASES_PER_CELL = 16;

describe('PyTorch parity (torch 1.13 nn.RNN/LSTM/GRU, IndRNN from the paper in torch ops, + nn.Linear, float64)', () => {
  it.each(CELL_KINDS)('%s: loss, every parameter gradient and dL/dh_t equal torch to 1e-10 relative', async (cell) => {
    const seed = Number(process.env.FC_SEED ?? 20261127) + CELL_KINDS.indexOf(cell);
    const cases = fc.sample(caseArb([cell]), { seed, numRuns: CASES_PER_CELL });
    const theirs = JSON.parse(runPython([SCRIPT, '--batch'], JSON.stringify(cases))) as (GradOutput & { predAbsMax: number | null })[];
    for (const [n, c] of cases.entries()) {
      const tag = `${cell} case ${n} (fast-check seed ${seed})`;
      for (const path of ['sequence', 'fused', 'reference'] as const) {
        const ours = await computeCaseGradients(parseGradCase(c), { dtype: 'float64', backend: cpu, path });
        expectClose([ours.loss ?? NaN], [theirs[n].loss ?? NaN], `${tag} ${path} loss`, 1e-10, lossScale((c as { loss: string }).loss, theirs[n]));
        for (const name of Object.keys(theirs[n].grads)) {
          expectClose(flat(ours.grads[name]), flat(theirs[n].grads[name]), `${tag} ${path} ${name}`);
        }
        expectClose(flat(ours.dLdh), flat(theirs[n].dLdh), `${tag} ${path} dLdh`);
      }
    }
  });
});
