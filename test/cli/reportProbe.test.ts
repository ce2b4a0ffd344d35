import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/durable.ts';
import { runMain } from '../helpers/inProcess.ts';
import { probeResults } from '../report/probeFixtures.ts';

describe('gradlab report on a probe folder', () => {
  it('renders the probe page from its results.json, and refuses a damaged one in one line', async () => {
    const dir = tempDir('gradlab-report-probe-');
    try {
      writeFileSync(join(dir, 'results.json'), JSON.stringify(probeResults('lstm', 2)));
      const ok = await runMain(['report', dir]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('gradlab.probe/1');
      const before = statSync(join(dir, 'index.html')).mtimeMs;
      const broken = { ...probeResults('gru', 1), layers: 'none' };
      writeFileSync(join(dir, 'results.json'), JSON.stringify(broken));
      const bad = await runMain(['report', join(dir, 'results.json')]);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toContain('is not a gradlab probe file');
      expect(bad.stderr).toContain('layers');
      expect(statSync(join(dir, 'index.html')).mtimeMs).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
