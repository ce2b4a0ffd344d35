/**
 * "Stop at the next step boundary", raised by a signal handler in the main thread and read by
 * every run, worker threads included: a flag in shared memory, because a worker busy training
 * never gets to read a message, while a shared Int32 is read in nanoseconds every step.
 */
export class StopFlag {
  readonly cell: Int32Array;

  constructor(shared: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.cell = new Int32Array(shared);
  }

  get shared(): SharedArrayBuffer {
    return this.cell.buffer as SharedArrayBuffer;
  }

  raise(): void {
    Atomics.store(this.cell, 0, 1);
  }

  get raised(): boolean {
    return Atomics.load(this.cell, 0) === 1;
  }
}
