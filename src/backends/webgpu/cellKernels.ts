import { writesDirect } from '../../cells/generateJs.ts';
import { wgslBackward, wgslForward } from '../../cells/generateWgsl.ts';
import type { CellSpec } from '../../cells/spec.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import type { CellStepGrads, CellStepKernels, CellStepOutput, CellWeights } from '../backend.ts';
import type { WebGpuBackend } from './index.ts';
import type { Kernel } from './runtime.ts';
import * as K from './kernels.ts';
import { elementwise } from './wgsl.ts';

/**
 * The WebGPU backend's fused recurrent steps, for every cell in the table: the affine halves are
 * GEMMs (written once here), the pointwise halves are the shaders generated from each cell's
 * spec (src/cells/generateWgsl.ts). They serve the per-step path; whole sequences run the same
 * generated shaders over time-major buffers (sequence.ts).
 */

const compiled = new Map<string, { forward: Kernel; backward: Kernel; forwardBindings: string[]; backwardBindings: string[] }>();

function kernelsFor(spec: CellSpec) {
  let k = compiled.get(spec.kind);
  if (!k) {
    const f = wgslForward(spec);
    const b = wgslBackward(spec);
    k = {
      forward: elementwise(f.bindings.map(([n, a]) => [n, a]), f.body, f.extra),
      backward: elementwise(b.bindings.map(([n, a]) => [n, a]), b.body, b.extra),
      forwardBindings: f.bindings.map(([name]) => name),
      backwardBindings: b.bindings.map(([name]) => name),
    };
    compiled.set(spec.kind, k);
  }
  return k;
}

/** The tensors for a kernel's bindings, by name. */
function bind(names: readonly string[], byName: Readonly<Record<string, Tensor | null>>): Tensor[] {
  return names.map((n) => {
    const t = byName[n];
    if (!t) throw new Error(`webgpu cell kernel: nothing to bind to ${n}`);
    return t;
  });
}

export class WebGpuCellKernels implements CellStepKernels {
  constructor(private readonly k: WebGpuBackend) {}

  /** x Wᵀ + b over the batch, [B, G·H]. */
  private affine(x: Tensor, wMat: Tensor, bias: Tensor): Tensor {
    const gh = wMat.shape[0];
    const out = this.k.empty([x.shape[0], gh]);
    this.k.run(K.rowBroadcast(), [out.size, gh], [bias, out], out.size);
    this.k.gemmInto(x, wMat, out, false, true, true);
    return out;
  }

  cellForward(spec: CellSpec, x: Tensor, h: Tensor, c: Tensor | null, w: CellWeights): CellStepOutput {
    const [B, H] = h.shape;
    if (spec.cellState && !c) throw new Error(`${spec.kind} needs a cell state c`);
    const out = { h: this.k.empty(h.shape), c: spec.cellState ? this.k.empty(h.shape) : null, saved: this.k.empty([B, spec.saved.length * H]) };
    const kernels = kernelsFor(spec);
    const tensors = bind(kernels.forwardBindings, {
      XI: this.affine(x, w.wIh, w.bIh),
      HH: spec.recurrent === 'matrix' ? this.affine(h, w.wHh, w.bHh) : null,
      U: w.wHh, HB: w.bHh, HP: h, CP: c, SV: out.saved, HO: out.h, CO: out.c,
    });
    this.k.run(kernels.forward, [B * H, H], tensors, B * H);
    return out;
  }

  cellBackward(
    spec: CellSpec, x: Tensor, h: Tensor, c: Tensor | null, out: CellStepOutput,
    dh: Tensor | null, dc: Tensor | null, w: CellWeights,
  ): CellStepGrads {
    const k = this.k;
    const [B, H] = h.shape;
    const GH = spec.gates.length * H;
    const diagonal = spec.recurrent === 'diagonal';
    const zero = (): Tensor => k.full(h.shape, 'float32', 0);
    const dGi = k.empty([B, GH]);
    const dGh = spec.tied ? dGi : k.empty([B, GH]);
    const dur = diagonal ? k.empty([B, GH]) : null;
    const direct = writesDirect(spec) ? k.empty(h.shape) : null;
    const dcOut = spec.cellState ? k.empty(h.shape) : null;
    const kernels = kernelsFor(spec);
    const tensors = bind(kernels.backwardBindings, {
      SV: out.saved, HP: h, CP: c, HN: out.h, DH: dh ?? zero(), DC: spec.cellState ? (dc ?? zero()) : null, U: w.wHh,
      DXI: dGi, DHH: dGh, DUR: dur, DHD: direct, DCO: dcOut,
    });
    k.run(kernels.backward, [B * H, H], tensors, B * H);
    let dhPrev: Tensor;
    let dWHh: Tensor;
    if (diagonal) {
      dhPrev = direct!;
      dWHh = k.sum(dur!, 0, false);
    } else {
      dhPrev = k.matmul(dGh, w.wHh, false, false);
      if (direct) k.addInto(dhPrev, direct);
      dWHh = k.matmul(dGh, h, true, false);
    }
    return {
      dx: k.matmul(dGi, w.wIh, false, false),
      dh: dhPrev,
      dc: dcOut,
      dWIh: k.matmul(dGi, x, true, false),
      dWHh,
      // Two sums even when dGi is dGh: the two bias gradients become two parameters' .grad, which
      // autograd adds into in place, so they must not share storage.
      dBIh: k.sum(dGi, 0, false),
      dBHh: k.sum(dGh, 0, false),
    };
  }
}
