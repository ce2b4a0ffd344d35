import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** The page script's entry: TypeScript, type-checked with the rest of src (DOM types included). */
const ENTRY = fileURLToPath(new URL('./client/main.ts', import.meta.url));
/** The package root: esbuild names each bundled module in a comment relative to it, so the script
 * (and the report) is the same whatever the working directory. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let bundled: string | null = null;

/**
 * The page's script, inlined into every report: src/report/client/ bundled by esbuild into one
 * classic script (an IIFE, not minified), built on first use and kept for the process. Static
 * code: no value from results.json is ever part of it (the page reads its data from the JSON
 * blocks). Throws if the bundle could end the inline <script> element early.
 */
export function clientScript(): string {
  if (bundled === null) {
    const out = buildSync({
      entryPoints: [ENTRY],
      absWorkingDir: ROOT,
      bundle: true,
      format: 'iife',
      minify: false,
      platform: 'browser',
      target: 'es2020',
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    const text = out.outputFiles[0].text;
    if (/<\/script|<!--/i.test(text)) throw new Error('the report client bundle contains "</script" or "<!--": it cannot be inlined');
    bundled = text;
  }
  return bundled;
}
