import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { ExperimentError } from './resolve.ts';

/** The shipped experiment definitions live in experiments/*.ts, one per file. */
export const EXPERIMENTS_DIR = fileURLToPath(new URL('../../experiments', import.meta.url));

export function listExperimentNames(): string[] {
  return readdirSync(EXPERIMENTS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

async function importDefault(file: string): Promise<unknown> {
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (mod.default === undefined) throw new ExperimentError(`${file}: no default export (export default defineExperiment({...}))`);
  return mod.default;
}

/**
 * An experiment by shipped name, or from a path to a .ts (default export) or .json file.
 * Returns the raw definition; resolveExperiment validates it.
 */
export async function loadExperiment(nameOrPath: string): Promise<unknown> {
  const ext = extname(nameOrPath);
  if (ext === '.json') {
    try {
      return JSON.parse(readFileSync(nameOrPath, 'utf8')) as unknown;
    } catch (e) {
      throw new ExperimentError(`experiment file ${nameOrPath}: ${(e as Error).message}`);
    }
  }
  if (ext === '.ts' || ext === '.js' || ext === '.mjs') return importDefault(resolve(nameOrPath));
  const names = listExperimentNames();
  if (!names.includes(nameOrPath)) {
    throw new ExperimentError(`unknown experiment "${nameOrPath}"; choose one of ${names.join(', ')}, or give a path to a .ts or .json file`);
  }
  return importDefault(join(EXPERIMENTS_DIR, `${nameOrPath}.ts`));
}
