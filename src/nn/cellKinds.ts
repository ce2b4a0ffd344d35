/** The recurrent cells, named as torch's modes: nn.RNN(nonlinearity=tanh|relu), nn.LSTM, nn.GRU. */
export const CELL_KINDS = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/** Gate blocks stacked in each weight matrix: G in torch's [G*H, ...] layout. */
export function gateCount(cell: CellKind): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

export function isCellKind(value: unknown): value is CellKind {
  return typeof value === 'string' && (CELL_KINDS as readonly string[]).includes(value);
}
