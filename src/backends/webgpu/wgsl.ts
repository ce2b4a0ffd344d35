import type { Kernel } from './runtime.ts';
import { WORKGROUP } from './runtime.ts';

/**
 * Shader building blocks. Every kernel binds its parameters at binding 0 (an array of u32; f32
 * values by their bits) and its tensors at 1..n, and finds its element from the flat
 * invocation index (see GpuRuntime.dispatch).
 */

const PARAMS = '@group(0) @binding(0) var<storage, read> P: array<u32>;';

/** Parameter i read as an f32. */
const PRELUDE = `
fn pf(i: u32) -> f32 { return bitcast<f32>(P[i]); }
// tanh of |x| >= 15 is ±1 in float32; clamping first keeps drivers that compute tanh as a ratio
// of exponentials (inf/inf) from returning NaN where the cell saturates.
fn tanh_s(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }
// The logistic without exponentiating a large positive number, as the CPU backend's.
fn sigmoid_s(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}`;

export type Access = 'read' | 'read_write';

/**
 * A one-dimensional kernel: `bindings` name the tensors (binding 1, 2, ...), `body` runs for
 * every flat index `i` below P[0].
 */
export function elementwise(bindings: readonly [string, Access][], body: string, extra = ''): Kernel {
  return oneDimensional(bindings, body, extra, false);
}

/**
 * A one-dimensional kernel over P[0] invocations whose index `i` starts at P[2]: i runs over
 * [P[2], P[2] + P[0]). A body written for one step's [B, ·] rows (the generated cell kernels
 * index by i and by b = i / H) then addresses step t's rows of time-major [T·B, ·] buffers, the
 * step chosen by a parameter rather than by the buffers bound.
 */
export function elementwiseFrom(bindings: readonly [string, Access][], body: string, extra = ''): Kernel {
  return oneDimensional(bindings, body, extra, true);
}

function oneDimensional(bindings: readonly [string, Access][], body: string, extra: string, fromP2: boolean): Kernel {
  const decls = bindings.map(([name, access], k) => `@group(0) @binding(${k + 1}) var<storage, ${access}> ${name}: array<f32>;`);
  const index = fromP2 ? 'local' : 'i';
  return {
    code: `${PARAMS}
${decls.join('\n')}
${PRELUDE}
${extra}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let ${index} = gid.x + gid.y * nwg.x * ${WORKGROUP}u;
  if (${index} >= P[0]) { return; }
${fromP2 ? '  let i = local + P[2];\n' : ''}${body}
}`,
  };
}
