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
  return { device, description };
}
