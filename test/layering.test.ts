import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * src's top-level folders, top to bottom (docs/ARCHITECTURE.md quotes this table). A folder may
 * import its own line and every line below; never a line above. Two exceptions: tensor may
 * import backends only with `import type` (backends may import tensor at runtime), and io sits
 * just above tensor, not at the bottom, because io/nested.ts formats shapes with tensor/shape.ts.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['experiment', 'export'],
  ['train', 'tasks', 'diagnostics', 'report', 'claims'],
  ['nn'],
  ['ops'],
  ['autograd'],
  ['io'],
  ['tensor', 'backends'],
  ['cells', 'records'],
];

/** The concrete backends: only the edges (cli, experiment) and the backend itself import them at runtime. */
const CONCRETE = /^src\/backends\/(cpu|webgpu)\//;
const EDGES = ['cli', 'experiment'];

interface Import { from: string; to: string; typeOnly: boolean }

/** Every relative import of a file: import, import type, export ... from, and import(). */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (spec: ts.Node | undefined, typeOnly: boolean) => {
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.')) {
      found.push({ from: file, to: relative('.', resolve(dirname(file), spec.text)), typeOnly });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : null;
      add(node.moduleSpecifier, !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly))));
    } else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], false);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, true);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const filesUnder = (dir: string): string[] => readdirSync(dir, { withFileTypes: true, recursive: true })
  .filter((d) => d.isFile() && d.name.endsWith('.ts')).map((d) => relative('.', join(d.parentPath, d.name))).sort();
const folderOf = (path: string): string => path.split('/')[1];
const layerOf = (folder: string): number => LAYERS.findIndex((line) => line.includes(folder));
const imports = filesUnder('src').flatMap(importsOf).filter((i) => i.to.startsWith('src/'));
const list = (violations: Import[]): string => violations.map((i) => `${i.from} -> ${i.to}`).join('\n');

describe('layering', () => {
  it('places every folder under src in LAYERS', () => {
    const folders = readdirSync('src', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.filter((f) => layerOf(f) < 0), 'folders missing from LAYERS').toEqual([]);
  });

  it('imports only sideways and downwards (tensor -> backends: types only)', () => {
    const upward = imports.filter(({ from, to, typeOnly }) => {
      const [a, b] = [folderOf(from), folderOf(to)];
      if (a === 'tensor' && b === 'backends') return !typeOnly;
      return layerOf(b) < layerOf(a);
    });
    expect(list(upward), 'upward imports').toBe('');
  });

  it('imports a concrete backend at runtime only at the edges (cli, experiment) and inside it', () => {
    const concrete = imports.filter(({ from, to, typeOnly }) => !typeOnly && CONCRETE.test(to) && !EDGES.includes(folderOf(from))
      && to.match(CONCRETE)![1] !== from.match(CONCRETE)?.[1]);
    expect(list(concrete), 'runtime imports of a concrete backend').toBe('');
  });
});
