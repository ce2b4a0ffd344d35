import { Command, CommanderError } from 'commander';
import { vi } from 'vitest';
import { registerExport } from '../../src/cli/export.ts';
import { oneLine } from '../../src/cli/program.ts';
import { printable } from '../../src/cli/terminalText.ts';
import { UsageError } from '../../src/cli/usageError.ts';

/**
 * `gradlab export ...` in-process, with main()'s handling of errors (src/cli/program.ts): a
 * UsageError or commander error is one line on stderr and exit code 2.
 */
export async function gradlabExport(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const program = new Command('gradlab')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`gradlab: ${printable(oneLine(text.replace(/^error: /, '')))}\n`) });
  registerExport(program);
  try {
    await program.parseAsync(['export', ...args], { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode === 0 ? 0 : 2, stdout, stderr };
    if (e instanceof UsageError) {
      process.stderr.write(`gradlab: ${printable(oneLine(e.message))}\n`);
      return { code: 2, stdout, stderr };
    }
    throw e;
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
