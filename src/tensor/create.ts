import type { Backend } from '../backends/backend.ts';
import { defaultBackend } from './defaultBackend.ts';
import type { DType } from './dtype.ts';
import { numel, type Shape } from './shape.ts';
import type { Rng } from './rng.ts';
import type { Tensor } from './tensor.ts';

export interface CreateOptions {
  dtype?: DType;
  /** Default: defaultBackend() (set at the entry point). */
  backend?: Backend;
  requiresGrad?: boolean;
  name?: string;
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  t.requiresGrad = opts.requiresGrad ?? false;
  t.name = opts.name;
  return t;
}

export function tensor(values: ArrayLike<number>, shape: Shape, opts: CreateOptions = {}): Tensor {
  if (values.length !== numel(shape)) {
    throw new Error(`${values.length} values do not fill shape [${shape.join(', ')}]`);
  }
  return finish((opts.backend ?? defaultBackend()).fromValues(values, shape, opts.dtype ?? 'float32'), opts);
}

export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  return finish((opts.backend ?? defaultBackend()).full(shape, opts.dtype ?? 'float32', value), opts);
}

export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

/** Values drawn from `sample` in row-major order (so a seed fixes every element). */
export function sampled(shape: Shape, sample: () => number, opts: CreateOptions = {}): Tensor {
  const values = new Float64Array(numel(shape));
  for (let i = 0; i < values.length; i++) values[i] = sample();
  return tensor(values, shape, opts);
}

export function randn(shape: Shape, rng: Rng, opts: CreateOptions = {}): Tensor {
  return sampled(shape, () => rng.normal(), opts);
}

export function uniform(shape: Shape, low: number, high: number, rng: Rng, opts: CreateOptions = {}): Tensor {
  return sampled(shape, () => rng.uniformIn(low, high), opts);
}
