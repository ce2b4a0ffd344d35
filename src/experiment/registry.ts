import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register as registerCjs } from 'tsx/cjs/api';
import { register as registerEsm, type ScopedImport } from 'tsx/esm/api';
import { parseDocument } from 'yaml';
import { ExperimentError, firstLine } from './resolve.ts';

/** The shipped experiment definitions live in experiments/*.ts, one per file. */
export const EXPERIMENTS_DIR = fileURLToPath(new URL('../../experiments', import.meta.url));

export function listExperimentNames(): string[] {
  return readdirSync(EXPERIMENTS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

const PLAIN = 'export a plain object (no getters or proxies)';

/** Deeper than any definition (they nest ~4 levels): a runaway structure stops here. */
const MAX_DEPTH = 32;

/**
 * A user's default export copied into plain data, so that nothing of the user's code (a getter,
 * a Proxy trap, a toJSON) runs later, inside validation or a worker thread: a throw while reading
 * it is reported here, naming the file and the field. Own enumerable keys only, as JSON sees an
 * object; functions, symbols and bigints are kept as they are for the schema to refuse by name.
 */
function toPlainData(value: unknown, file: string, path: string, ancestors: readonly object[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  const where = path.replace(/^\./, '') || 'its top';
  if (ancestors.includes(value)) throw new ExperimentError(`${file}: the default export refers to itself at ${where}; ${PLAIN}`);
  if (ancestors.length >= MAX_DEPTH) throw new ExperimentError(`${file}: the default export nests deeper than ${MAX_DEPTH} levels at ${where}; ${PLAIN}`);
  const inside = [...ancestors, value];
  const read = (key: string | number, get: () => unknown): unknown => {
    const at = typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;
    let v: unknown;
    try {
      v = get();
    } catch (e) {
      throw new ExperimentError(`${file}: reading the default export's ${at.replace(/^\./, '')} threw: ${firstLine(e)}; ${PLAIN}`);
    }
    return toPlainData(v, file, at, inside);
  };
  try {
    if (Array.isArray(value)) return value.map((_, i) => read(i, () => (value as unknown[])[i]));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = read(key, () => (value as Record<string, unknown>)[key]);
    return out;
  } catch (e) {
    if (e instanceof ExperimentError) throw e;
    // Object.keys or Array.isArray on a Proxy can throw too.
    throw new ExperimentError(`${file}: reading the default export${path ? `'s ${where}` : ''} threw: ${firstLine(e)}; ${PLAIN}`);
  }
}

let definitionImport: ScopedImport | null = null;

/**
 * tsx's loaders in a namespace of their own, ESM and CommonJS, registered once: what tsx's
 * tsImport does on every call (a fresh namespace each time, so every definition would load its
 * imports, zod and our sources, again). Through them a .ts file compiles and imports the same
 * way whatever folder it is in: plain `import()` runs a .ts file outside an ESM package (no
 * package.json, or "type": "commonjs") through require(), which fails under the ESM loader that
 * bin/gradlab.js registers with ERR_REQUIRE_CYCLE_MODULE, even for a valid file.
 */
function scopedImport(): ScopedImport {
  if (!definitionImport) {
    const namespace = 'gradlab-definitions';
    registerCjs({ namespace });
    definitionImport = registerEsm({ namespace }).import;
  }
  return definitionImport;
}

/**
 * A module's default export, as plain data. A file in a CommonJS scope comes back as a CommonJS
 * module whose exports object is the namespace's default, `{ __esModule: true, default: ... }`.
 */
async function importDefault(file: string): Promise<unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = (await scopedImport()(file, import.meta.url)) as Record<string, unknown>;
  } catch (e) {
    throw new ExperimentError(`${file}: cannot load it: ${loadErrorLine(e, file)}`);
  }
  let value: unknown;
  try {
    value = mod.default;
    if (isCommonJsNamespace(value)) value = value.default;
  } catch (e) {
    throw new ExperimentError(`${file}: reading the default export threw: ${firstLine(e)}; ${PLAIN}`);
  }
  if (value === undefined) throw new ExperimentError(`${file}: no default export; write export default { name: ..., ... } (or defineExperiment({...}))`);
  return toPlainData(value, file, '', []);
}

function isCommonJsNamespace(v: unknown): v is { default: unknown } {
  return typeof v === 'object' && v !== null && (v as { __esModule?: unknown }).__esModule === true;
}

/** The first informative line of a load error: esbuild's "Transform failed with 1 error:" header
 * is skipped for the line with the position, whose path is the file already named. */
function loadErrorLine(e: unknown, file: string): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !/^Transform failed with \d+ errors?:?$/.test(l));
  const line = lines[0] ?? firstLine(e);
  if (line.startsWith(`${file}:`)) return `line ${line.slice(file.length + 1)}`;
  // Node names the importer, which is this file, not the user's.
  return line.replace(/\?namespace=[\w-]+/g, '').replace(/ (imported )?from \S*registry\.ts$/, '');
}

/**
 * A .yaml/.yml definition as plain data. YAML 1.2's core schema (the yaml package's default):
 * `yes`/`no` stay strings, 3e-4 is a number, a repeated key is an error rather than a silent
 * overwrite, and alias expansion is capped (a "billion laughs" file fails instead of filling
 * memory). The first parse error is reported as one line, file:line:col and the problem.
 */
function loadYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExperimentError(`experiment file ${file}: ${firstLine(e)}`);
  }
  const doc = parseDocument(text);
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    // The message repeats the position and quotes the source below it; the position leads here.
    const what = firstLine(error).replace(/ at line \d+, column \d+:?$/, '');
    throw new ExperimentError(`experiment file ${file}${at ? `:${at.line}:${at.col}` : ''}: ${what}`);
  }
  try {
    return doc.toJS();
  } catch (e) {
    // toJS throws when aliases expand past the cap.
    throw new ExperimentError(`experiment file ${file}: ${firstLine(e)}`);
  }
}

/**
 * An experiment by shipped name, or from a path to a .ts (default export), .json or .yaml/.yml
 * file. Returns the raw definition as plain data; resolveExperiment validates it.
 */
export async function loadExperiment(nameOrPath: string): Promise<unknown> {
  const ext = extname(nameOrPath);
  if (ext === '.json') {
    try {
      return JSON.parse(readFileSync(nameOrPath, 'utf8')) as unknown;
    } catch (e) {
      throw new ExperimentError(`experiment file ${nameOrPath}: ${firstLine(e)}`);
    }
  }
  if (ext === '.yaml' || ext === '.yml') return loadYaml(nameOrPath);
  if (ext === '.ts' || ext === '.js' || ext === '.mjs') return importDefault(resolve(nameOrPath));
  const names = listExperimentNames();
  if (!names.includes(nameOrPath)) {
    throw new ExperimentError(`unknown experiment "${nameOrPath}"; choose one of ${names.join(', ')}, or give a path to a .ts, .json or .yaml file`);
  }
  return importDefault(join(EXPERIMENTS_DIR, `${nameOrPath}.ts`));
}
