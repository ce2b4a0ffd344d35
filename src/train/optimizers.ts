import { zeros } from '../tensor/create.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** torch.optim.SGD: momentum, dampening, Nesterov, L2 weight decay added to the gradient. */
export interface SgdConfig {
  name: 'sgd';
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** torch.optim.Adam with torch's defaults (lr 1e-3, betas 0.9/0.999, eps 1e-8), L2 weight decay. */
export interface AdamConfig {
  name: 'adam';
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** torch.optim.RMSprop (not centered), torch's defaults (lr 1e-2, alpha 0.99, eps 1e-8). */
export interface RmspropConfig {
  name: 'rmsprop';
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
}

export type OptimizerConfig = SgdConfig | AdamConfig | RmspropConfig;

/** The learning rate a config starts from (schedules scale it). */
export function baseLearningRate(c: OptimizerConfig): number {
  return c.name === 'sgd' ? c.lr : c.name === 'adam' ? (c.lr ?? 1e-3) : (c.lr ?? 1e-2);
}

export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Update every parameter that has a gradient, with this step's learning rate. */
  step(lr: number): void;
  /** Per parameter (in the order given to createOptimizer), its step count and state buffers,
   * or null where it has had no update yet (torch creates state lazily too). */
  state(): (ParamState | null)[];
  /** Put back what state() returned, for an exact resume; buffers are copied into new tensors. */
  loadState(state: readonly (ParamState | null)[]): void;
}

export interface ParamState {
  steps: number;
  buffers: Tensor[];
}

function stateLike(p: Tensor): Tensor {
  return zeros(p.shape, { dtype: p.dtype, backend: p.backend });
}

/** Per-parameter state, created at the parameter's first update (as torch does lazily), with
 * the parameter's own step count: a parameter that first gets a gradient at step 5 starts its
 * momentum buffer and Adam bias correction at its own step 1, as in torch. */
class StateMap {
  private readonly map = new Map<Tensor, ParamState>();

  constructor(private readonly params: readonly Tensor[]) {}

  all(): (ParamState | null)[] {
    return this.params.map((p) => this.map.get(p) ?? null);
  }

  load(state: readonly (ParamState | null)[]): void {
    if (state.length !== this.params.length) throw new Error(`optimizer state has ${state.length} entries for ${this.params.length} parameters`);
    this.map.clear();
    state.forEach((s, i) => {
      if (!s) return;
      const p = this.params[i];
      for (const b of s.buffers) {
        if (b.size !== p.size) throw new Error(`optimizer state ${i}: a buffer of ${b.size} values for a parameter of ${p.size}`);
      }
      this.map.set(p, { steps: s.steps, buffers: s.buffers.map((b) => p.backend.reshape(b, p.shape)) });
    });
  }

  /** The state of `p`, its step count already advanced for this update. */
  next(p: Tensor, count: number): { buffers: Tensor[]; steps: number } {
    let s = this.map.get(p);
    if (!s) {
      s = { buffers: Array.from({ length: count }, () => stateLike(p)), steps: 0 };
      this.map.set(p, s);
    }
    s.steps++;
    return s;
  }
}

export function createOptimizer(params: readonly Tensor[], config: OptimizerConfig): Optimizer {
  const state = new StateMap(params);
  const withGrads = () => params.filter((p) => p.grad !== null);
  const persistence = {
    state: () => state.all(),
    loadState: (s: readonly (ParamState | null)[]) => state.load(s),
  };
  switch (config.name) {
    case 'sgd': {
      const momentum = config.momentum ?? 0;
      const dampening = config.dampening ?? 0;
      const nesterov = config.nesterov ?? false;
      if (nesterov && (momentum <= 0 || dampening !== 0)) {
        throw new Error('optimizer.nesterov needs momentum > 0 and dampening 0 (as torch requires)');
      }
      return {
        config,
        ...persistence,
        step(lr) {
          for (const p of withGrads()) {
            const s = state.next(p, 1);
            const buf = momentum !== 0 ? s.buffers[0] : null;
            p.backend.sgdStep(p, p.grad!, buf, { lr, momentum, dampening, nesterov, weightDecay: config.weightDecay ?? 0, firstStep: s.steps === 1 });
          }
        },
      };
    }
    case 'adam': {
      const hyper = { beta1: config.beta1 ?? 0.9, beta2: config.beta2 ?? 0.999, eps: config.eps ?? 1e-8, weightDecay: config.weightDecay ?? 0 };
      return {
        config,
        ...persistence,
        step(lr) {
          for (const p of withGrads()) {
            const { buffers: [m, v], steps } = state.next(p, 2);
            p.backend.adamStep(p, p.grad!, m, v, { ...hyper, lr, step: steps });
          }
        },
      };
    }
    case 'rmsprop': {
      const hyper = { alpha: config.alpha ?? 0.99, eps: config.eps ?? 1e-8, weightDecay: config.weightDecay ?? 0, momentum: config.momentum ?? 0 };
      return {
        config,
        ...persistence,
        step(lr) {
          for (const p of withGrads()) {
            const [sq, buf] = state.next(p, 2).buffers;
            p.backend.rmspropStep(p, p.grad!, sq, hyper.momentum > 0 ? buf : null, { ...hyper, lr });
          }
        },
      };
    }
  }
}
