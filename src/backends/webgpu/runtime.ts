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
/** Parameter slots in the arena: one per dispatch of a submit (a long parameter list takes more
 * than one slot; the submit then comes earlier). */
const ARENA_SLOTS = DISPATCHES_PER_SUBMIT;
/** Bind groups kept before the cache starts over. A training step repeats the same few thousand
 * (same pipelines, same pooled buffers, same parameter slots); this bound only matters to a
 * program whose dispatches never repeat. WebGPU has no destroy() for a bind group: one dropped
 * from the cache is freed when JavaScript collects it. */
const MAX_BIND_GROUPS = 1 << 16;

/**
 * A tensor's device memory: a pooled buffer, handed out by GpuRuntime.allocate and returned by
 * GpuRuntime.free. `refs` counts the live tensors that use it (a reshape shares its source's
 * storage); the backend frees the storage when the last of them is disposed.
 */
export class GpuStorage implements DeviceStorage {
  readonly kind = 'device';
  /** Live tensors on this storage. */
  refs = 0;
  /** Its buffer went back to the pool (it may already hold another tensor's values). */
  released = false;
  constructor(readonly buffer: GPUBuffer, readonly length: number) {}
}

/** A compute kernel: WGSL source whose entry point is `main`. The source is also the cache key. */
export interface Kernel {
  readonly code: string;
}

/** One parameter slot: a u32, or an f32 stored by its bits (the shader reads it with bitcast). */
export type Param = number | { f32: number };

/** What the runtime holds on the device, for tests and logs. Every count is of objects alive now,
 * except `bindGroupsCreated`, which counts every bind group ever made. */
export interface GpuRuntimeStats {
  /** Storage buffers (tensor memory), in use or pooled, and their bytes. */
  buffers: number;
  bytes: number;
  /** Of those, the ones waiting in the pool for reuse. */
  pooled: number;
  pooledBytes: number;
  /** Read-back staging buffers (pooled between reads) and their bytes. */
  staging: number;
  stagingBytes: number;
  /** The parameter arena's bytes (one buffer, made once). */
  paramBytes: number;
  pipelines: number;
  /** Bind groups in the cache. */
  bindGroups: number;
  bindGroupsCreated: number;
}

/** Pads a byte size to the pool's size classes: multiples of 256 bytes (and at least 16). */
function sizeClass(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 256) * 256);
}

/**
 * The free buffers of one size class, lowest id first (a binary heap). Which buffer an allocation
 * gets then depends only on which buffers are free, not on the order they came back in: a
 * training step that starts from the same free buffers and makes the same allocations and frees
 * gets the same buffer for every tensor, step after step, and so finds every bind group it needs
 * in the cache.
 */
class FreeList {
  private readonly heap: { id: number; buffer: GPUBuffer }[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(id: number, buffer: GPUBuffer): void {
    const h = this.heap;
    h.push({ id, buffer });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].id <= h[i].id) break;
      [h[parent], h[i]] = [h[i], h[parent]];
      i = parent;
    }
  }

  pop(): GPUBuffer | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0].buffer;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].id < h[m].id) m = l;
        if (r < h.length && h[r].id < h[m].id) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }

  /** Empty the list, returning what it held. */
  drain(): GPUBuffer[] {
    return this.heap.splice(0).map((e) => e.buffer);
  }
}

interface CachedPipeline {
  readonly id: number;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/**
 * The device side of the WebGPU backend. Memory is explicit, as in a browser, where nothing tells
 * the garbage collector about device memory:
 *
 * - Storage buffers come from a pool keyed by size class, lowest buffer id first (FreeList);
 *   `free` puts one back at once (the backend calls it when a storage's last tensor is
 *   disposed). Reuse needs no fence: every command runs in queue order, so a later kernel
 *   writing a reused buffer runs after the earlier ones that read it. Nothing is destroyed
 *   except by `trim`.
 * - Kernel parameters live in one arena buffer: the dispatches of a submit take consecutive
 *   slots, whose values are written with one queue write just before the submit (queue order
 *   again: after the previous submit has read its own).
 * - Bind groups are cached, keyed by pipeline, parameter slot and buffers. A training step
 *   that starts from the same free buffers repeats the same allocations (FreeList) and the same
 *   parameter slots, so once the pool has grown to its peak, each kind of step (logged or not)
 *   finds every bind group in the cache and makes none. Destroying a buffer (trim) drops the
 *   bind groups that use it.
 *
 * Pipelines are cached by shader source (which carries the workgroup size and every compile-time
 * constant), and one command encoder collects dispatches until a read-back, an upload or a full
 * arena.
 */
export class GpuRuntime {
  private readonly pool = new Map<number, FreeList>();
  private readonly staging = new Map<number, GPUBuffer[]>();
  /** Every storage buffer made and not destroyed, with its size and id (bind-group keys). */
  private readonly buffers = new Map<GPUBuffer, { id: number; bytes: number }>();
  private nextBufferId = 0;
  private bytes = 0;
  private pooledBuffers = 0;
  private pooledBytes = 0;
  private stagingBuffers = 0;
  private stagingBytes = 0;
  private readonly pipelines = new Map<string, CachedPipeline>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  /** The keys of the cached bind groups that use each buffer (to drop them when it is destroyed). */
  private readonly bindGroupsOf = new Map<GPUBuffer, string[]>();
  private bindGroupsCreated = 0;

  private readonly slotBytes: number;
  private readonly arena: GPUBuffer;
  private readonly arenaWords: Uint32Array;
  private readonly arenaView: DataView;
  /** Slots taken by the commands now being recorded. */
  private slots = 0;

  private encoder: GPUCommandEncoder | null = null;
  /** One compute pass holds consecutive dispatches (each still sees the writes of the ones
   * before it); it is ended only for a copy or a submit. */
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private readonly errors: string[] = [];

  constructor(readonly device: GPUDevice, readonly description: string) {
    device.addEventListener('uncapturederror', (e) => {
      this.errors.push((e as GPUUncapturedErrorEvent).error.message);
    });
    this.slotBytes = Math.max(256, device.limits.minStorageBufferOffsetAlignment);
    this.arena = device.createBuffer({ size: ARENA_SLOTS * this.slotBytes, usage: USAGE.STORAGE | USAGE.COPY_DST });
    this.arenaWords = new Uint32Array(ARENA_SLOTS * this.slotBytes / 4);
    this.arenaView = new DataView(this.arenaWords.buffer);
  }

  /** A storage buffer for `length` float32 values (contents undefined), from the pool when it
   * has one of the size class. Its memory is the caller's until `free`. */
  allocate(length: number): GpuStorage {
    const bytes = sizeClass(length * 4);
    let buffer = this.pool.get(bytes)?.pop();
    if (buffer) {
      this.pooledBuffers--;
      this.pooledBytes -= bytes;
    } else {
      buffer = this.device.createBuffer({ size: bytes, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
      this.buffers.set(buffer, { id: this.nextBufferId++, bytes });
      this.bytes += bytes;
    }
    return new GpuStorage(buffer, length);
  }

  /** Return a storage's buffer to the pool now. Commands already recorded that use it still see
   * its values (queue order); the storage must not be used again. */
  free(storage: GpuStorage): void {
    if (storage.released) return;
    storage.released = true;
    const bytes = this.buffers.get(storage.buffer)?.bytes;
    if (bytes === undefined) return; // not a buffer of this runtime's: nothing to return
    const info = this.buffers.get(storage.buffer)!;
    let list = this.pool.get(bytes);
    if (!list) this.pool.set(bytes, (list = new FreeList()));
    list.push(info.id, storage.buffer);
    this.pooledBuffers++;
    this.pooledBytes += bytes;
  }

  /** Destroy every pooled buffer (and the read-back staging buffers), dropping the bind groups
   * that use them: the pool's memory goes back to the device. */
  trim(): void {
    this.flush();
    for (const list of this.pool.values()) {
      for (const b of list.drain()) {
        this.forgetBindGroups(b);
        this.bytes -= this.buffers.get(b)!.bytes;
        this.buffers.delete(b);
        // Destroying a buffer that submitted work still uses is allowed: it is freed after that work.
        b.destroy();
      }
    }
    this.pool.clear();
    this.pooledBuffers = 0;
    this.pooledBytes = 0;
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
    this.stagingBuffers = 0;
    this.stagingBytes = 0;
  }

  stats(): GpuRuntimeStats {
    return {
      buffers: this.buffers.size,
      bytes: this.bytes,
      pooled: this.pooledBuffers,
      pooledBytes: this.pooledBytes,
      staging: this.stagingBuffers,
      stagingBytes: this.stagingBytes,
      paramBytes: this.arena.size,
      pipelines: this.pipelines.size,
      bindGroups: this.bindGroups.size,
      bindGroupsCreated: this.bindGroupsCreated,
    };
  }

  /** Write host values into a storage (as float32). Pending dispatches are submitted first: a
   * queue write runs before commands still sitting in the encoder, which may read this buffer's
   * previous contents (a pooled buffer changes hands as soon as its tensor is disposed). */
  upload(target: GpuStorage, values: ArrayLike<number>): void {
    this.requireLive(target);
    this.flush();
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    if (data.length > 0) this.device.queue.writeBuffer(target.buffer, 0, data.buffer, data.byteOffset, data.length * 4);
  }

  private requireLive(s: GpuStorage): void {
    if (s.released) throw new Error('a webgpu storage was used after its memory went back to the pool (its tensor was disposed)');
  }

  private pipeline(kernel: Kernel): CachedPipeline {
    let p = this.pipelines.get(kernel.code);
    if (!p) {
      const module = this.device.createShaderModule({ code: kernel.code });
      const pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      p = { id: this.pipelines.size, pipeline, layout: pipeline.getBindGroupLayout(0) };
      this.pipelines.set(kernel.code, p);
    }
    return p;
  }

  /** Put `params` into the arena's next free slots (submitting first when they do not fit);
   * returns the first slot and how many. */
  private writeParams(params: readonly Param[]): { slot: number; count: number } {
    const slotWords = this.slotBytes / 4;
    const count = Math.max(1, Math.ceil(params.length / slotWords));
    if (count > ARENA_SLOTS) throw new Error(`a kernel with ${params.length} parameters exceeds the parameter arena`);
    if (this.slots + count > ARENA_SLOTS) this.flush();
    const slot = this.slots;
    this.slots += count;
    const base = slot * slotWords;
    params.forEach((p, i) => {
      if (typeof p === 'number') this.arenaWords[base + i] = p;
      else this.arenaView.setFloat32((base + i) * 4, p.f32, true);
    });
    return { slot, count };
  }

  private bindGroup(p: CachedPipeline, slot: number, count: number, buffers: readonly GpuStorage[]): GPUBindGroup {
    let key = `${p.id}:${slot}:${count}`;
    for (const b of buffers) {
      this.requireLive(b);
      const info = this.buffers.get(b.buffer);
      if (!info) throw new Error('a webgpu storage was used after its buffer was destroyed');
      key += `,${info.id}`;
    }
    const hit = this.bindGroups.get(key);
    if (hit) return hit;
    if (this.bindGroups.size >= MAX_BIND_GROUPS) {
      this.bindGroups.clear();
      this.bindGroupsOf.clear();
    }
    const group = this.device.createBindGroup({
      layout: p.layout,
      entries: [
        { binding: 0, resource: { buffer: this.arena, offset: slot * this.slotBytes, size: count * this.slotBytes } },
        ...buffers.map((b, i) => ({ binding: i + 1, resource: { buffer: b.buffer } })),
      ],
    });
    this.bindGroupsCreated++;
    this.bindGroups.set(key, group);
    for (const b of new Set(buffers.map((s) => s.buffer))) {
      const keys = this.bindGroupsOf.get(b);
      if (keys) keys.push(key);
      else this.bindGroupsOf.set(b, [key]);
    }
    return group;
  }

  private forgetBindGroups(buffer: GPUBuffer): void {
    for (const key of this.bindGroupsOf.get(buffer) ?? []) this.bindGroups.delete(key);
    this.bindGroupsOf.delete(buffer);
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
    const { slot, count } = this.writeParams(params);
    const bindGroup = this.bindGroup(pipeline, slot, count, buffers);
    this.encoder ??= this.device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline.pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y);
    if (++this.pending >= DISPATCHES_PER_SUBMIT) this.flush();
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** dst[0, n) = src[0, n), queued in order with the dispatches. */
  copy(src: GpuStorage, dst: GpuStorage, length: number): void {
    this.copyRange(src, 0, dst, 0, length);
  }

  /** dst[dstAt, dstAt + n) = src[srcAt, srcAt + n) (offsets and n in float32 elements), queued in
   * order with the dispatches. Consecutive copies share one break between compute passes. */
  copyRange(src: GpuStorage, srcAt: number, dst: GpuStorage, dstAt: number, length: number): void {
    if (length <= 0) return;
    this.requireLive(src);
    this.requireLive(dst);
    if (srcAt < 0 || dstAt < 0 || srcAt + length > src.length || dstAt + length > dst.length) {
      throw new Error(`copy of ${length} values from ${srcAt} of ${src.length} to ${dstAt} of ${dst.length} is out of range`);
    }
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src.buffer, srcAt * 4, dst.buffer, dstAt * 4, length * 4);
  }

  /** Submit whatever has been queued, after the parameters its dispatches read. */
  flush(): void {
    this.endPass();
    if (!this.encoder) return;
    if (this.slots > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaWords.buffer, 0, this.slots * this.slotBytes);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pending = 0;
    this.slots = 0;
  }

  /** Copy a storage to host memory (one mapAsync, through a pooled staging buffer), as float64. */
  async read(src: GpuStorage): Promise<Float64Array> {
    this.requireLive(src);
    const bytes = sizeClass(src.length * 4);
    let staging = this.staging.get(bytes)?.pop();
    if (staging) {
      this.stagingBuffers--;
      this.stagingBytes -= bytes;
    } else {
      staging = this.device.createBuffer({ size: bytes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    }
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src.buffer, 0, staging, 0, bytes);
    this.flush();
    let out: Float64Array;
    try {
      await staging.mapAsync(MAP_READ);
      out = Float64Array.from(new Float32Array(staging.getMappedRange(), 0, src.length));
      staging.unmap();
    } catch (e) {
      staging.destroy();
      throw e;
    }
    const list = this.staging.get(bytes);
    if (list) list.push(staging);
    else this.staging.set(bytes, [staging]);
    this.stagingBuffers++;
    this.stagingBytes += bytes;
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
