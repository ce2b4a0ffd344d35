/**
 * The whole-sequence path ('sequence': one kernel per layer over all T steps, one graph node,
 * BPTT inside the kernel) equals the reference path (cells composed from ops), and its
 * gradients pass finite-difference checks.
 *
 * Compared, for random cells, B 1-4, T 1-12, I 1-5, H 1-6, numLayers 1-3, with and without
 * h0/c0 (test/nn/netCases.ts): the output, loss and every hidden state (the forward group), and
 * every parameter gradient, the x/h0/c0 gradients, every retained dL/dh_t (elementwise) and the
 * dL/dh_t probe of src/diagnostics/hiddenGradNorms.ts (the gradient group).
 *
 * Tolerances (float64). The two paths evaluate the same formulas; they differ in the order of
 * the sums (one GEMM over all B*T rows for the weight gradients against T per-step GEMMs added
 * up by autograd; 4-way register-tiled dot products against plain loops), in where biases
 * join the sum, and in algebraically equal rewritings, so each result differs by a few float64
 * roundings (2^-53 ≈ 1.1e-16) of the size of the terms combined, propagated through at most
 * T*L = 36 steps each way (see test/nn/fusedEqualsReference.test.ts for the count: ≈ 3e-13 at
 * most). Each compared tensor passes two checks:
 *  (a) max |seq - ref| <= TOL * (largest magnitude in its group): the scale at which the terms
 *      were formed. TOL = 1e-12 for weights U(-s, s), s <= 1 (measured over 1000 random cases per
 *      cell: 2.1e-15 at worst), and 1e-11 for s = 2.5, where tanh RNNs turn chaotic and the step
 *      Jacobians amplify an early rounding difference (measured: 1.1e-13 at worst);
 *  (b) max |seq - ref| <= OWN * (the tensor's own max magnitude), OWN = 1e-10, so an error in a
 *      small tensor (a vanishing layer-0 gradient) cannot hide under (a). Measured: 1.5e-13 at
 *      worst for s <= 1, 1.4e-12 for s = 2.5 (a dL/dh_t of a chaotic rnn_tanh). A tensor can be
 *      a cancellation of larger terms, so OWN keeps ~70x headroom over the measured worst; a
 *      kernel error of 1e-9 of a tensor still fails (the last block proves it).
 * float32 sequence vs float64 reference (inputs and weights rounded to float32 first; s <= 1):
 * the bounds of fusedEqualsReference.test.ts, 1e-4 of the group scale and 1e-2 of the tensor.
 * With the WebAssembly GEMM (src/backends/cpu/sequenceWasm.ts, the float32 default) every
 * product sums in float32, erring by <= (k+2) 2^-24 sum|a b| (test/backends/wasmGemm.test.ts);
 * here k <= max(G*H, B*T) = 48, so <= 3e-6 of the terms' scale per product, against the ~6e-8
 * of the JavaScript kernel that sums in float64 and rounds h_t once per step; propagated through
 * at most T*L = 36 steps each way that stays well inside 1e-4. rnn_relu cases whose pre-activations come within 1e-4 of the kink are skipped
 * there: float32 rounding of h_t can flip such a unit's sign, which changes the derivative.
 * The float32 cases use the MSE loss: a cross-entropy head that fits its labels almost exactly
 * (loss ~1e-11) has gradients p - onehot(y) that float32 cannot resolve at all (p rounds to 1),
 * which measures float32, not the kernel (the per-step fused path gives the same float32 numbers
 * bit for bit in such a case).
 *
 * Runtime: ~5-15 s on 2 cores (the run counts below were chosen for it).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/index.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { cpu } from '../../src/backends/cpu/index.ts';
import { hiddenGradNormsOnDevice } from '../../src/diagnostics/hiddenGradNorms.ts';
import { CELL_KINDS, type CellKind } from '../../src/cells/table.ts';
import { RecurrentNet, type CellPath, type RecurrentNetConfig } from '../../src/nn/recurrentNet.ts';
import { mseLoss } from '../../src/ops/index.ts';
import { tensor } from '../../src/tensor/create.ts';
import type { DType } from '../../src/tensor/dtype.ts';
import { Rng } from '../../src/tensor/rng.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { fcParams } from '../helpers/fc.ts';
import { patchKernel, restoreKernels } from '../helpers/patchKernels.ts';
import {
  hasKink,
  buildCase, caseValues, describeCase, gradcheckCase, minAbsPreactivation, netCaseArb, runLoss, type NetCase,
} from './netCases.ts';

type Group = Map<string, Float64Array>;
interface Snapshot {
  forward: Group;
  gradients: Group;
}

/** Everything compared, read after one forward + backward on `path`. */
function collect(
  path: CellPath, loss: Tensor, output: Tensor, hidden: Tensor[][], inputs: readonly Tensor[], allowNoGrad = false,
): Snapshot {
  backward(loss);
  const forward: Group = new Map([['output', output.toFloat64Array()], ['loss', loss.toFloat64Array()]]);
  const gradients: Group = new Map();
  hidden.forEach((layer, l) => layer.forEach((h, t) => {
    forward.set(`h[layer ${l}][t ${t + 1}]`, h.toFloat64Array());
    // The total dL/dh_t each path retains (null only where no gradient reaches h_t).
    gradients.set(`dL/dh[layer ${l}][t ${t + 1}]`, h.grad ? h.grad.toFloat64Array() : new Float64Array(0));
  }));
  for (const t of inputs) {
    if (!t.grad && !allowNoGrad) throw new Error(`${path} path: ${t.name} got no gradient`);
    gradients.set(`d loss / d ${t.name}`, t.grad ? t.grad.toFloat64Array() : new Float64Array(0));
  }
  hiddenGradNormsOnDevice(hidden).forEach((norms, l) => gradients.set(`||dL/dh|| layer ${l}`, Float64Array.from(norms, (n) => (n ? n.item() : 0))));
  return { forward, gradients };
}

function snapshot(c: NetCase, values: ReturnType<typeof caseValues>, dtype: DType, path: CellPath): Snapshot {
  const b = buildCase(c, values, dtype);
  const { loss, output, hidden } = runLoss(b, path);
  return collect(path, loss, output, hidden, b.inputs);
}

const maxAbs = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Checks (a) and (b) of the header for every tensor of both groups; returns the failures. */
function compare(reference: Snapshot, sequence: Snapshot, tol: number, own: number): string[] {
  const failures: string[] = [];
  for (const group of ['forward', 'gradients'] as const) {
    const ref = reference[group];
    const seq = sequence[group];
    expect([...seq.keys()]).toEqual([...ref.keys()]);
    const scale = Math.max(...[...ref.values()].map(maxAbs));
    for (const [name, r] of ref) {
      const s = seq.get(name)!;
      if (s.length !== r.length) {
        failures.push(`${name}: ${s.length} values against ${r.length}`);
        continue;
      }
      let err = 0;
      for (let i = 0; i < r.length; i++) err = Math.max(err, Math.abs(s[i] - r[i]));
      // `!(x <= y)` so that a NaN anywhere fails.
      if (!(err <= tol * scale)) failures.push(`${name}: max diff ${err} > ${tol} * group scale ${scale}`);
      if (!(err <= own * maxAbs(r))) failures.push(`${name}: max diff ${err} > ${own} * own scale ${maxAbs(r)}`);
    }
  }
  return failures;
}

const OWN = 1e-10;

/** Runs per property (per cell where it applies), sized for the file's time budget (header). */
const RUNS = { equal: 100, saturating: 60, float32: 40, variants: 80 };

function checkEqual(c: NetCase, dtype: DType, tol: number, own: number): void {
  const values = caseValues(c);
  if (dtype === 'float32') {
    for (const a of [values.x, values.h0, values.c0, ...values.params.values()]) {
      if (a) for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]);
    }
    if (hasKink(c.cell)) fc.pre(minAbsPreactivation(buildCase(c, values, 'float64')) > 1e-4);
  }
  const reference = snapshot(c, values, 'float64', 'reference');
  const sequence = snapshot(c, values, dtype, 'sequence');
  const failures = compare(reference, sequence, tol, own);
  if (failures.length > 0) throw new Error(`sequence (${dtype}) != reference (float64), ${describeCase(c)}:\n  ${failures.join('\n  ')}`);
}

const MODERATE = [0.2, 0.5, 1];
describe.each(CELL_KINDS.map((cell) => [cell] as [CellKind]))('sequence path: %s', (cell) => {
  it('equals the reference path in float64, weights U(-s, s), s <= 1: to 1e-12 of the scale', () => {
    fc.assert(fc.property(netCaseArb(cell, undefined, MODERATE), (c) => checkEqual(c, 'float64', 1e-12, OWN)), fcParams(RUNS.equal));
  });

  if (!hasKink(cell)) {
    it('equals the reference path in float64, saturating weights (s = 2.5): to 1e-11 of the scale', () => {
      fc.assert(fc.property(netCaseArb(cell, undefined, [2.5]), (c) => checkEqual(c, 'float64', 1e-11, OWN)), fcParams(RUNS.saturating));
    });
  }

  it('float32 sequence vs float64 reference, s <= 1: to 1e-4 of the scale', () => {
    // MSE only: see the header on cross-entropy in float32.
    const mse = netCaseArb(cell, undefined, MODERATE).map((c): NetCase => ({ ...c, loss: 'mse' }));
    fc.assert(fc.property(mse, (c) => checkEqual(c, 'float32', 1e-4, 1e-2)), fcParams(RUNS.float32));
  });

  // Gradcheck of the sequence path runs with the other paths in cells.gradcheck.test.ts.
});

describe('sequence path: the graph and the net around it', () => {
  const config = (cell: CellKind, extra: Partial<RecurrentNetConfig> = {}): RecurrentNetConfig => ({
    cell, inputSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 2, ...extra,
  });

  it('records one graph node per layer, with inputs [x_1..x_T, h0, (c0), W_ih, W_hh, b_ih, b_hh]', () => {
    for (const cell of CELL_KINDS) {
      const net = RecurrentNet.create(config(cell), Rng.seeded(1), { dtype: 'float64' });
      const x = tensor(new Float64Array(2 * 5 * 3).fill(0.3), [2, 5, 3], { dtype: 'float64' });
      const { hidden } = net.forward(x, { path: 'sequence' });
      for (const layer of hidden) {
        const node = layer[0].node!;
        expect(node.op).toBe(`${cell}_sequence`);
        expect(layer.every((h) => h.node === node)).toBe(true);
        expect(node.outputs).toEqual(layer);
        expect(node.inputs.length).toBe(5 + (cell === 'lstm' ? 2 : 1) + 4);
      }
    }
  });

  it('is the default path of RecurrentNet.forward', () => {
    const net = RecurrentNet.create(config('gru'), Rng.seeded(2), { dtype: 'float64' });
    const x = tensor(new Float64Array(2 * 3 * 3).fill(0.1), [2, 3, 3], { dtype: 'float64' });
    expect(net.forward(x).hidden[0][0].node?.op).toBe('gru_sequence');
  });

  it('steps after the last one that gets a gradient keep none, as on the reference path', () => {
    // The loss reads only h_2 of a 5-step layer: h_3..h_5 get no gradient on either path.
    for (const path of ['reference', 'sequence'] as const) {
      const net = RecurrentNet.create({ ...config('lstm'), numLayers: 1 }, Rng.seeded(3), { dtype: 'float64' });
      const x = tensor(new Float64Array(2 * 5 * 3).fill(0.2), [2, 5, 3], { dtype: 'float64' });
      const { hidden } = net.forward(x, { path });
      backward(mseLoss(hidden[0][1], tensor(new Float64Array(8), [2, 4], { dtype: 'float64' })));
      expect(hidden[0].map((h) => h.grad !== null)).toEqual([true, true, false, false, false]);
    }
  });

  // Residual connections, dropout, per-step outputs and temporal skips (which fall back to the
  // per-step fused cells) around the sequence kernel: h_t then has consumers outside the kernel
  // besides the head, and each one's gradient must be in the total dL/dh_t.
  const variantArb = fc.record({
    cell: fc.constantFrom(...CELL_KINDS),
    residual: fc.boolean(),
    everyStep: fc.boolean(),
    dropout: fc.constantFrom(0, 0.3),
    skipDelay: fc.constantFrom(0, 0, 2),
    input: fc.integer({ min: 1, max: 5 }),
    hidden: fc.integer({ min: 1, max: 5 }),
    layers: fc.integer({ min: 1, max: 3 }),
    steps: fc.integer({ min: 1, max: 8 }),
    batch: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });

  it('equals the reference path with residual connections, dropout, per-step outputs and temporal skips', () => {
    fc.assert(fc.property(variantArb, (v) => {
      const cfg = config(v.cell, {
        inputSize: v.input, hiddenSize: v.hidden, numLayers: v.layers, residual: v.residual,
        dropout: v.dropout, ...(v.skipDelay ? { skipDelay: v.skipDelay } : {}),
      });
      const run = (path: CellPath): Snapshot => {
        const rng = Rng.seeded(v.seed);
        const net = RecurrentNet.create(cfg, rng, { dtype: 'float64' });
        const x = tensor(Float64Array.from({ length: v.batch * v.steps * v.input }, () => rng.uniformIn(-1, 1)),
          [v.batch, v.steps, v.input], { dtype: 'float64', requiresGrad: true, name: 'x' });
        const { output, hidden } = net.forward(x, {
          path, dropoutRng: Rng.seeded(v.seed + 1), outputs: v.everyStep ? 'every_step' : 'last',
        });
        const target = tensor(Float64Array.from({ length: output.size }, () => rng.uniformIn(-1, 1)), output.shape, { dtype: 'float64' });
        // A skip weight with T <= skipDelay is never used: no gradient on either path.
        return collect(path, mseLoss(output, target), output, hidden, [x, ...net.params.values()], true);
      };
      const failures = compare(run('reference'), run('sequence'), 1e-12, OWN);
      if (failures.length > 0) throw new Error(`sequence != reference for ${JSON.stringify(v)}:\n  ${failures.join('\n  ')}`);
    }), fcParams(RUNS.variants));
  });
});

describe('sequence path: the checks can fail', () => {
  afterEach(restoreKernels);

  const CASE: NetCase = {
    cell: 'lstm', batch: 2, steps: 4, input: 3, hidden: 3, layers: 2, outputs: 2, loss: 'mse',
    withH0: true, withC0: true, scale: 0.5, seed: 5,
  };

  it("catches a 1e-9 relative error in the kernel's dW_hh", () => {
    patchKernel('sequenceBackward', (original) => (...args) => {
      const g = original(...args);
      return { ...g, dWHh: cpu.scale(g.dWHh, 1 + 1e-9) };
    });
    expect(() => checkEqual(CASE, 'float64', 1e-12, OWN)).toThrow(/weight_hh/);
  });

  it('catches a 1e-9 relative error in one step of the forward', () => {
    patchKernel('sequenceForward', (original) => (...args) => {
      const out = original(...args);
      const h = out.hs[1].data;
      for (let i = 0; i < h.length; i++) h[i] *= 1 + 1e-9;
      return out;
    });
    expect(() => checkEqual({ ...CASE, cell: 'gru' }, 'float64', 1e-12, OWN)).toThrow(/sequence \(float64\) != reference/);
  });

  it('catches wrong totals dL/dh_t (external gradient only) through the probe', () => {
    patchKernel('sequenceBackward', (original) => (...args) => {
      const g = original(...args);
      return { ...g, dhs: args[1] };
    });
    expect(() => checkEqual({ ...CASE, cell: 'rnn_tanh' }, 'float64', 1e-12, OWN)).toThrow(/\|\|dL\/dh\|\| layer 0/);
  });

  it('gradcheck catches a 1% error in the kernel’s dc0', () => {
    patchKernel('sequenceBackward', (original) => (...args) => {
      const g = original(...args);
      return { ...g, dc0: cpu.scale(g.dc0!, 1.01) };
    });
    const c = { ...CASE, layers: 1, steps: 2 };
    expect(() => gradcheckCase(c, caseValues(c), 'sequence', 'full')).toThrow(/sequence path.*gradcheck failed/);
  });
});
