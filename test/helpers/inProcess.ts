import { vi } from 'vitest';
import { main } from '../../src/cli/program.ts';

/** gradlab's main() in this process, its output captured: what the binary does, without a
 * second of start-up per call (the binary itself is tested elsewhere; main() is all it runs). */
export async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
