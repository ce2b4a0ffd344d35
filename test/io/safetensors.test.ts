import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors, encodeSafetensors, readSafetensorsFile, SafetensorsError, writeSafetensorsFile,
  type SafeTensor, type TensorToWrite,
} from '../../src/io/safetensors.ts';
import { runPython } from '../helpers/python.ts';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file from header text and data bytes, assembled here (not by the code under test). */
function file(header: string, data: ArrayLike<number> = []): Uint8Array {
  const text = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(Array.from(data), 8 + text.length);
  return out;
}
const entry = (dtype: string, shape: number[], begin: number, end: number): string =>
  `{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${begin},${end}]}`;

/** Equal element by element as Object.is: NaN equals NaN, -0 differs from 0. */
function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}
const values = (t: SafeTensor | undefined): number[] => Array.from(t?.data ?? []);

function errorOf(f: () => unknown): SafetensorsError {
  try {
    f();
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw new Error(`expected a SafetensorsError, got ${String(e)}`);
    expect(e.message).not.toMatch(/\n/);
    return e;
  }
  throw new Error('expected a SafetensorsError, nothing was thrown');
}

describe('round trip', () => {
  const name = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    fc.constantFrom('0', '10', '2', '__proto__', 'constructor', 'a\nb', '', 'rnn.weight_hh_l0', '😀 ü'),
  ).filter((s) => s !== '__metadata__');
  const value = fc.oneof(
    fc.double(),
    fc.constantFrom(-0, 0, Number.MIN_VALUE, 2 ** -149, 2 ** -126, -(2 ** -140), Infinity, -Infinity, NaN, 3.4028234663852886e38, 1e39, -1e-46),
  );
  const tensor = fc.record({ dtype: fc.constantFrom('F32' as const, 'F64' as const), shape: fc.array(fc.nat({ max: 3 }), { maxLength: 3 }) })
    .chain(({ dtype, shape }) => {
      const n = shape.reduce((a, d) => a * d, 1);
      return fc.array(value, { minLength: n, maxLength: n }).map((data): TensorToWrite => ({ dtype, shape, data }));
    });
  const tensors = fc.uniqueArray(fc.tuple(name, tensor), { selector: ([n]) => n, maxLength: 6 }).map((entries) => new Map(entries));
  const metadata = fc.option(fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 8 }), { maxKeys: 4 }), { nil: undefined });

  it('decode(encode(x)) is x: names and their order, dtypes, shapes, values (F32 after Math.fround), metadata', () => {
    fc.assert(fc.property(tensors, metadata, (map, meta) => {
      const bytes = encodeSafetensors(map, meta);
      const back = decodeSafetensors(bytes, 'roundtrip.safetensors');
      expect([...back.tensors.keys()]).toEqual([...map.keys()]);
      for (const [n, t] of map) {
        const got = back.tensors.get(n);
        expect(got?.dtype).toBe(t.dtype);
        expect(got?.shape).toEqual(t.shape);
        expectSame(values(got), t.dtype === 'F32' ? Array.from(t.data, Math.fround) : Array.from(t.data), `tensor ${JSON.stringify(n)}`);
      }
      const sorted = (r: Readonly<Record<string, string>>) => Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      expect(sorted(back.metadata)).toEqual(sorted(meta ?? {}));
      // The data buffer starts 8-byte aligned, the header padded with spaces, as the Rust writer does.
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + n) % 8).toBe(0);
      const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(header.slice(header.lastIndexOf('}') + 1)).toMatch(/^ {0,7}$/);
    }), { numRuns: 200 });
  });

  it('F64 keeps every bit; F32 rounds as Math.fround', () => {
    const f64 = [0.1, -0, 5e-324, 2 ** 1023 * 1.5, -Infinity, 1 / 3];
    const back = decodeSafetensors(encodeSafetensors(new Map([['d', { dtype: 'F64', shape: [6], data: f64 }], ['s', { dtype: 'F32', shape: [2], data: [0.1, 1e-50] }]])), 'x');
    expectSame(values(back.tensors.get('d')), f64, 'd');
    expectSame(values(back.tensors.get('s')), [0.10000000149011612, 0], 's');
  });

  it('writes and reads a file atomically (no temporary file left beside it)', () => {
    const path = join(dir, 'sub', 'model.safetensors');
    writeSafetensorsFile(path, new Map([['w', { dtype: 'F32', shape: [1, 2], data: [1, 2] }]]), { format: 'pt' });
    const back = readSafetensorsFile(path);
    expect(values(back.tensors.get('w'))).toEqual([1, 2]);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(readdirSync(join(dir, 'sub'))).toEqual(['model.safetensors']);
  });
});

describe('known bytes', () => {
  it('F16, BF16, I64, BOOL, I32, I16, I8, U8 from literal bytes to literal values', () => {
    // Header keys out of offset order, padded with spaces; the map comes back in offset order.
    const header = `{"t":${entry('BOOL', [2], 58, 60)},"__metadata__":{"format":"pt"},"h":${entry('F16', [2, 4], 0, 16)},`
      + `"b":${entry('BF16', [5], 16, 26)},"i":${entry('I64', [4], 26, 58)},"i32":${entry('I32', [], 60, 64)},`
      + `"i16":${entry('I16', [1], 64, 66)},"i8":${entry('I8', [1, 1], 66, 67)},"u8":${entry('U8', [1], 67, 68)}}     `;
    const data = [
      0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x7c, 0x00, 0x80, 0x00, 0x7e, 0xff, 0x03, // F16
      0x80, 0x3f, 0x40, 0xc0, 0x01, 0x00, 0x80, 0x7f, 0x49, 0x40, // BF16
      0x01, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // I64 1, -1
      0, 0, 0, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0, 0, 0, 0xe0, 0xff, // I64 2^53, -2^53
      0x01, 0x00, // BOOL
      0xfe, 0xff, 0xff, 0xff, 0x00, 0x80, 0x80, 0xff, // I32 -2, I16 -32768, I8 -128, U8 255
    ];
    const got = decodeSafetensors(file(header, data), 'known.safetensors');
    expect([...got.tensors.keys()]).toEqual(['h', 'b', 'i', 't', 'i32', 'i16', 'i8', 'u8']);
    expect(got.metadata).toEqual({ format: 'pt' });
    expect(got.tensors.get('h')?.shape).toEqual([2, 4]);
    expect(got.tensors.get('i32')?.shape).toEqual([]);
    expectSame(values(got.tensors.get('h')), [1, -2, 65504, 5.960464477539063e-8, Infinity, -0, NaN, 0.00006097555160522461], 'F16');
    expectSame(values(got.tensors.get('b')), [1, -3, 9.183549615799121e-41, Infinity, 3.140625], 'BF16');
    expectSame(values(got.tensors.get('i')), [1, -1, 9007199254740992, -9007199254740992], 'I64');
    expectSame(values(got.tensors.get('t')), [1, 0], 'BOOL');
    expectSame([...values(got.tensors.get('i32')), ...values(got.tensors.get('i16')), ...values(got.tensors.get('i8')), ...values(got.tensors.get('u8'))], [-2, -32768, -128, 255], 'ints');
  });

  it('the writer lays out the bytes the format specifies', () => {
    const header = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  '; // 54 + 2 spaces: 8 + 56 is a multiple of 8
    const expected = [56, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode(header), 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0];
    expect(Array.from(encodeSafetensors(new Map([['w', { dtype: 'F32', shape: [2], data: [1, -2] }]])))).toEqual(expected);
    expect(Array.from(encodeSafetensors(new Map()))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 32, 32, 32, 32, 32, 32]);
  });

  it('an empty file ({} and no data) and names a JS object would mangle', () => {
    expect(decodeSafetensors(file('{}'), 'x').tensors.size).toBe(0);
    const got = decodeSafetensors(file(`{"10":${entry('U8', [1], 0, 1)},"2":${entry('U8', [1], 1, 2)},"__proto__":${entry('U8', [0], 2, 2)}}`, [7, 8]), 'x');
    expect([...got.tensors.keys()]).toEqual(['10', '2', '__proto__']);
  });
});

describe('every problem is one line naming the file, the tensor and what is wrong', () => {
  const W = 'model.safetensors';
  const reject = (bytes: Uint8Array): string => {
    const message = errorOf(() => decodeSafetensors(bytes, W)).message;
    expect(message.startsWith(`${W}: `)).toBe(true);
    return message;
  };
  const f32 = (shape: number[], begin: number, end: number) => entry('F32', shape, begin, end);

  it('a byte count that does not match the shape', () => {
    expect(reject(file(`{"rnn.weight_ih_l0":${f32([4, 8], 0, 100)}}`, new Uint8Array(100))))
      .toBe(`${W}: tensor "rnn.weight_ih_l0": data_offsets [0, 100] hold 100 bytes but shape [4, 8] of F32 needs 128`);
  });

  const cases: [string, Uint8Array, RegExp][] = [
    ['short file', new Uint8Array(5), /5 bytes, too short/],
    ['huge header length', (() => { const b = file('{}'); new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true); return b; })(), /header length 9223372036854775808 is over the 100000000-byte limit/],
    ['header length past the file', (() => { const b = file('{}'); b[0] = 3; return b; })(), /header length 3 runs past the end of the file \(2 bytes follow/],
    ['not starting with {', file(' {}'), /must be a JSON object starting with '\{', it starts with " \{\}"/],
    ['a BOM', new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0, 0xef, 0xbb, 0xbf, 0x7b, 0x7d]), /header must be a JSON object/],
    ['invalid UTF-8', new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xff, 0x7d]), /not valid UTF-8/],
    ['invalid JSON', file('{"a":'), /not valid JSON/],
    ['a duplicate name', file(`{"a":${f32([1], 0, 4)},"a":${f32([1], 0, 4)}}`, [0, 0, 0, 0]), /the header lists the name "a" twice/],
    ['a duplicate name, escaped', file(`{"a":${f32([1], 0, 4)},"\\u0061":${f32([1], 0, 4)}}`, [0, 0, 0, 0]), /lists the name "a" twice/],
    ['a duplicate field', file(`{"a":{"dtype":"F32","dtype":"F64","shape":[],"data_offsets":[0,4]}}`, [0, 0, 0, 0]), /lists the key "dtype" inside "a" twice/],
    ['a duplicate metadata key', file('{"__metadata__":{"k":"1","k":"2"}}'), /key "k" inside "__metadata__" twice/],
    ['__metadata__ not an object', file('{"__metadata__":["a"]}'), /"__metadata__" must be an object of strings, found an array/],
    ['a metadata value not a string', file('{"__metadata__":{"epoch":3}}'), /"__metadata__" value of "epoch" must be a string, found the number 3/],
    ['an unknown dtype', file(`{"a":${entry('F8_E4M3', [1], 0, 1)}}`, [0]), /tensor "a": dtype the string "F8_E4M3" is not one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL/],
    ['an unknown field', file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"offset":0}}', [0]), /tensor "a": unknown field "offset"/],
    ['a missing field', file('{"a":{"dtype":"U8","shape":[1]}}', [0]), /tensor "a": data_offsets must be \[begin, end\]/],
    ['an entry not an object', file('{"a":[1]}'), /tensor "a": the entry must be an object/],
    ['a negative shape entry', file(`{"a":${f32([-1], 0, 0)}}`), /tensor "a": shape must be an array of non-negative integers, found \[-1\]/],
    ['a fractional shape entry', file(`{"a":${entry('U8', [1.5], 0, 0)}}`), /found \[1.5\]/],
    ['a shape entry past 2^53', file(`{"a":${entry('U8', [9007199254740993], 0, 0)}}`), /shape must be an array of non-negative integers/],
    ['2.0 for 2', file('{"a":{"dtype":"U8","shape":[2.0],"data_offsets":[0,2]}}', [0, 0]), /tensor "a": the number 2.0 must be written as a plain non-negative integer/],
    ['-0 for 0', file('{"a":{"dtype":"U8","shape":[-0],"data_offsets":[0,0]}}'), /the number -0 must be written/],
    ['1e1 for 10', file('{"a":{"dtype":"U8","shape":[1e1],"data_offsets":[0,10]}}', new Uint8Array(10)), /the number 1e1 must be written/],
    ['an element count past 2^64', file(`{"a":${entry('U8', [4294967296, 4294967296], 0, 0)}}`), /shape \[4294967296, 4294967296\] has more than 2\^64 elements/],
    ['reversed offsets', file(`{"a":${entry('U8', [0], 1, 0)}}`, [0]), /data_offsets \[1, 0\] begin after they end/],
    ['offsets past the buffer', file(`{"a":${f32([2], 0, 8)}}`, [0, 0, 0, 0]), /data_offsets \[0, 8\] run past the end of the 4-byte data buffer/],
    ['a hole', file(`{"a":${f32([1], 0, 4)},"b":${f32([1], 8, 12)}}`, new Uint8Array(12)), /tensor "b": data_offsets \[8, 12\] leave bytes 4..8 of the data buffer to no tensor/],
    ['a hole at the start', file(`{"a":${f32([1], 4, 8)}}`, new Uint8Array(8)), /leave bytes 0..4/],
    ['an overlap', file(`{"a":${f32([2], 0, 8)},"b":${f32([1], 4, 8)}}`, new Uint8Array(8)), /tensor "b": data_offsets \[4, 8\] overlap tensor "a" \[0, 8\]/],
    ['trailing bytes', file(`{"a":${f32([1], 0, 4)}}`, new Uint8Array(6)), /the tensors end at byte 4 of the 6-byte data buffer: 2 trailing bytes/],
    ['I64 beyond 2^53', file(`{"n":${entry('I64', [2], 0, 16)}}`, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x20, 0]), /tensor "n": element 1 is 9007199254740993, beyond ±2\^53/],
    ['BOOL not 0 or 1', file(`{"m":${entry('BOOL', [2], 0, 2)}}`, [1, 2]), /tensor "m": element 1 is byte 2; BOOL must be 0 or 1/],
    ['an unpaired surrogate in a name', file(`{"\\ud800":${entry('U8', [0], 0, 0)}}`), /unpaired UTF-16 surrogate/],
    ['a long name with a newline, shortened', file(`{${JSON.stringify(`x\n${'y'.repeat(1000)}`)}:[]}`), /tensor "x\\nyyy.*…": the entry must be an object/],
  ];
  it.each(cases)('%s', (_, bytes, pattern) => {
    const message = reject(bytes);
    expect(message).toMatch(pattern);
    expect(message.length).toBeLessThan(500);
  });

  it('reading: a missing file, a folder, a file over 8 GiB', () => {
    const missing = join(dir, 'missing.safetensors');
    expect(errorOf(() => readSafetensorsFile(missing)).message).toMatch(new RegExp(`^${missing}: cannot read the file \\(ENOENT`));
    mkdirSync(join(dir, 'folder'));
    expect(errorOf(() => readSafetensorsFile(join(dir, 'folder'))).message).toMatch(/folder: cannot read the file \(EISDIR/);
    const huge = join(dir, 'huge.safetensors');
    writeFileSync(huge, '');
    truncateSync(huge, 8 * 2 ** 30 + 1); // sparse: takes no disk space
    expect(errorOf(() => readSafetensorsFile(huge)).message).toBe(`${huge}: the file is 8.0 GiB; files over 8 GiB are refused`);
  });

  it('encoding: data that does not match the shape, and what the format cannot hold', () => {
    const one = (t: TensorToWrite, name = 'w') => errorOf(() => encodeSafetensors(new Map([[name, t]]))).message;
    expect(one({ dtype: 'F32', shape: [2, 3], data: [1, 2, 3, 4, 5] })).toBe('encodeSafetensors: tensor "w": data has 5 values but shape [2, 3] needs 6');
    expect(one({ dtype: 'F64', shape: [], data: [] })).toBe('encodeSafetensors: tensor "w": data has 0 values but shape [] needs 1');
    expect(one({ dtype: 'F64', shape: [-1], data: [] })).toMatch(/shape \[-1\] must hold non-negative integers/);
    expect(one({ dtype: 'F64', shape: [0], data: [] }, '__metadata__')).toMatch(/the name is reserved/);
    expect(one({ dtype: 'F64', shape: [0], data: [] }, 'a\ud800')).toMatch(/unpaired UTF-16 surrogate/);
    expect(one({ dtype: 'I64' as 'F64', shape: [0], data: [] })).toMatch(/can write F64 or F32, not the string "I64"/);
    const path = join(dir, 'bad.safetensors');
    expect(errorOf(() => writeSafetensorsFile(path, new Map([['w', { dtype: 'F32', shape: [2], data: [1] }]]))).message).toMatch(new RegExp(`^${path}: tensor "w"`));
  });
});

describe('compatible with what Python (numpy, torch) writes and reads', () => {
  it('numpy reads what encodeSafetensors writes', () => {
    const path = join(dir, 'from-js.safetensors');
    writeSafetensorsFile(path, new Map<string, TensorToWrite>([
      ['encoder.weight ü→', { dtype: 'F32', shape: [2, 3], data: [1, -0, 1e-45, 3.4028234663852886e38, Infinity, NaN] }],
      ['10', { dtype: 'F64', shape: [], data: [Math.PI] }],
      ['empty', { dtype: 'F64', shape: [0, 3], data: [] }],
      ['bias', { dtype: 'F64', shape: [2], data: [5e-324, -1.5] }],
    ]), { format: 'pt', note: 'ünï' });
    const script = `
import json, math, struct, sys
import numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
text = raw[8:8 + n].decode('utf-8')
header = json.loads(text)
buf = raw[8 + n:]
out = {'aligned': (8 + n) % 8 == 0, 'padding': text[len(text.rstrip(' ')):], 'names': list(header), 'metadata': header.get('__metadata__'), 'tensors': {}}
for name, info in header.items():
    if name == '__metadata__':
        continue
    b, e = info['data_offsets']
    a = np.frombuffer(buf[b:e], dtype={'F32': '<f4', 'F64': '<f8'}[info['dtype']]).reshape(info['shape'])
    out['tensors'][name] = {'dtype': info['dtype'], 'shape': list(a.shape), 'values': [x if math.isfinite(x) else repr(x) for x in map(float, a.ravel())]}
print(json.dumps(out))
`;
    const py = JSON.parse(runPython(['-c', script, path], '')) as {
      aligned: boolean; padding: string; names: string[]; metadata: Record<string, string>;
      tensors: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
    };
    expect(py.aligned).toBe(true);
    expect(py.padding).toMatch(/^ {0,7}$/);
    expect(py.names).toEqual(['__metadata__', 'encoder.weight ü→', '10', 'empty', 'bias']);
    expect(py.metadata).toEqual({ format: 'pt', note: 'ünï' });
    expect(py.tensors['encoder.weight ü→']).toEqual({ dtype: 'F32', shape: [2, 3], values: [1, -0, 1.401298464324817e-45, 3.4028234663852886e38, 'inf', 'nan'] });
    expect(Object.is(py.tensors['encoder.weight ü→'].values[1], -0)).toBe(true);
    expect(py.tensors['10']).toEqual({ dtype: 'F64', shape: [], values: [3.141592653589793] });
    expect(py.tensors.empty).toEqual({ dtype: 'F64', shape: [0, 3], values: [] });
    expect(py.tensors.bias).toEqual({ dtype: 'F64', shape: [2], values: [5e-324, -1.5] });
  });

  it('decodeSafetensors reads what Python writes (torch for BF16; header sorted by name, as the Rust writer sorts it)', () => {
    const path = join(dir, 'from-python.safetensors');
    const script = `
import json, struct, sys
import numpy as np, torch
arrays = {
    'layer.0.weight': np.array([[1.5, -2.0], [0.0, 3.25]], dtype='<f4'),
    'layer.0.bias': np.array([1e-310, -0.0, float('inf')], dtype='<f8'),
    'half': np.array([1, -2, 65504, 2**-24], dtype='<f2'),
    'steps': np.array([0, -1, 2**53], dtype='<i8'),
    'mask': np.array([True, False], dtype='?'),
    'bf': torch.tensor([1.0, -3.0, 3.140625], dtype=torch.bfloat16),
    '数': np.zeros((0, 2), dtype='<f4'),
    'scalar': np.array(7, dtype='<i4'),
}
names = {'<f4': 'F32', '<f8': 'F64', '<f2': 'F16', '<i8': 'I64', '|b1': 'BOOL', '<i4': 'I32'}
header, data = {'__metadata__': {'format': 'pt'}}, b''
for name, a in arrays.items():
    if isinstance(a, torch.Tensor):
        dtype, shape, raw = 'BF16', list(a.shape), a.view(torch.int16).numpy().astype('<i2').tobytes()
    else:
        dtype, shape, raw = names[a.dtype.str], list(a.shape), a.tobytes()
    header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [len(data), len(data) + len(raw)]}
    data += raw
text = json.dumps(dict(sorted(header.items())), separators=(',', ':')).encode()
text += b' ' * ((8 - len(text) % 8) % 8)
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(text)) + text + data)
`;
    runPython(['-c', script, path], '');
    const got = readSafetensorsFile(path);
    expect(got.metadata).toEqual({ format: 'pt' });
    expect([...got.tensors].map(([n, t]) => [n, t.dtype, t.shape])).toEqual([
      ['layer.0.weight', 'F32', [2, 2]], ['layer.0.bias', 'F64', [3]], ['half', 'F16', [4]], ['steps', 'I64', [3]],
      ['mask', 'BOOL', [2]], ['bf', 'BF16', [3]], ['数', 'F32', [0, 2]], ['scalar', 'I32', []],
    ]);
    const expected: Record<string, number[]> = {
      'layer.0.weight': [1.5, -2, 0, 3.25], 'layer.0.bias': [1e-310, -0, Infinity], half: [1, -2, 65504, 5.960464477539063e-8],
      steps: [0, -1, 9007199254740992], mask: [1, 0], bf: [1, -3, 3.140625], 数: [], scalar: [7],
    };
    for (const [n, v] of Object.entries(expected)) expectSame(values(got.tensors.get(n)), v, n);
  });
});
