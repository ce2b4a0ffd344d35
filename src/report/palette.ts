/** Colours shared by the experiment and probe reports. */

/** Variant colours: Tableau 10, then 10 more from Tableau 20 (a sweep of 12 must not repeat a
 * colour); the same variant has the same colour in every chart. */
export const PALETTE = ['#4e79a7', '#e15759', '#59a14f', '#f28e2b', '#76b7b2', '#b07aa1', '#edc948', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f5f8b', '#a0cbe8', '#8cd17d', '#b6992d', '#499894', '#d37295', '#79706e', '#ffbe7d', '#86bcb6', '#d4a6c8'];

/** Gate colours by name (torch's gate letters), the same in every layer's and report's charts. */
const GATE_COLORS: Record<string, string> = {
  i: '#4e79a7', f: '#59a14f', g: '#f28e2b', o: '#b07aa1',
  r: '#e15759', z: '#76b7b2', n: '#edc948', h: '#9c755f',
};

export function gateColor(name: string, index: number): string {
  return Object.hasOwn(GATE_COLORS, name) ? GATE_COLORS[name] : PALETTE[index % PALETTE.length];
}
