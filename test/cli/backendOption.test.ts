import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuWasmStatus } from '../../src/backends/cpu/index.ts';
import { comparable, tempDir, TINY, writeDefinition } from '../helpers/durable.ts';
import { runMain } from '../helpers/inProcess.ts';

const SMALL = { ...TINY, name: 'backend-option', steps: 8, logEvery: 4 };

function numerics(dir: string): { manifest: unknown; env: string } {
  const manifest = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { numerics: unknown }).numerics;
  const env = (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { env: { backend: string } }).env.backend;
  return { manifest, env };
}

describe('--backend', () => {
  it('names the allowed values in one line otherwise', async () => {
    for (const cmd of [['experiment', writeDefinition(SMALL), '--dry-run'], ['grad', '--case', '/nonexistent.json']]) {
      const r = await runMain([...cmd, '--backend', 'wasm']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('gradlab: --backend must be cpu, cpu-js or webgpu, got "wasm"\n');
    }
  });

  it('cpu-js runs the JavaScript kernels, in worker threads too, and the manifest says so; cpu records the wasm build', async () => {
    const def = writeDefinition(SMALL);
    const run = async (backend: string, workers: number): Promise<string> => {
      const out = join(tempDir('gradlab-backend-'), 'out');
      const r = await runMain(['experiment', def, '--backend', backend, '--workers', String(workers), '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      return out;
    };
    const [js1, js2, wasm2] = [await run('cpu-js', 1), await run('cpu-js', 2), await run('cpu', 2)];
    expect(numerics(js1)).toEqual({ manifest: { backend: 'cpu-js', kernels: 'javascript' }, env: 'cpu-js' });
    expect(numerics(js2)).toEqual(numerics(js1));
    expect(numerics(wasm2)).toEqual({ manifest: { backend: 'cpu-wasm', kernels: cpuWasmStatus }, env: 'cpu-wasm' });
    // The threads ran what the manifest says: the same bits as cpu-js in this thread, and not the
    // bits of the wasm kernels (float32 sums in another order).
    expect(comparable(js2)).toBe(comparable(js1));
    expect(comparable(wasm2)).not.toBe(comparable(js1));
  });
});
