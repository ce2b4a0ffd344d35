import { describe, expect, it } from 'vitest';
import { flopsPerStep, formatTable, gflops, median, SHAPES, summarizeRow } from '../../bench/report.ts';

describe('bench report', () => {
  it('counts 2*B*T*G*H*(2I+3H) matmul FLOPs per training step', () => {
    const small = SHAPES.find((s) => s.name === 'small')!;
    const wide = SHAPES.find((s) => s.name === 'wide')!;
    expect(flopsPerStep(small, 'lstm')).toBe(2 * 3200 * 256 * (2 + 192)); // 317.8 MFLOP
    expect(flopsPerStep(wide, 'lstm')).toBe(2 * 3200 * 512 * (64 + 384)); // 1468 MFLOP
    expect(flopsPerStep(small, 'rnn_tanh')).toBe(flopsPerStep(small, 'lstm') / 4);
    // by hand: forward (I+H), backward dW_ih (I) + dW_hh (H) + dh (H), each 2*N*G*H per unit
    const { B, T, I, H } = { B: 3, T: 5, I: 2, H: 7 };
    const per = 2 * B * T * 4 * H;
    expect(flopsPerStep({ B, T, I, H }, 'lstm')).toBe(per * (I + H) + per * I + per * H + per * H);
    expect(gflops(1e9, 1000)).toBe(1);
  });

  it('takes the fastest variant per peer group and the ratio to the best peer', () => {
    const row = summarizeRow({
      shape: 'small', B: 32, T: 100, I: 1, H: 64, cell: 'lstm', flops: 1,
      gradlab: { medianMs: 100, n: 3, ms: [100, 100, 100] }, gradlabGflops: 0.01,
      variants: {
        'torch-1t': { medianMs: 60, n: 3, ms: [] },
        'torch-2t': { medianMs: 50, n: 3, ms: [] },
        'tfjs-wasm-loop': { error: 'boom' },
        'tfjs-wasm-layers': { medianMs: 40, n: 3, ms: [] },
      },
    });
    expect(row.groups.torch).toEqual({ medianMs: 50, via: 'torch-2t' });
    expect(row.groups['tfjs-wasm']).toEqual({ medianMs: 40, via: 'tfjs-wasm-layers' });
    expect(row.groups['tfjs-cpu']).toEqual({ error: 'not run' });
    expect(row.bestPeer).toEqual({ group: 'tfjs-wasm', via: 'tfjs-wasm-layers', medianMs: 40 });
    expect(row.ratio).toBe(2.5);
    const table = formatTable([row]);
    expect(table.split('\n')).toHaveLength(3);
    expect(table).toContain('2.50x');
    expect(table).toContain('50.0 (2t)');
  });

  it('has no best peer and no ratio when every peer failed', () => {
    const row = summarizeRow({
      shape: 'long', B: 16, T: 400, I: 1, H: 32, cell: 'rnn_tanh', flops: 1,
      gradlab: { medianMs: 10, n: 1, ms: [10] }, gradlabGflops: null,
      variants: { 'torch-1t': { error: 'import torch failed' } },
    });
    expect(row.bestPeer).toBeNull();
    expect(row.ratio).toBeNull();
    expect(row.groups.torch).toEqual({ error: 'torch-1t: import torch failed' });
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
