import { constants as bufferConstants } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { writeFileAtomic } from './atomicWrite.ts';

/**
 * huggingface safetensors: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * (name -> {dtype, shape, data_offsets}, optional "__metadata__": {string: string}, maybe padded
 * with spaces), then the data buffer. The reader is as strict as the reference Rust crate: a file
 * it accepts is one torch/Python users could have written, and any other is refused in one line.
 */

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
export interface SafeTensor {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** values converted to float64 (F16/BF16 converted exactly; integers must be exact in float64 or it is an error) */
  readonly data: Float64Array;
}
export interface SafetensorsFile {
  /** in file order of data offsets */
  readonly tensors: ReadonlyMap<string, SafeTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}
export type WritableDType = 'F64' | 'F32';
export interface TensorToWrite { readonly dtype: WritableDType; readonly shape: readonly number[]; readonly data: ArrayLike<number> }

/** Every problem with a file, as one line that names the file, the tensor or field, and what is wrong. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    // Names and JSON.parse's messages may hold line breaks or run long; callers print one line.
    const line = message.replace(/[\r\n\u2028\u2029]+/g, ' ');
    super(line.length > 480 ? `${line.slice(0, 479)}…` : line);
    this.name = 'SafetensorsError';
  }
}
type Fail = (message: string) => never;
const failFor = (what: string): Fail => (message) => { throw new SafetensorsError(`${what}: ${message}`); };

const ITEM_SIZE: Readonly<Record<SafetensorsDType, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const DTYPES = Object.keys(ITEM_SIZE).join(', ');
const isDType = (v: unknown): v is SafetensorsDType => typeof v === 'string' && Object.hasOwn(ITEM_SIZE, v);
/** The Rust crate's MAX_HEADER_SIZE: a larger length field is corruption, not a header to allocate. */
const MAX_HEADER = 100_000_000;
const MAX_FILE = 8 * 2 ** 30;
const FIELDS = ['dtype', 'shape', 'data_offsets'];
/** serde_json refuses a \ud800 escape without its pair; such a name has no UTF-8 spelling to write back. */
const LONE_SURROGATE = /\p{Cs}/u;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A name for a message: quoted, escaped (no line breaks), and short. */
const q = (s: string): string => { const j = JSON.stringify(s); return j.length <= 62 ? j : `${j.slice(0, 60)}…"`; };
const describe = (v: unknown): string => typeof v === 'string' ? `the string ${q(v)}` : Array.isArray(v) ? `an array of length ${v.length}`
  : v === null ? 'null' : typeof v === 'object' ? 'an object' : `the ${typeof v} ${String(v)}`;
const fmt = (shape: readonly unknown[]): string => `[${shape.map(String).join(', ')}]`;
/** BigInt like the Rust crate's checked usize arithmetic: an element count past 2^64 is an error, not a wrap. */
const U64_MAX = 2n ** 64n - 1n;

/**
 * One pass over header text that JSON.parse has accepted, for what JSON.parse hides: duplicate
 * keys (it keeps the last silently; a name listed twice would lose a tensor), the top-level keys
 * in file order (a JS object lists integer-like keys first), and numbers not written as plain
 * integers ("2.0", "1e3", "-0": JSON.parse makes integers of them, serde refuses them for usize).
 */
function scanHeader(text: string): { keys: string[]; duplicate?: string; inexact: Map<string, string> } {
  const keys: string[] = [];
  const inexact = new Map<string, string>();
  const open: (Set<string> | null)[] = []; // the keys seen in each open object; null for an array
  let expectKey = false;
  let top = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const seen = open[open.length - 1];
      if (expectKey && seen) {
        const key = JSON.parse(text.slice(i, j + 1)) as string; // "a" and "\u0061" are the same key
        if (seen.has(key)) return { keys, inexact, duplicate: open.length === 1 ? `name ${q(key)}` : `key ${q(key)} inside ${q(top)}` };
        seen.add(key);
        if (open.length === 1) keys.push((top = key));
      }
      expectKey = false;
      i = j;
    } else if (c === '{') {
      open.push(new Set());
      expectKey = true;
    } else if (c === '[') open.push(null);
    else if (c === '}' || c === ']') open.pop();
    else if (c === ',') expectKey = open[open.length - 1] !== null;
    else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && '0123456789.eE+-'.includes(text[j])) j++;
      const literal = text.slice(i, j);
      if (!/^\d+$/.test(literal) && !inexact.has(top)) inexact.set(top, literal);
      i = j - 1;
    }
  }
  return { keys, inexact };
}

interface Entry { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }

function readEntry(name: string, value: unknown, bufferLength: number, inexact: string | undefined, fail: Fail): Entry {
  const at = `tensor ${q(name)}`;
  if (LONE_SURROGATE.test(name)) fail(`${at}: the name holds an unpaired UTF-16 surrogate escape`);
  if (!isObject(value)) return fail(`${at}: the entry must be an object with dtype, shape and data_offsets, found ${describe(value)}`);
  // Unknown fields are refused (serde's deny_unknown_fields): a misspelt field must not be ignored.
  for (const key of Object.keys(value)) if (!FIELDS.includes(key)) fail(`${at}: unknown field ${q(key)} (allowed: ${FIELDS.join(', ')})`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isDType(dtype)) return fail(`${at}: dtype ${describe(dtype)} is not one of ${DTYPES}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) return fail(`${at}: shape must be an array of non-negative integers, found ${Array.isArray(shape) ? fmt(shape) : describe(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return fail(`${at}: data_offsets must be [begin, end] of non-negative integers, found ${Array.isArray(offsets) ? fmt(offsets) : describe(offsets)}`);
  }
  if (inexact !== undefined) fail(`${at}: the number ${inexact} must be written as a plain non-negative integer`);
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${at}: data_offsets [${begin}, ${end}] begin after they end`);
  if (end > bufferLength) fail(`${at}: data_offsets [${begin}, ${end}] run past the end of the ${bufferLength}-byte data buffer`);
  let count = 1n;
  for (const d of shape) if ((count *= BigInt(d)) > U64_MAX) fail(`${at}: shape ${fmt(shape)} has more than 2^64 elements`);
  const needs = count * BigInt(ITEM_SIZE[dtype]);
  if (needs !== BigInt(end - begin)) fail(`${at}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape ${fmt(shape)} of ${dtype} needs ${needs}`);
  return { name, dtype, shape, begin, end };
}

function readMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (!isObject(value)) return fail(`"__metadata__" must be an object of strings, found ${describe(value)}`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`"__metadata__" value of ${q(k)} must be a string, found ${describe(v)}`);
    if (LONE_SURROGATE.test(k + v)) fail(`"__metadata__" entry ${q(k)} holds an unpaired UTF-16 surrogate escape`);
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>)); // fromEntries: "__proto__" stays a plain key
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer); // same buffer and host order: bits in, float out, on any host
/** IEEE half: every value (subnormals, ±Inf, NaN) is exact in float64. */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}
const LIMIT = 2n ** 53n;
/** Element readers: little-endian whatever the host. undefined: a value float64 cannot hold (or BOOL not 0/1). */
const READ: Readonly<Record<SafetensorsDType, (v: DataView, at: number) => number | undefined>> = {
  F64: (v, at) => v.getFloat64(at, true),
  F32: (v, at) => v.getFloat32(at, true),
  F16: (v, at) => half(v.getUint16(at, true)),
  BF16: (v, at) => { u32[0] = v.getUint16(at, true) << 16; return f32[0]; },
  I64: (v, at) => { const x = v.getBigInt64(at, true); return x > LIMIT || x < -LIMIT ? undefined : Number(x); },
  I32: (v, at) => v.getInt32(at, true),
  I16: (v, at) => v.getInt16(at, true),
  I8: (v, at) => v.getInt8(at),
  U8: (v, at) => v.getUint8(at),
  BOOL: (v, at) => { const b = v.getUint8(at); return b <= 1 ? b : undefined; },
};

export function decodeSafetensors(bytes: Uint8Array, what: string): SafetensorsFile {
  const fail: Fail = failFor(what);
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(`header length ${n64} is over the ${MAX_HEADER}-byte limit`);
  const n = Number(n64);
  if (n > bytes.length - 8) fail(`header length ${n} runs past the end of the file (${bytes.length - 8} bytes follow the length)`);
  let text: string;
  try {
    // fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM keeps a BOM, so '{' must come first.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`the header must be a JSON object starting with '{', it ${text ? `starts with ${q(text.slice(0, 8))}` : 'is empty'}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(header)) return fail('the header is not a JSON object'); // unreachable after '{', kept for the types
  const scan = scanHeader(text);
  if (scan.duplicate) fail(`the header lists the ${scan.duplicate} twice`);
  const bufferLength = bytes.length - 8 - n;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const name of scan.keys) {
    if (name === '__metadata__') metadata = readMetadata(header[name], fail);
    else entries.push(readEntry(name, header[name], bufferLength, scan.inexact.get(name), fail));
  }
  // The tensors must tile the buffer: no byte held twice, none held by nobody (a hole or trailing
  // bytes would be data no reader sees). Stable sort: same-offset empty tensors keep header order.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let reached = 0;
  for (const [i, e] of entries.entries()) {
    const at = `tensor ${q(e.name)}: data_offsets [${e.begin}, ${e.end}]`;
    if (e.begin > reached) fail(`${at} leave bytes ${reached}..${e.begin} of the data buffer to no tensor`);
    if (e.begin < reached) fail(`${at} overlap tensor ${q(entries[i - 1].name)} [${entries[i - 1].begin}, ${entries[i - 1].end}]`);
    reached = e.end;
  }
  if (reached !== bufferLength) fail(`the tensors end at byte ${reached} of the ${bufferLength}-byte data buffer: ${bufferLength - reached} trailing bytes belong to no tensor`);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const size = ITEM_SIZE[e.dtype];
    const read = READ[e.dtype];
    const data = new Float64Array((e.end - e.begin) / size);
    for (let i = 0, at = 8 + n + e.begin; i < data.length; i++, at += size) {
      const x = read(view, at);
      if (x === undefined) {
        fail(`tensor ${q(e.name)}: element ${i} ${e.dtype === 'BOOL' ? `is byte ${view.getUint8(at)}; BOOL must be 0 or 1` : `is ${view.getBigInt64(at, true)}, beyond ±2^53 (not exact in float64)`}`);
      }
      data[i] = x;
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

/** Reads a file (errors reading it become SafetensorsError naming the path); refuses files over 8 GiB. */
export function readSafetensorsFile(path: string): SafetensorsFile {
  let fd: number | undefined;
  let bytes: Uint8Array;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const gib = (size / 2 ** 30).toFixed(1);
    if (size > MAX_FILE) failFor(path)(`the file is ${gib} GiB; files over 8 GiB are refused`);
    // readFileSync stops at 2 GiB; a typed array stops at buffer.constants.MAX_LENGTH (4 GiB on Node 20).
    if (size > bufferConstants.MAX_LENGTH) failFor(path)(`the file is ${gib} GiB, more than this Node.js holds in one buffer (${bufferConstants.MAX_LENGTH} bytes)`);
    bytes = new Uint8Array(size);
    let got = 0;
    for (let k = 1; got < size && k > 0; got += k) k = readSync(fd, bytes, got, Math.min(size - got, 2 ** 30), null);
    bytes = bytes.subarray(0, got); // a file that shrank meanwhile reads as truncated, and is refused as such
  } catch (e) {
    if (e instanceof SafetensorsError) throw e;
    return failFor(path)(`cannot read the file (${e instanceof Error ? e.message : String(e)})`); // Node's message starts with the code, e.g. ENOENT
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return decodeSafetensors(bytes, path);
}

function encode(what: string, tensors: ReadonlyMap<string, TensorToWrite>, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const fail: Fail = failFor(what);
  // Built as text, not via an object: a JS object would move integer-like names first and treat "__proto__" specially.
  const parts: string[] = [];
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail(`"__metadata__" value of ${q(k)} must be a string, found ${describe(v)}`);
      if (LONE_SURROGATE.test(k + v)) fail(`"__metadata__" entry ${q(k)} holds an unpaired UTF-16 surrogate, which UTF-8 cannot hold`);
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  const placed: { t: TensorToWrite; at: number }[] = [];
  for (const [name, t] of tensors) {
    const at = `tensor ${q(name)}`;
    if (name === '__metadata__') fail(`${at}: the name is reserved for the metadata`);
    if (LONE_SURROGATE.test(name)) fail(`${at}: the name holds an unpaired UTF-16 surrogate, which UTF-8 cannot hold`);
    if (t.dtype !== 'F64' && t.dtype !== 'F32') fail(`${at}: can write F64 or F32, not ${describe(t.dtype)}`);
    if (!t.shape.every(isCount)) fail(`${at}: shape ${fmt(t.shape)} must hold non-negative integers`);
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (t.data.length !== count) fail(`${at}: data has ${t.data.length} values but shape ${fmt(t.shape)} needs ${count}`);
    const size = count * ITEM_SIZE[t.dtype];
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + size}]}`);
    placed.push({ t, at: offset });
    offset += size;
  }
  const header = new TextEncoder().encode(`{${parts.join(',')}}`);
  // Spaces up to a multiple of 8, as the Rust writer pads: the buffer then starts 8-byte aligned.
  const n = header.length + ((8 - (header.length % 8)) % 8);
  if (n > MAX_HEADER) fail(`the header would be ${n} bytes, over the ${MAX_HEADER}-byte limit readers enforce`);
  if (8 + n + offset > bufferConstants.MAX_LENGTH) fail(`the file would be ${8 + n + offset} bytes, more than one buffer holds`);
  const out = new Uint8Array(8 + n + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(n), true);
  out.set(header, 8);
  out.fill(0x20, 8 + header.length, 8 + n);
  for (const { t, at } of placed) {
    const base = 8 + n + at;
    if (t.dtype === 'F64') for (let i = 0; i < t.data.length; i++) view.setFloat64(base + 8 * i, t.data[i], true);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(base + 4 * i, t.data[i], true); // rounds as Math.fround
  }
  return out;
}

/** Tensors in the map's order; the header is padded with spaces so the data buffer starts 8-byte aligned. */
export function encodeSafetensors(tensors: ReadonlyMap<string, TensorToWrite>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  return encode('encodeSafetensors', tensors, metadata);
}

/** Atomic: readers see the old file or the new one, never half of it. */
export function writeSafetensorsFile(path: string, tensors: ReadonlyMap<string, TensorToWrite>, metadata?: Readonly<Record<string, string>>): void {
  const bytes = encode(path, tensors, metadata);
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    failFor(path)(`cannot write the file (${e instanceof Error ? e.message : String(e)})`);
  }
}
