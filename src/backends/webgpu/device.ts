/**
 * WebGPU device acquisition, the same code in Node and in the browser: the browser's
 * `navigator.gpu`, or in Node the npm package `webgpu` (Dawn's Node bindings).
 */

/** How to get an adapter where there is no GPU: the one-line advice every "no adapter" error gives. */
export const NO_ADAPTER_HELP =
  'no WebGPU adapter found. Without a GPU, install SwiftShader\'s Vulkan driver (Debian: apt-get install chromium-common libvulkan1) ' +
  'and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp, or use --backend cpu';

export class WebGpuUnavailableError extends Error {}

/** Dawn's GPU object must outlive every device made from it: dropping it lets the garbage
 * collector tear Dawn down under a live device (crashes or hangs). Kept here for the process. */
let nodeGpu: GPU | null = null;

async function nodeGpuObject(): Promise<GPU> {
  if (nodeGpu) return nodeGpu;
  // A variable specifier keeps browser bundlers from trying to bundle the native module.
  const specifier = 'webgpu';
  let mod: { create(options: string[]): GPU };
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as { create(options: string[]): GPU };
  } catch (e) {
    throw new WebGpuUnavailableError(`the npm package "webgpu" (Dawn for Node) did not load: ${(e as Error).message.split('\n')[0]}`);
  }
  nodeGpu = mod.create([]);
  return nodeGpu;
}

export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** The adapter's description, for results.json's env and error messages. */
  readonly description: string;
  /** A full garbage collection, where the platform allows one (Node): device memory is invisible
   * to the collector, so the runtime asks for one after a few hundred MB of new buffers. */
  readonly collectGarbage: (() => void) | null;
}

/** Node's gc(), obtained at run time (the --expose-gc flag set programmatically); null in a
 * browser. Node's modules come from process.getBuiltinModule, as in the CPU backend's wasm
 * loader, so that browser bundles never see them. */
function nodeGarbageCollector(): (() => void) | null {
  if (typeof process === 'undefined' || typeof process.getBuiltinModule !== 'function') return null;
  process.getBuiltinModule('node:v8').setFlagsFromString('--expose-gc');
  return process.getBuiltinModule('node:vm').runInNewContext('gc') as () => void;
}

/** Request a high-performance adapter and a device with the adapter's storage-buffer limits. */
export async function acquireDevice(): Promise<AcquiredDevice> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const gpu = nav?.gpu ?? (await nodeGpuObject());
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGpuUnavailableError(NO_ADAPTER_HELP);
  const info = adapter.info;
  const description = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') || 'unknown adapter';
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  const collectGarbage = nav?.gpu ? null : nodeGarbageCollector();
  return { device, description, collectGarbage };
}
