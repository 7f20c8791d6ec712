// Every protocol datatype ONNX Runtime supports goes through the server and comes back unchanged,
// as JSON and as binary tensor data, through a model of one Identity per datatype.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DATATYPE_ELEM,
  identityModel,
  inputName,
  outputName,
} from '../../unit/inference-server/test-models.ts';
import { call, postJson, type Served, serve } from './helpers.ts';

const VALUES: Record<string, unknown[]> = {
  BOOL: [true, false, false, true],
  UINT8: [0, 255, 7, 128],
  INT8: [-128, 127, 0, -1],
  UINT16: [0, 65535, 300, 1],
  INT16: [-32768, 32767, -2, 2],
  UINT32: [0, 4294967295, 70000, 3],
  INT32: [-2147483648, 2147483647, -70000, 4],
  INT64: [-9007199254740991, 9007199254740991, 0, -5],
  UINT64: [0, 9007199254740991, 1, 6],
  FP16: [0.5, -2, 65504, 0.0999755859375],
  // Values a float32 holds exactly, so the JSON numbers come back as sent.
  FP32: [1.5, -0.25, 3.4028234663852886e38, 2 ** -20],
  FP64: [Math.PI, -Math.E, 1e300, 5e-324],
  BYTES: ['', 'cat', 'naïve ☃', 'a"b\\c'],
};

/** Binary encodings of the same values (little-endian). */
function bytesOf(datatype: string, values: unknown[]): Buffer {
  switch (datatype) {
    case 'BOOL':
      return Buffer.from(values.map((v) => (v ? 1 : 0)));
    case 'BYTES':
      return Buffer.concat(
        (values as string[]).flatMap((s) => {
          const b = Buffer.from(s);
          const n = Buffer.alloc(4);
          n.writeUInt32LE(b.length);
          return [n, b];
        }),
      );
    default: {
      const arrays: Record<string, (v: unknown[]) => ArrayBufferView> = {
        UINT8: (v) => Uint8Array.from(v as number[]),
        INT8: (v) => Int8Array.from(v as number[]),
        UINT16: (v) => Uint16Array.from(v as number[]),
        INT16: (v) => Int16Array.from(v as number[]),
        UINT32: (v) => Uint32Array.from(v as number[]),
        INT32: (v) => Int32Array.from(v as number[]),
        INT64: (v) => BigInt64Array.from(v as number[], (x) => BigInt(x)),
        UINT64: (v) => BigUint64Array.from(v as number[], (x) => BigInt(x)),
        FP16: (v) =>
          new Uint16Array(
            new (
              globalThis as unknown as { Float16Array: new (v: number[]) => { buffer: ArrayBuffer } }
            ).Float16Array(v as number[]).buffer,
          ),
        FP32: (v) => Float32Array.from(v as number[]),
        FP64: (v) => Float64Array.from(v as number[]),
      };
      const view = (arrays[datatype] as (v: unknown[]) => ArrayBufferView)(values);
      return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    }
  }
}

let s: Served;
beforeAll(async () => {
  s = await serve('identity', identityModel());
});
afterAll(() => s?.close());

const datatypes = Object.keys(DATATYPE_ELEM);

describe('datatypes', () => {
  it('covers all 13 datatypes the protocol and ONNX Runtime share', () => {
    expect(datatypes.sort()).toEqual(Object.keys(VALUES).sort());
  });

  it('lists each input with its datatype in the model metadata', async () => {
    const response = await fetch(`${s.url}/v2/models/identity`);
    const body = (await response.json()) as { inputs: { name: string; datatype: string; shape: number[] }[] };
    for (const d of datatypes)
      expect(body.inputs).toContainEqual({ name: inputName(d), datatype: d, shape: [-1, 2] });
  });

  it('returns every datatype unchanged as JSON', async () => {
    const { status, body } = await postJson(`${s.url}/v2/models/identity/infer`, {
      inputs: datatypes.map((d) => ({ name: inputName(d), shape: [2, 2], datatype: d, data: VALUES[d] })),
    });
    expect(status, JSON.stringify(body)).toBe(200);
    const outputs = body.outputs as { name: string; datatype: string; shape: number[]; data: unknown[] }[];
    for (const d of datatypes) {
      const out = outputs.find((o) => o.name === outputName(d));
      expect(out, d).toEqual({ name: outputName(d), datatype: d, shape: [2, 2], data: VALUES[d] });
    }
  });

  it('keeps 64-bit integers beyond 2^53 exact when they are sent as decimal strings', async () => {
    const big = ['-9223372036854775808', '9223372036854775807', '9007199254740993', '1'];
    const inputs = datatypes.map((d) => ({
      name: inputName(d),
      shape: [2, 2],
      datatype: d,
      data: VALUES[d],
    }));
    const int64 = inputs.find((i) => i.datatype === 'INT64');
    if (int64) int64.data = big;
    const { body } = await postJson(`${s.url}/v2/models/identity/infer`, {
      inputs,
      outputs: [{ name: outputName('INT64') }],
    });
    expect((body.outputs as { data: unknown[] }[])[0]?.data).toEqual([
      '-9223372036854775808',
      '9223372036854775807',
      '9007199254740993',
      1,
    ]);
  });

  // The JSON text of one value beyond each numeric datatype's range (1e400 parses as Infinity).
  it.each([
    ['UINT8', '300'],
    ['INT8', '-129'],
    ['UINT16', '65536'],
    ['INT16', '32768'],
    ['UINT32', '4294967296'],
    ['INT32', '-2147483649'],
    ['INT64', '9223372036854775808'],
    ['UINT64', '18446744073709551616'],
    ['FP16', '65520'],
    ['FP32', '1e39'],
    ['FP64', '1e400'],
  ])('refuses %s %s with a 400 that names the input', async (datatype, value) => {
    // The value goes into the JSON text as it is: JSON.stringify cannot write 1e400 or 2^64 exactly.
    const inputs = datatypes.map((d) => ({
      name: inputName(d),
      shape: [2, 2],
      datatype: d,
      data: d === datatype ? [0, 0, 'VALUE', 0] : VALUES[d],
    }));
    const json = JSON.stringify({ inputs }).replace('"VALUE"', value);
    const answer = await call(`${s.url}/v2/models/identity/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(
      new RegExp(
        `^input '${inputName(datatype)}': element 2 \\(.+\\) is not valid for ${datatype}: out of range for ${datatype}`,
      ),
    );
  });

  it('returns every datatype unchanged as binary tensor data', async () => {
    const parts = datatypes.map((d) => bytesOf(d, VALUES[d] as unknown[]));
    const header = Buffer.from(
      JSON.stringify({
        inputs: datatypes.map((d, i) => ({
          name: inputName(d),
          shape: [2, 2],
          datatype: d,
          parameters: { binary_data_size: parts[i]?.length },
        })),
        outputs: datatypes.map((d) => ({ name: outputName(d), parameters: { binary_data: true } })),
      }),
    );
    const response = await fetch(`${s.url}/v2/models/identity/infer`, {
      method: 'POST',
      headers: { 'inference-header-content-length': String(header.length) },
      body: Buffer.concat([header, ...parts]),
    });
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    const n = Number(response.headers.get('inference-header-content-length'));
    const head = JSON.parse(body.subarray(0, n).toString()) as {
      outputs: { name: string; parameters: { binary_data_size: number } }[];
    };
    let at = n;
    for (const [i, d] of datatypes.entries()) {
      const out = head.outputs[i];
      expect(out?.name).toBe(outputName(d));
      const size = out?.parameters.binary_data_size as number;
      expect(body.subarray(at, at + size), d).toEqual(parts[i]);
      at += size;
    }
    expect(at).toBe(body.length);
  });
});
