import type { DeviceStorage } from '../../tensor/tensor.ts';

// The spec's flag values, spelled out so that nothing depends on Dawn's globals being installed.
const USAGE = { MAP_READ: 0x0001, COPY_SRC: 0x0004, COPY_DST: 0x0008, STORAGE: 0x0080 } as const;
const MAP_READ = 0x0001;

/** Threads per workgroup for one-dimensional kernels: the WebGPU default limit. */
export const WORKGROUP = 256;
/** The most workgroups along one dispatch dimension (the default limit). */
const MAX_GROUPS = 65535;
/** Submit the pending commands after this many dispatches, so long graphs start running early. */
const DISPATCHES_PER_SUBMIT = 256;
/** Bytes of new device buffers, or bind groups made, after which the runtime asks for a garbage
 * collection (see the constructor). */
const NEW_BYTES_PER_COLLECTION = 256 * 2 ** 20;
const BIND_GROUPS_PER_COLLECTION = 20_000;
/** Parameter buffers kept for reuse: a training step repeats the same few hundred; those that
 * change every step (Adam's step size) are evicted oldest first. */
const PARAM_CACHE_SIZE = 2048;

/** A tensor's device memory: a pooled buffer, returned to the pool when the storage object is
 * garbage-collected (every tensor sharing it, reshapes included, is gone). */
export class GpuStorage implements DeviceStorage {
  readonly kind = 'device';
  constructor(readonly buffer: GPUBuffer, readonly length: number) {}
}

/** A compute kernel: WGSL source whose entry point is `main`. The source is also the cache key. */
export interface Kernel {
  readonly code: string;
}

/** One parameter slot: a u32, or an f32 stored by its bits (the shader reads it with bitcast). */
export type Param = number | { f32: number };

/** Pads a byte size to the pool's size classes: multiples of 256 bytes (and at least 16). */
function sizeClass(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 256) * 256);
}

/**
 * The device side of the WebGPU backend: a buffer pool keyed by size, a pipeline cache keyed by
 * shader source (which carries the workgroup size and every compile-time constant), cached
 * parameter buffers, and one command encoder that collects dispatches until a read-back, an
 * upload or DISPATCHES_PER_SUBMIT of them.
 */
export class GpuRuntime {
  private readonly pool = new Map<number, GPUBuffer[]>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly params = new Map<string, GPUBuffer>();
  /** Evicted parameter buffers, destroyed after the next submit (commands still being recorded
   * may use them). Dropping them to the garbage collector instead let native memory grow by
   * hundreds of MB over a few hundred steps. */
  private retired: GPUBuffer[] = [];
  private readonly freed = new FinalizationRegistry<{ buffer: GPUBuffer; bytes: number }>((r) => this.release(r.buffer, r.bytes));
  private encoder: GPUCommandEncoder | null = null;
  /** One compute pass holds consecutive dispatches (each still sees the writes of the ones
   * before it); it is ended only for a copy or a submit. */
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private readonly errors: string[] = [];

  private newBytes = 0;
  private newBindGroups = 0;

  /**
   * `collectGarbage`, where the platform offers one (Node), runs a full garbage collection. Device
   * buffers return to the pool only when the tensors holding them are collected, and bind groups
   * (one per dispatch, each holding native descriptor memory) are freed only when collected; V8
   * sees neither: without a nudge, an LSTM at T=100 on SwiftShader grew to 3 GB before the
   * collector ran.
   */
  constructor(readonly device: GPUDevice, readonly description: string, private readonly collectGarbage: (() => void) | null = null) {
    device.addEventListener('uncapturederror', (e) => {
      this.errors.push((e as GPUUncapturedErrorEvent).error.message);
    });
  }

  /** A storage buffer for `length` float32 values (contents undefined). */
  allocate(length: number): GpuStorage {
    const bytes = sizeClass(length * 4);
    let buffer = this.pool.get(bytes)?.pop();
    if (!buffer) {
      buffer = this.device.createBuffer({ size: bytes, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
      this.newBytes += bytes;
      this.maybeCollect();
    }
    const storage = new GpuStorage(buffer, length);
    this.freed.register(storage, { buffer, bytes });
    return storage;
  }

  /** A full collection once enough native memory may be waiting for one. Freed buffers come
   * back through the FinalizationRegistry at the next await. */
  private maybeCollect(): void {
    if (!this.collectGarbage) return;
    if (this.newBytes > NEW_BYTES_PER_COLLECTION || this.newBindGroups > BIND_GROUPS_PER_COLLECTION) {
      this.newBytes = 0;
      this.newBindGroups = 0;
      this.collectGarbage();
    }
  }

  private release(buffer: GPUBuffer, bytes: number): void {
    const list = this.pool.get(bytes);
    if (list) list.push(buffer);
    else this.pool.set(bytes, [buffer]);
  }

  /** Write host values into a storage (as float32). Pending dispatches are submitted first: a
   * queue write runs before commands still sitting in the encoder, which may read this buffer's
   * previous contents (a pooled buffer changes hands when its tensor is collected). */
  upload(target: GpuStorage, values: ArrayLike<number>): void {
    this.flush();
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    if (data.length > 0) this.device.queue.writeBuffer(target.buffer, 0, data.buffer, data.byteOffset, data.length * 4);
  }

  private paramBuffer(params: readonly Param[]): GPUBuffer {
    const words = new Uint32Array(Math.max(4, params.length));
    const view = new DataView(words.buffer);
    params.forEach((p, i) => {
      if (typeof p === 'number') words[i] = p;
      else view.setFloat32(i * 4, p.f32, true);
    });
    const key = words.join(',');
    const hit = this.params.get(key);
    if (hit) return hit;
    const buffer = this.device.createBuffer({ size: words.byteLength, usage: USAGE.STORAGE, mappedAtCreation: true });
    new Uint32Array(buffer.getMappedRange()).set(words);
    buffer.unmap();
    if (this.params.size >= PARAM_CACHE_SIZE) {
      const oldest = this.params.keys().next().value as string;
      this.retired.push(this.params.get(oldest)!);
      this.params.delete(oldest);
    }
    this.params.set(key, buffer);
    return buffer;
  }

  private pipeline(kernel: Kernel): GPUComputePipeline {
    let p = this.pipelines.get(kernel.code);
    if (!p) {
      const module = this.device.createShaderModule({ code: kernel.code });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.pipelines.set(kernel.code, p);
    }
    return p;
  }

  /**
   * Queue one dispatch of `kernel` over `threads` invocations in workgroups of WORKGROUP (the
   * kernel computes its flat index as gid.x + gid.y * num_workgroups.x * WORKGROUP, so any
   * count fits the 65535-workgroup limit). Binding 0 is the parameter array, bindings 1.. are
   * `buffers` in order.
   */
  dispatch(kernel: Kernel, params: readonly Param[], buffers: readonly GpuStorage[], threads: number): void {
    if (threads <= 0) return;
    const groups = Math.ceil(threads / WORKGROUP);
    const x = Math.min(groups, MAX_GROUPS);
    this.dispatchGroups(kernel, params, buffers, x, Math.ceil(groups / x));
  }

  /** Queue one dispatch of an explicit grid of workgroups (two-dimensional kernels: GEMM tiles). */
  dispatchGroups(kernel: Kernel, params: readonly Param[], buffers: readonly GpuStorage[], x: number, y: number): void {
    if (x <= 0 || y <= 0) return;
    if (x > MAX_GROUPS || y > MAX_GROUPS) throw new Error(`a dispatch of ${x} x ${y} workgroups exceeds WebGPU's ${MAX_GROUPS} per dimension`);
    const pipeline = this.pipeline(kernel);
    const bindGroup = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.paramBuffer(params) } },
        ...buffers.map((b, i) => ({ binding: i + 1, resource: { buffer: b.buffer } })),
      ],
    });
    this.newBindGroups++;
    this.maybeCollect();
    this.encoder ??= this.device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y);
    if (++this.pending >= DISPATCHES_PER_SUBMIT) this.flush();
  }

  /** dst[0, n) = src[0, n), queued in order with the dispatches. */
  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  copy(src: GpuStorage, dst: GpuStorage, length: number): void {
    if (length <= 0) return;
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src.buffer, 0, dst.buffer, 0, length * 4);
  }

  /** Submit whatever has been queued. */
  flush(): void {
    this.endPass();
    if (!this.encoder) return;
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pending = 0;
    // Destroying a buffer that submitted work still uses is allowed: it is freed after that work.
    for (const b of this.retired) b.destroy();
    this.retired = [];
  }

  /** Copy a storage to host memory (one mapAsync), as float64. */
  async read(src: GpuStorage): Promise<Float64Array> {
    const bytes = sizeClass(src.length * 4);
    const staging = this.device.createBuffer({ size: bytes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src.buffer, 0, staging, 0, bytes);
    this.flush();
    await staging.mapAsync(MAP_READ);
    const out = Float64Array.from(new Float32Array(staging.getMappedRange(), 0, src.length));
    staging.unmap();
    staging.destroy();
    this.throwErrors();
    return out;
  }

  /** Validation errors are reported asynchronously; surface them at the next read-back. */
  private throwErrors(): void {
    if (this.errors.length > 0) {
      const first = this.errors[0];
      this.errors.length = 0;
      throw new Error(`WebGPU error: ${first}`);
    }
  }
}
