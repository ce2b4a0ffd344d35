import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, SafetensorsError, type SafetensorsDType, type SafetensorsFile } from '../../src/io/safetensors.ts';

/**
 * Malformed files, generated: the decoder must refuse each with a SafetensorsError of one short
 * line naming the file, and never let a RangeError/TypeError/SyntaxError escape. Valid files are
 * assembled here from structured parts, independently of the encoder (which writes only F32/F64).
 */

const WHAT = 'fuzz.safetensors';
const SIZE: Record<SafetensorsDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const DTYPES = Object.keys(SIZE) as SafetensorsDType[];
let malformed = 0;

interface Tensor { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }
/** A file before assembly: tensors in offset order, each field as raw JSON text so mutations can write "2.0" or repeat a key. */
interface Model {
  entries: { name: string; rawName?: string; fields: [string, string][]; raw?: string }[];
  rotate: number; // header order: the entries rotated, so header order differs from offset order
  metadata?: string;
  data: Uint8Array;
  pad: number;
  tensors: Tensor[];
}

const fieldsOf = (t: Tensor): [string, string][] =>
  [['dtype', JSON.stringify(t.dtype)], ['shape', JSON.stringify(t.shape)], ['data_offsets', JSON.stringify([t.begin, t.end])]];

function headerText(m: Model): string {
  const entries = m.entries.map((e) => `${e.rawName ?? JSON.stringify(e.name)}:${e.raw ?? `{${e.fields.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`}`);
  const k = entries.length ? m.rotate % entries.length : 0;
  const ordered = [...entries.slice(k), ...entries.slice(0, k)];
  if (m.metadata !== undefined) ordered.splice(m.rotate % (ordered.length + 1), 0, `"__metadata__":${m.metadata}`);
  return `{${ordered.join(',')}}${' '.repeat(m.pad)}`;
}
function assemble(header: Uint8Array, data: Uint8Array, length = BigInt(header.length)): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length, true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}
const bytesOf = (m: Model): Uint8Array => assemble(new TextEncoder().encode(headerText(m)), m.data);

const tensorArb = fc.record({
  name: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('w', '0', 'é', '😀')).filter((s) => s !== '__metadata__'),
  dtype: fc.constantFrom(...DTYPES),
  shape: fc.array(fc.nat({ max: 3 }), { maxLength: 3 }),
}).chain((t) => {
  const n = t.shape.reduce((a, d) => a * d, 1) * SIZE[t.dtype];
  return fc.uint8Array({ minLength: n, maxLength: n }).map((bytes) => {
    // Keep the data valid: BOOL is 0/1, I64 stays within ±2^47 (sign-extended top bytes).
    if (t.dtype === 'BOOL') bytes.forEach((b, i) => { bytes[i] = b & 1; });
    if (t.dtype === 'I64') for (let i = 0; i < bytes.length; i += 8) bytes[i + 6] = bytes[i + 7] = bytes[i + 5] & 0x80 ? 0xff : 0;
    return { ...t, bytes };
  });
});
const metadataArb = fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }).map((d) => JSON.stringify(d)), { nil: undefined });
const modelArb = fc.record({
  tensors: fc.uniqueArray(tensorArb, { selector: (t) => t.name, minLength: 1, maxLength: 4 }),
  metadata: metadataArb,
  rotate: fc.nat({ max: 7 }),
  pad: fc.nat({ max: 7 }),
}).map(({ tensors, metadata, rotate, pad }): Model => {
  let at = 0;
  const placed = tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, begin: at, end: (at += t.bytes.length) }));
  const data = new Uint8Array(at);
  tensors.forEach((t, i) => data.set(t.bytes, placed[i].begin));
  return { entries: placed.map((t) => ({ name: t.name, fields: fieldsOf(t) })), rotate, metadata, data, pad, tensors: placed };
});

function rejected(bytes: Uint8Array): void {
  malformed++;
  let error: unknown;
  try {
    decodeSafetensors(bytes, WHAT);
  } catch (e) {
    error = e;
  }
  if (!(error instanceof SafetensorsError)) throw new Error(`expected a SafetensorsError, got ${error === undefined ? 'a decoded file' : String(error)}`);
  checkMessage(error.message);
}
function checkMessage(message: string): void {
  if (message.includes('\n') || !message.startsWith(`${WHAT}: `) || message.length >= 500) throw new Error(`malformed message: ${JSON.stringify(message)}`);
}
/** For mutations that may leave the file valid: a SafetensorsError, or a result that tiles the buffer. */
function eitherWay(bytes: Uint8Array): SafetensorsFile | undefined {
  try {
    const got = decodeSafetensors(bytes, WHAT);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    let total = 0;
    for (const t of got.tensors.values()) {
      expect(t.data.length).toBe(t.shape.reduce((a, d) => a * d, 1));
      total += t.data.length * SIZE[t.dtype];
    }
    expect(total).toBe(bytes.length - 8 - n);
    return got;
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    checkMessage(e.message);
    return undefined;
  }
}
const xor = fc.integer({ min: 1, max: 255 });

describe('fuzz: decodeSafetensors refuses malformed files in one line, and nothing else escapes', () => {
  it('the generated files are valid (so each mutation below is what breaks them)', () => {
    fc.assert(fc.property(modelArb, (m) => {
      const got = decodeSafetensors(bytesOf(m), WHAT);
      // In offset order; empty tensors sharing an offset keep header order, which differs here.
      const begins = [...got.tensors.keys()].map((name) => m.tensors.find((t) => t.name === name)?.begin);
      expect(begins).toEqual(m.tensors.map((t) => t.begin));
      expect([...got.tensors.keys()].sort()).toEqual(m.tensors.map((t) => t.name).sort());
    }), { numRuns: 100 });
  });

  it('truncated anywhere, or extended', () => {
    fc.assert(fc.property(modelArb, fc.nat(), (m, cut) => {
      const bytes = bytesOf(m);
      rejected(bytes.subarray(0, cut % bytes.length));
    }), { numRuns: 100 });
    fc.assert(fc.property(modelArb, fc.uint8Array({ minLength: 1, maxLength: 9 }), (m, extra) => {
      rejected(Uint8Array.from([...bytesOf(m), ...extra]));
    }), { numRuns: 40 });
  });

  it('a flipped byte in the length; a length past the file, up to 2^64 - 1', () => {
    fc.assert(fc.property(modelArb, fc.nat({ max: 7 }), xor, (m, i, x) => {
      const bytes = bytesOf(m);
      bytes[i] ^= x;
      rejected(bytes);
    }), { numRuns: 60 });
    fc.assert(fc.property(modelArb, fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.constantFrom(1n, 2n ** 63n, 2n ** 64n - 1n, 100_000_001n)), (m, over) => {
      const bytes = bytesOf(m);
      const n = BigInt(bytes.length - 8) + over;
      new DataView(bytes.buffer).setBigUint64(0, n > 2n ** 64n - 1n ? 2n ** 64n - 1n : n, true);
      rejected(bytes);
    }), { numRuns: 40 });
  });

  it('flipped bytes in the header (which may leave it valid: a padding space turned into a tab)', () => {
    fc.assert(fc.property(modelArb, fc.array(fc.tuple(fc.nat(), xor), { minLength: 1, maxLength: 3 }), (m, flips) => {
      const bytes = bytesOf(m);
      const n = bytes.length - 8 - m.data.length;
      for (const [at, x] of flips) bytes[8 + (at % n)] ^= x;
      malformed++;
      eitherWay(bytes);
    }), { numRuns: 100 });
  });

  it('flipped bytes in the data: still valid, unless they made a BOOL other than 0/1 or an I64 past 2^53', () => {
    fc.assert(fc.property(modelArb, fc.nat(), xor, (m, at, x) => {
      const bytes = bytesOf(m);
      if (m.data.length === 0) return void decodeSafetensors(bytes, WHAT);
      const offset = at % m.data.length;
      bytes[bytes.length - m.data.length + offset] ^= x;
      const hit = m.tensors.find((t) => t.begin <= offset && offset < t.end);
      if (hit?.dtype === 'BOOL' || hit?.dtype === 'I64') eitherWay(bytes);
      else expect([...decodeSafetensors(bytes, WHAT).tensors.keys()].sort()).toEqual(m.tensors.map((t) => t.name).sort());
    }), { numRuns: 40 });
  });

  /** Each mutation of a model's structure; every one leaves the file invalid. `k` picks a tensor, `r` a variant. */
  const MUTATIONS: Record<string, (m: Model, k: number, r: number) => Uint8Array> = {
    overlap(m, k, r) { // shift a later tensor back onto its predecessor: the sizes no longer fit the (shorter) buffer
      const later = m.tensors.findIndex((t, i) => i >= 1 && t.begin > 0 && i >= k % m.tensors.length);
      const i = later >= 0 ? later : m.tensors.findIndex((t) => t.begin > 0);
      if (i < 0) return MUTATIONS.trailing(m, k, r);
      const d = 1 + (r % m.tensors[i].begin);
      m.tensors.slice(i).forEach((t) => { t.begin -= d; t.end -= d; });
      return rebuild(m, m.data.subarray(0, m.data.length - d));
    },
    hole(m, k, r) { // d unused bytes before tensor k, the later ones shifted past them
      const i = k % m.tensors.length;
      const d = 1 + (r % 8);
      const at = m.tensors[i].begin;
      m.tensors.slice(i).forEach((t) => { t.begin += d; t.end += d; });
      return rebuild(m, Uint8Array.from([...m.data.subarray(0, at), ...new Uint8Array(d), ...m.data.subarray(at)]));
    },
    trailing: (m, _k, r) => rebuild(m, Uint8Array.from([...m.data, ...new Uint8Array(1 + (r % 8))])),
    outOfRange(m, k, r) {
      const t = m.tensors[k % m.tensors.length];
      t.end = m.data.length + 1 + (r % 1000);
      return rebuild(m, m.data);
    },
    reversed(m, k) {
      const t = m.tensors.find((u, i) => u.begin < u.end && i >= k % m.tensors.length) ?? m.tensors.find((u) => u.begin < u.end);
      if (t) [t.begin, t.end] = [t.end, t.begin];
      else [m.tensors[0].begin, m.tensors[0].end] = [1, 0];
      return rebuild(m, m.data);
    },
    byteCount(m, k, r) { // still tiling the buffer, but tensor k holds d bytes more or fewer than its shape needs
      const i = k % m.tensors.length;
      const t = m.tensors[i];
      const d = 1 + (r % 3);
      const shrink = r % 2 === 0 && t.end - t.begin >= d;
      const after = m.tensors.slice(i + 1);
      if (shrink) {
        const data = Uint8Array.from([...m.data.subarray(0, t.end - d), ...m.data.subarray(t.end)]);
        t.end -= d;
        after.forEach((u) => { u.begin -= d; u.end -= d; });
        return rebuild(m, data);
      }
      const data = Uint8Array.from([...m.data.subarray(0, t.end), ...new Uint8Array(d), ...m.data.subarray(t.end)]);
      t.end += d;
      after.forEach((u) => { u.begin += d; u.end += d; });
      return rebuild(m, data);
    },
    badDtype: (m, k, r) => field(m, k, 'dtype', pick(r, ['"F8"', '"f32"', '"FLOAT32"', '""', '"U16"', '"F8_E4M3"', '"C64"', '32', 'null', '["F32"]', '{}', '"F32 "'])),
    badShape(m, k, r) {
      const t = m.tensors[k % m.tensors.length];
      const bad = pick(r, ['-1', '1.5', '"2"', 'null', '9007199254740992', '1e300', '18446744073709551616', '[2]', 'true']);
      const shape = t.shape.length ? t.shape.map((d, j) => (j === r % t.shape.length ? bad : String(d))) : [bad];
      return field(m, k, 'shape', r % 7 === 0 ? pick(r >> 3, ['"[2]"', '{}', '2', 'null']) : `[${shape.join(',')}]`);
    },
    inexactLiteral(m, k, r) { // 2.0 / 2e0 / -0 where an integer belongs: JSON.parse makes integers of them, serde does not
      const t = m.tensors[k % m.tensors.length];
      const spell = (v: number) => (v === 0 && r % 5 === 0 ? '-0' : `${v}${pick(r, ['.0', 'e0', 'E+0', '.00', 'e-0'])}`);
      if (t.shape.length && r % 2 === 0) return field(m, k, 'shape', `[${t.shape.map((d, j) => (j === (r >> 1) % t.shape.length ? spell(d) : String(d))).join(',')}]`);
      return field(m, k, 'data_offsets', r % 4 < 2 ? `[${spell(t.begin)},${t.end}]` : `[${t.begin},${spell(t.end)}]`);
    },
    unknownField: (m, k, r) => { entryOf(m, k).fields.splice(r % 4, 0, pick<[string, string]>(r, [['extra', '1'], ['Dtype', '"F32"'], ['data_offset', '[0,0]'], ['__metadata__', '{}']])); return bytesOf(m); },
    missingField: (m, k, r) => { entryOf(m, k).fields.splice(r % 3, 1); return bytesOf(m); },
    badOffsets: (m, k, r) => field(m, k, 'data_offsets', pick(r, ['[0]', '[0,1,2]', '"0,8"', 'null', '[-1,4]', '[0.5,4]', '{}', '[]', '[0,"8"]'])),
    entryNotObject: (m, k, r) => { entryOf(m, k).raw = pick(r, ['[]', '1', '"F32"', 'null', 'true', '[{"dtype":"F32"}]']); return bytesOf(m); },
    metadataNonString: (m, _k, r) => { m.metadata = pick(r, ['{"a":1}', '{"a":null}', '{"a":["x"]}', '{"a":{"b":"c"}}', '{"a":true}', '{"k":"v","a":0}']); return bytesOf(m); },
    metadataNotObject: (m, _k, r) => { m.metadata = pick(r, ['[]', '"x"', '1', 'null', '[["a","b"]]', 'false']); return bytesOf(m); },
    duplicateName(m, k, r) { // the same entry twice: JSON.parse would keep one, silently
      const e = entryOf(m, k);
      const units = [...Array(e.name.length).keys()].map((i) => `\\u${e.name.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
      m.entries.splice(r % (m.entries.length + 1), 0, { ...e, rawName: r % 2 && e.name ? `"${units}"` : undefined });
      return bytesOf(m);
    },
    duplicateField: (m, k, r) => { const e = entryOf(m, k); e.fields.push(e.fields[r % 3]); return bytesOf(m); },
    duplicateMetadataKey: (m, _k, r) => { m.metadata = pick(r, ['{"a":"1","a":"2"}', '{"a":"1","b":"","a":"1"}', '{"\\u0061":"x","a":"x"}']); return bytesOf(m); },
    loneSurrogate: (m, k, r) => { entryOf(m, k).rawName = pick(r, ['"\\ud800"', '"x\\udfff"', '"\\ud83d"']); return bytesOf(m); },
    notAnObject: (m, _k, r) => assemble(new TextEncoder().encode(pick(r, ['[]', '1', '"x"', 'null', 'true', ' {}', '\t{}', '[{}]', '', '{', '{}x', '{"a":}', '\ufeff{}'])), m.data),
    invalidUtf8(m, k, r) { // any of these inserted anywhere breaks UTF-8 (a continuation byte too many, a bad lead, an overlong or surrogate form)
      const header = new TextEncoder().encode(headerText(m));
      const at = 1 + (k % (header.length - 1));
      const bad = pick(r, [[0xff], [0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xfe], [0xc3]]);
      return assemble(Uint8Array.from([...header.subarray(0, at), ...bad, ...header.subarray(at)]), m.data);
    },
  };
  const pick = <T,>(r: number, options: readonly T[]): T => options[r % options.length];
  const entryOf = (m: Model, k: number) => m.entries[k % m.entries.length];
  const field = (m: Model, k: number, key: string, raw: string): Uint8Array => {
    const e = entryOf(m, k);
    e.fields = e.fields.map(([f, v]) => [f, f === key ? raw : v]);
    return bytesOf(m);
  };
  const rebuild = (m: Model, data: Uint8Array): Uint8Array => {
    m.entries = m.tensors.map((t) => ({ name: t.name, fields: fieldsOf(t) }));
    m.data = data;
    return bytesOf(m);
  };

  it('broken structure: offsets, byte counts, dtypes, shapes, fields, metadata, duplicates, non-objects, bad UTF-8', () => {
    const seen = new Set<string>();
    fc.assert(fc.property(modelArb, fc.constantFrom(...Object.keys(MUTATIONS)), fc.nat(), fc.nat(), (model, kind, k, r) => {
      seen.add(kind);
      rejected(MUTATIONS[kind](structuredClone(model), k, r)); // a copy: shrinking may hand the same model back
    }), { numRuns: 300 });
    expect(seen.size).toBe(Object.keys(MUTATIONS).length);
  });

  it(`ran at least 500 malformed files`, () => {
    expect(malformed).toBeGreaterThanOrEqual(500);
  });
});
