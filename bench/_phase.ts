import { cpu } from '../src/backends/cpu/index.ts';
import { gemmNT } from '../src/backends/cpu/sequence.ts';
import { tensor } from '../src/tensor/create.ts';
const B = 32, T = 100, I = 2;
for (const [cell, G] of [['lstm', 4], ['rnn_tanh', 1]] as const) for (const H of [32, 64]) {
  const GH = G * H;
  const r = () => Math.random() * 0.2 - 0.1;
  const mk = (n: number, shape: number[]) => tensor(Float64Array.from({ length: n }, r), shape, { dtype: 'float32' });
  const w = { wIh: mk(GH * I, [GH, I]), wHh: mk(GH * H, [GH, H]), bIh: mk(GH, [GH]), bHh: mk(GH, [GH]) };
  const xs = Array.from({ length: T }, () => mk(B * I, [B, I]));
  const h0 = mk(B * H, [B, H]); const c0 = mk(B * H, [B, H]);
  const dhs = xs.map((_, t) => (t === T - 1 ? mk(B * H, [B, H]) : null));
  let tf = 0, tb = 0, tg = 0;
  const a = new Float64Array(B * H), wm = new Float64Array(GH * H), c = new Float64Array(B * GH);
  for (let rep = 0; rep < 30; rep++) {
    if (process.env.GC) (globalThis as any).gc();
    let t0 = performance.now();
    const { tape } = cpu.sequenceForward(cell, xs, h0, cell === 'lstm' ? c0 : null, w);
    let t1 = performance.now();
    cpu.sequenceBackward(tape, dhs, false);
    let t2 = performance.now();
    for (let t = 0; t < T; t++) gemmNT(a, 0, wm, 0, c, 0, B, GH, H);
    let t3 = performance.now();
    if (rep >= 10) { tf += t1 - t0; tb += t2 - t1; tg += t3 - t2; }
  }
  const flop = 2 * B * GH * H * T;
  console.log(cell, H, `fwd ${(tf / 20).toFixed(1)} ms, bwd ${(tb / 20).toFixed(1)} ms, T fwd-shaped gemms alone ${(tg / 20).toFixed(1)} ms = ${(flop / (tg / 20) / 1e6).toFixed(2)} GFLOP/s`);
}
