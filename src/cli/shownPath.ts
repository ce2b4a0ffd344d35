import { isAbsolute, relative } from 'node:path';

/** A path as the user reads it best: relative below the current directory, absolute elsewhere. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
