import { GRU } from './gru.ts';
import { INDRNN } from './indrnn.ts';
import { LSTM } from './lstm.ts';
import { RNN_RELU, RNN_TANH } from './rnn.ts';
import type { CellSpec } from './spec.ts';

/**
 * Every cell gradlab runs: the one table a new cell is registered in. The keys are the names
 * users write (`cell: lstm`), torch's mode names where torch has the cell.
 */
export const CELL_SPECS = {
  rnn_tanh: RNN_TANH,
  rnn_relu: RNN_RELU,
  lstm: LSTM,
  gru: GRU,
  indrnn: INDRNN,
} as const satisfies Record<string, CellSpec>;

export type CellKind = keyof typeof CELL_SPECS;

export const CELL_KINDS = Object.keys(CELL_SPECS) as readonly CellKind[];

export function isCellKind(value: unknown): value is CellKind {
  return typeof value === 'string' && Object.hasOwn(CELL_SPECS, value);
}

export function cellSpec(kind: CellKind): CellSpec {
  return CELL_SPECS[kind];
}

/** G: gate blocks stacked in each weight matrix, torch's [G·H, ...] layout. */
export function gateCount(kind: CellKind): number {
  return CELL_SPECS[kind].gates.length;
}
