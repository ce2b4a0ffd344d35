import type { Backend } from '../backends/backend.ts';

/**
 * The backend that tensor creation uses when it is given none (src/tensor/create.ts). Nothing
 * below the command line picks a concrete backend: the edges set it once — the CLI's entry
 * (src/cli/main.ts), the worker thread (src/experiment/runWorker.ts), the bench scripts and the
 * test setup (test/helpers/defaultBackend.ts).
 */
let current: Backend | null = null;

/** The backend set by setDefaultBackend; throws when none was set. */
export function defaultBackend(): Backend {
  if (current === null) {
    throw new Error('no default backend: call setDefaultBackend(backend) at the entry point, or pass { backend } explicitly');
  }
  return current;
}

/** Make `backend` the one tensor creation uses when given none. */
export function setDefaultBackend(backend: Backend): void {
  current = backend;
}
