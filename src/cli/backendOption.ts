import type { Backend } from '../backends/backend.ts';
import { cpu, cpuJs } from '../backends/cpu/index.ts';
import { WebGpuUnavailableError } from '../backends/webgpu/device.ts';
import { webgpuBackend } from '../backends/webgpu/index.ts';
import type { DType } from '../tensor/dtype.ts';
import { UsageError } from './usageError.ts';

/** The values --backend takes. */
export const BACKEND_NAMES = ['cpu', 'cpu-js', 'webgpu'] as const;

export const BACKEND_HELP = 'cpu (WebAssembly SIMD kernels where built, else JavaScript), cpu-js (the JavaScript kernels only: the numbers of a machine without the wasm build), or webgpu (float32 only; needs a WebGPU adapter: a GPU, or SwiftShader as the README says)';

/** The one-line error for a --backend value outside BACKEND_NAMES. */
export function checkBackendName(name: string): void {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`--backend must be cpu, cpu-js or webgpu, got "${name}"`);
  }
}

/** The backend an option names, with its device description where it has one. A missing adapter
 * or a float64 request on WebGPU is bad usage (exit 2, one line), never a native crash. */
export async function backendFromOption(name: string, dtype: DType = 'float32'): Promise<{ backend: Backend; device: string | null }> {
  checkBackendName(name);
  if (name === 'cpu') return { backend: cpu, device: null };
  if (name === 'cpu-js') return { backend: cpuJs, device: null };
  if (dtype !== 'float32') {
    throw new UsageError('--backend webgpu computes in float32 only: use --dtype float32, or --backend cpu for float64');
  }
  try {
    const backend = await webgpuBackend();
    return { backend, device: backend.description };
  } catch (e) {
    if (e instanceof WebGpuUnavailableError) throw new UsageError(`--backend webgpu: ${e.message}`);
    throw e;
  }
}
