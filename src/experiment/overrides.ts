import type { z } from 'zod';
import { zodLine } from '../io/zodLine.ts';
import { experimentSchema, type ResolvedExperiment } from './config.ts';
import { ExperimentError, resolveExperiment, type RunOverrides } from './resolve.ts';

/**
 * Command-line edits of an experiment: `--set path=value` on the raw definition (before
 * validation, so the strict schema still checks every field and results.json's `config` records
 * what ran) and `--variant <glob>` on the resolved variant names (after "{T}" is filled in, so a
 * pattern matches the names the report shows).
 */

/** One step of a `--set` path: a field, a list index, or the list element with a given name. */
export type SetStep =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'name'; name: string };

/** A parsed `--set path=value`. */
export interface SetAssignment {
  /** The argument as given, for messages. */
  arg: string;
  steps: SetStep[];
  value: unknown;
}

/** The argument as messages show it: one line, and short enough that a long JSON value does not
 * push the actual problem off the screen. */
function shown(arg: string): string {
  const flat = arg.replace(/\s*[\r\n]+\s*/g, ' ');
  return flat.length > 100 ? `${flat.slice(0, 97)}...` : flat;
}

function fail(arg: string, problem: string): never {
  throw new ExperimentError(`--set ${shown(arg)}: ${problem}`);
}

/** Keys that would reach Object.prototype through a plain object's setter instead of naming a
 * field; no definition has such a field, so refusing them costs nothing. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

const INDEX = /^(0|[1-9]\d*)$/;

/**
 * `path=value` into its steps and value. The path ends at the first `=` outside brackets, so a
 * selector such as `variants[name=lstm T=100]` may hold `=`. The value is JSON when it parses as
 * JSON (numbers, booleans, null, arrays, objects, "quoted strings"), otherwise the text itself,
 * so `--set name=my-run` needs no quotes but `--set 'name="123"'` keeps a numeric-looking name a
 * string.
 */
export function parseSet(arg: string): SetAssignment {
  const steps: SetStep[] = [];
  let i = 0;
  const keyAt = (): string => {
    const start = i;
    while (i < arg.length && !'.[]='.includes(arg[i])) i++;
    const key = arg.slice(start, i);
    if (key === '') {
      const at = arg[i] === undefined ? 'at the end' : `before "${arg[i]}"`;
      fail(arg, steps.length === 0 && arg[i] === '=' ? 'empty path; write path=value, e.g. --set steps=500' : `empty field name ${at} in the path`);
    }
    if (FORBIDDEN_KEYS.has(key)) fail(arg, `"${key}" is not a field of an experiment definition`);
    return key;
  };
  if (arg[0] === '[') fail(arg, 'the path must start with a field name, e.g. variants[0].cell');
  steps.push({ kind: 'key', key: keyAt() });
  for (;;) {
    const c = arg[i];
    if (c === undefined) fail(arg, 'expected path=value, e.g. --set steps=500 (no "=" found)');
    if (c === '=') break;
    if (c === '.') {
      i++;
      steps.push({ kind: 'key', key: keyAt() });
    } else if (c === '[') {
      steps.push(selectorAt());
    } else {
      fail(arg, `unexpected "${c}" in the path`);
    }
  }
  const text = arg.slice(i + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  return { arg, steps, value };

  /** `[N]`, or `[name=...]` (the name up to `]`, or a JSON string when it starts with a quote,
   * for a name that holds `]`). */
  function selectorAt(): SetStep {
    const open = i;
    i++;
    if (arg.startsWith('name=', i)) {
      i += 'name='.length;
      let name: string;
      if (arg[i] === '"') {
        const m = /^"(?:[^"\\]|\\.)*"/.exec(arg.slice(i));
        if (!m) fail(arg, `unterminated quoted name in "${arg.slice(open)}"`);
        name = JSON.parse(m[0]) as string;
        i += m[0].length;
        if (arg[i] !== ']') fail(arg, `expected "]" after the quoted name ${m[0]}`);
      } else {
        const close = arg.indexOf(']', i);
        if (close < 0) fail(arg, `missing "]" after "${arg.slice(open)}"`);
        name = arg.slice(i, close);
        i = close;
      }
      i++;
      if (name === '') fail(arg, 'empty name in [name=]');
      return { kind: 'name', name };
    }
    const close = arg.indexOf(']', i);
    if (close < 0) fail(arg, `missing "]" after "${arg.slice(open)}"`);
    const inside = arg.slice(i, close);
    if (!INDEX.test(inside) || !Number.isSafeInteger(Number(inside))) {
      fail(arg, `bad index "[${inside}]": write [0], [1], ... (counting from 0) or [name=<variant name>]`);
    }
    i = close + 1;
    return { kind: 'index', index: Number(inside) };
  }
}

/** A path as the user would write it, for messages: `variants[1].clip`. */
function pathText(steps: readonly SetStep[]): string {
  return steps.map((s, k) => {
    if (s.kind === 'index') return `[${s.index}]`;
    if (s.kind === 'name') return `[name=${s.name}]`;
    return k === 0 ? s.key : `.${s.key}`;
  }).join('');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)})`;
  // A class instance (a YAML !!binary Buffer, say): plain data only has objects and lists.
  if (typeof v === 'object') return `a ${(v as { constructor?: { name?: string } }).constructor?.name ?? 'non-plain'} instance`;
  return `${/^[aeiou]/.test(typeof v) ? 'an' : 'a'} ${typeof v} (${String(v)})`;
}

/** The names a variant answers to in `[name=...]`: as written, and with "{T}" replaced by its
 * sequence length as resolve.ts does (the variant's task, else the defaults' task, else the
 * experiment's), so `variants[name=lstm T=100]` picks one of several "lstm T={T}". --quick's T
 * is not applied: --set edits the definition, whatever size then runs. */
function namesOf(root: unknown, element: unknown): string[] {
  if (!isPlainObject(element) || typeof element.name !== 'string') return [];
  const name = element.name;
  if (!name.includes('{T}') || !isPlainObject(root)) return [name];
  const taskT = (task: unknown): unknown => (isPlainObject(task) ? task.T : undefined);
  const defaults = isPlainObject(root.defaults) ? root.defaults : {};
  const own = element.task !== undefined ? element.task : defaults.task;
  const T = taskT(own) ?? taskT(root.task);
  return T === undefined ? [name] : [name, name.replaceAll('{T}', String(T))];
}

/**
 * `value` written at `steps` into a copy of `root`: only the objects and lists along the path
 * are copied, everything else is shared (it is never written). Missing fields on the way are
 * created as objects; a step into a number, string, null or a list by field name is refused.
 * Returns the new root and the concrete path (names resolved to indices), which is what zod's
 * issue paths are compared with.
 */
function assign(root: unknown, a: SetAssignment): { root: unknown; path: (string | number)[] } {
  const path: (string | number)[] = [];
  const at = (node: unknown, k: number): unknown => {
    if (k === a.steps.length) return a.value;
    const step = a.steps[k];
    const where = k === 0 ? 'the definition' : pathText(a.steps.slice(0, k));
    if (node === undefined) {
      // Only a field can be created: a list element needs the list to exist first.
      if (step.kind !== 'key') fail(a.arg, `${where} does not exist, so it has no ${pathText([step])}`);
      node = {};
    }
    if (Array.isArray(node)) {
      let index: number;
      if (step.kind === 'index') index = step.index;
      else if (step.kind === 'key' && INDEX.test(step.key)) index = Number(step.key);
      else if (step.kind === 'name') index = byName(node, step.name, where);
      else fail(a.arg, `${where} is a list: pick an element with ${where}[0] or ${where}[name=...], not .${step.key}`);
      // One past the end appends, so --set can add a variant; further out is surely a typo.
      if (index > node.length) {
        fail(a.arg, `${where} has ${node.length} element(s) ([0] to [${node.length - 1}]); [${index}] is out of range ([${node.length}] would add one)`);
      }
      path.push(index);
      const copy = node.slice();
      copy[index] = at(node[index], k + 1);
      return copy;
    }
    if (isPlainObject(node)) {
      if (step.kind !== 'key') fail(a.arg, `${where} is an object, not a list, so it has no ${pathText([step])}`);
      path.push(step.key);
      // Spread and a computed key define own properties: no setter (of __proto__ or another
      // inherited one) runs.
      return { ...node, [step.key]: at(Object.hasOwn(node, step.key) ? node[step.key] : undefined, k + 1) };
    }
    const field = step.kind === 'key' ? `field "${step.key}"` : `element ${pathText([step])}`;
    return fail(a.arg, `${where} is ${describe(node)}, not an object, so it has no ${field}`);
  };
  const byName = (list: readonly unknown[], name: string, where: string): number => {
    const hits = list.flatMap((el, j) => (namesOf(root, el).includes(name) ? [j] : []));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) fail(a.arg, `${where}[name=${name}] matches ${hits.map((j) => `[${j}]`).join(', ')}; pick one by index`);
    const names = list.flatMap((el) => namesOf(root, el).slice(-1)).map((n) => JSON.stringify(n));
    return fail(a.arg, `${where} has no element named ${JSON.stringify(name)}; the names are ${names.join(', ') || '(none)'}`);
  };
  return { root: at(root, 0), path };
}

type Issue = z.core.$ZodIssue;

/** Where an issue points, down to the key for "Unrecognized key" (zod puts those on the
 * object), so that it lines up with the --set path that added the key. */
function issuePath(issue: Issue): PropertyKey[] {
  return issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...issue.path, issue.keys[0]] : [...issue.path];
}

function commonPrefix(a: readonly PropertyKey[], b: readonly PropertyKey[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** The schema's verdict on `value`: null when it is valid or cannot be read (resolve.ts then
 * reports that as it always does). */
function schemaError(value: unknown): z.ZodError | null {
  try {
    const r = experimentSchema.safeParse(value);
    return r.success ? null : r.error;
  } catch {
    return null;
  }
}

/**
 * Apply `--set path=value` edits in order to a raw experiment definition; returns a new
 * definition and never mutates `definition`. A malformed argument, a path through a non-object
 * or to a list element that does not exist, and a result the strict schema refuses (an unknown
 * key, a value out of range) throw an ExperimentError of one line naming the --set argument,
 * e.g. `--set defaults.optimizer.lrr=3: experiment.defaults.optimizer: Unrecognized key: "lrr"`.
 *
 * A schema problem the definition already had without the edits is left for resolveExperiment to
 * report as the definition's own, rather than blamed on an innocent --set. Checks across
 * fields that run after the schema (accumulation dividing the batch, a variant's task
 * settings, the size limits) report the field as usual.
 */
export function applySets(definition: unknown, sets: readonly string[]): unknown {
  if (sets.length === 0) return definition;
  const assignments = sets.map(parseSet);
  let root = definition;
  const paths: (string | number)[][] = [];
  for (const a of assignments) {
    const r = assign(root, a);
    root = r.root;
    paths.push(r.path);
  }
  const error = schemaError(root);
  if (!error) return root;
  const first = error.issues[0];
  const key = (i: Issue): string => `${JSON.stringify(issuePath(i).map(String))} ${i.message}`;
  const before = schemaError(definition);
  if (before?.issues.some((i) => key(i) === key(first))) return root;
  // The edit whose path shares the most with the issue's (the last on a tie: it wrote last).
  const at = issuePath(first);
  let best = -1;
  let bestLength = 0;
  paths.forEach((p, k) => {
    const n = commonPrefix(p, at);
    if (n > 0 && n >= bestLength) {
      best = k;
      bestLength = n;
    }
  });
  const blamed = best >= 0 ? [assignments[best]] : assignments;
  throw new ExperimentError(`${blamed.map((a) => `--set ${shown(a.arg)}`).join(' ')}: ${zodLine('experiment', error)}`);
}

/** A glob (`*` any run of characters, `?` one character, everything else literal) as a regular
 * expression over the whole name. */
function globRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'su');
}

/** The indices of `names` that any pattern matches (in the experiment's order); a pattern that
 * matches nothing is an error listing the names, since it is almost surely a typo. */
function matchingIndices(names: readonly string[], patterns: readonly string[]): number[] {
  const keep = new Set<number>();
  for (const pattern of patterns) {
    if (pattern === '') throw new ExperimentError('--variant: empty pattern; give a variant name or a glob such as \'lstm*\'');
    const re = globRegExp(pattern);
    // An exact name always matches, whatever it holds: "lstm, forget bias 3, T=30" or a name
    // with a literal "*" or "?".
    const hits = names.flatMap((n, i) => (n === pattern || re.test(n) ? [i] : []));
    if (hits.length === 0) {
      const listed = names.slice(0, 30).map((n) => JSON.stringify(n)).join(', ');
      const more = names.length > 30 ? `, and ${names.length - 30} more` : '';
      throw new ExperimentError(`--variant ${JSON.stringify(pattern)}: matches no variant; the variants are ${listed}${more}`);
    }
    for (const i of hits) keep.add(i);
  }
  return [...keep].sort((a, b) => a - b);
}

/**
 * Keep only the variants whose resolved name matches one of `patterns` (globs with `*` and `?`,
 * or exact names), in the experiment's order. No patterns keeps every variant. Pure: returns a
 * new experiment. A pattern that matches no variant throws an ExperimentError of one line
 * listing the variant names.
 */
export function selectVariants(exp: ResolvedExperiment, patterns: readonly string[]): ResolvedExperiment {
  if (patterns.length === 0) return exp;
  const keep = matchingIndices(exp.variants.map((v) => v.name), patterns);
  return { ...exp, variants: keep.map((i) => exp.variants[i]) };
}

/**
 * selectVariants done on the raw definition: the definition with only the variants whose
 * resolved names (under the same overrides, e.g. --quick) match `patterns`. For the CLI, which
 * then validates the smaller definition: the size estimate, the limits and the tasks it builds
 * are those of the variants that will run, not of all of them. A variant resolves from itself,
 * the defaults and the task alone, so dropping others leaves it exactly as it was.
 */
export function selectDefinitionVariants(definition: unknown, patterns: readonly string[], overrides: RunOverrides = {}): unknown {
  if (patterns.length === 0) return definition;
  const exp = resolveExperiment(definition, overrides);
  const keep = matchingIndices(exp.variants.map((v) => v.name), patterns);
  // resolveExperiment succeeded, so the definition is an object with a list of variants, one per
  // resolved variant in the same order.
  const def = definition as Record<string, unknown> & { variants: unknown[] };
  // A claim is judged on its variants' runs: one whose variants are not all kept has nothing to
  // be judged on, and goes with them.
  const kept = new Set(keep.flatMap((i) => [exp.variants[i].name, (def.variants[i] as { name: string }).name]));
  const claims = exp.claims.length === 0 ? undefined : (def.claims as { rules: { variant: string }[] }[])
    .filter((_, i) => exp.claims[i].rules.every((r) => kept.has(r.variant)));
  return { ...def, variants: keep.map((i) => def.variants[i]), ...(claims ? { claims } : {}) };
}
