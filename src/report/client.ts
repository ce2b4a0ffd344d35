import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** Each page's script entry: TypeScript, type-checked with the rest of src (DOM types included).
 * main: an experiment's report; probe: `gradlab probe`'s report. */
const ENTRIES = {
  main: fileURLToPath(new URL('./client/main.ts', import.meta.url)),
  probe: fileURLToPath(new URL('./client/probeMain.ts', import.meta.url)),
};
export type ClientEntry = keyof typeof ENTRIES;
/** The package root: esbuild names each bundled module in a comment relative to it, so the script
 * (and the report) is the same whatever the working directory. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const bundled = new Map<ClientEntry, string>();

/**
 * A page's script, inlined into every report: the entry and what it imports from
 * src/report/client/ bundled by esbuild into one classic script (an IIFE, not minified), built
 * on first use and kept for the process. Static code: no value from results.json is ever part
 * of it (the page reads its data from the JSON blocks). Throws if the bundle could end the
 * inline <script> element early.
 */
export function clientScript(entry: ClientEntry = 'main'): string {
  let text = bundled.get(entry);
  if (text === undefined) {
    const out = buildSync({
      entryPoints: [ENTRIES[entry]],
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
    text = out.outputFiles[0].text;
    if (/<\/script|<!--/i.test(text)) throw new Error('the report client bundle contains "</script" or "<!--": it cannot be inlined');
    bundled.set(entry, text);
  }
  return text;
}
