// The Open Inference Protocol v2 paths on a real server whose model comes from the real MinIO:
// health, server and model metadata, readiness, and inference with JSON and binary tensors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from '../../../lib/onnx/verify.ts';
import { TABULAR_LABELS, tabularClassifier } from '../../unit/inference-server/test-models.ts';
import { call, postJson, type Served, serve } from './helpers.ts';

const model = tabularClassifier(4);
let s: Served;
beforeAll(async () => {
  s = await serve('iris', model);
});
afterAll(() => s?.close());

const rows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [-1, 0, 2, 0.5],
];

describe('health and metadata', () => {
  it('is live and ready once the model is warm', async () => {
    expect(await call(`${s.url}/v2/health/live`)).toMatchObject({ status: 200, body: { live: true } });
    expect(await call(`${s.url}/v2/health/ready`)).toMatchObject({ status: 200, body: { ready: true } });
  });

  it('describes the server and its protocol extensions', async () => {
    const { status, body } = await call(`${s.url}/v2`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: 'bosun-inference-server' });
    expect(body.extensions).toContain('binary_tensor_data');
  });

  it('describes the model from its ONNX signature, with and without a version', async () => {
    const expected = {
      name: 'iris',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
        { name: 'label', datatype: 'BYTES', shape: [-1] },
      ],
    };
    expect(await call(`${s.url}/v2/models/iris`)).toMatchObject({ status: 200, body: expected });
    expect(await call(`${s.url}/v2/models/iris/versions/1`)).toMatchObject({ status: 200, body: expected });
    expect((await call(`${s.url}/v2/models/iris`)).body.parameters).toMatchObject({
      labels: TABULAR_LABELS.join(','),
    });
  });

  it('answers model readiness, and 404 for other models and versions', async () => {
    expect(await call(`${s.url}/v2/models/iris/ready`)).toMatchObject({
      status: 200,
      body: { name: 'iris', ready: true },
    });
    expect(await call(`${s.url}/v2/models/iris/versions/1/ready`)).toMatchObject({ status: 200 });
    const other = await call(`${s.url}/v2/models/pets`);
    expect(other.status).toBe(404);
    expect(other.body.error).toMatch(/model 'pets' is not served here; this server serves 'iris'/);
    const version = await call(`${s.url}/v2/models/iris/versions/2/ready`);
    expect(version.status).toBe(404);
    expect(version.body.error).toMatch(/version '2'/);
  });

  it('serves an OpenAPI document and a docs page', async () => {
    const doc = await call(`${s.url}/docs/json`);
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths as object)).toEqual(
      expect.arrayContaining(['/v2/models/{name}/infer', '/v2/models/{name}/classify', '/v2/health/ready']),
    );
    const page = await fetch(`${s.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('inference with JSON tensors', () => {
  it('returns what ONNX Runtime computes in-process, with the request id', async () => {
    const want = await runModel(model.bytes, { x: { dims: [3, 4], data: Float32Array.from(rows.flat()) } }, [
      'probabilities',
      'label',
    ]);
    const { status, body, headers } = await postJson(`${s.url}/v2/models/iris/infer`, {
      id: 'req-1',
      inputs: [{ name: 'x', shape: [3, 4], datatype: 'FP32', data: rows.flat() }],
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ model_name: 'iris', model_version: '1', id: 'req-1' });
    // Made up by the server (the client sent none): this process's prefix and a sequence number.
    const requestId = headers.get('x-request-id') ?? '';
    expect(requestId).toMatch(/^[0-9a-f]{16}-[0-9a-z]+$/);
    const again = await postJson(`${s.url}/v2/models/iris/infer`, {
      inputs: [{ name: 'x', shape: [3, 4], datatype: 'FP32', data: rows.flat() }],
    });
    const next = again.headers.get('x-request-id') ?? '';
    expect(next.split('-')[0]).toBe(requestId.split('-')[0]);
    expect(next).not.toBe(requestId);
    const outputs = body.outputs as { name: string; shape: number[]; datatype: string; data: unknown[] }[];
    expect(outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['probabilities', 'FP32', [3, 3]],
      ['label', 'BYTES', [3]],
    ]);
    expect(outputs[0]?.data).toEqual(Array.from(want.probabilities as Float32Array));
    expect(outputs[1]?.data).toEqual(want.label);
  });

  it('accepts nested row-major data and the versioned path', async () => {
    const flat = await postJson(`${s.url}/v2/models/iris/infer`, {
      inputs: [{ name: 'x', shape: [3, 4], datatype: 'FP32', data: rows.flat() }],
    });
    const nested = await postJson(`${s.url}/v2/models/iris/versions/1/infer`, {
      inputs: [{ name: 'x', shape: [3, 4], datatype: 'FP32', data: rows }],
    });
    expect(nested.status).toBe(200);
    expect(nested.body.outputs).toEqual(flat.body.outputs);
  });

  it('returns only the outputs asked for, in the order asked', async () => {
    const { body } = await postJson(`${s.url}/v2/models/iris/infer`, {
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: rows[0] }],
      outputs: [{ name: 'label' }],
    });
    expect(body.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [1], data: [expect.any(String)] },
    ]);
  });

  it('takes a batch of zero rows', async () => {
    const { status, body } = await postJson(`${s.url}/v2/models/iris/infer`, {
      inputs: [{ name: 'x', shape: [0, 4], datatype: 'FP32', data: [] }],
    });
    expect(status).toBe(200);
    expect((body.outputs as { shape: number[] }[])[0]?.shape).toEqual([0, 3]);
  });
});

describe('the binary tensor data extension', () => {
  function binaryRequest(header: object, ...parts: Buffer[]): RequestInit {
    const json = Buffer.from(JSON.stringify(header));
    return {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(json.length),
      },
      body: Buffer.concat([json, ...parts]),
    };
  }

  it('takes binary inputs and returns binary outputs that equal the JSON answer', async () => {
    const x = Float32Array.from(rows.flat());
    const jsonAnswer = await postJson(`${s.url}/v2/models/iris/infer`, {
      inputs: [{ name: 'x', shape: [3, 4], datatype: 'FP32', data: rows.flat() }],
    });
    const response = await fetch(
      `${s.url}/v2/models/iris/infer`,
      binaryRequest(
        {
          inputs: [
            { name: 'x', shape: [3, 4], datatype: 'FP32', parameters: { binary_data_size: x.byteLength } },
          ],
          outputs: [
            { name: 'probabilities', parameters: { binary_data: true } },
            { name: 'label', parameters: { binary_data: true } },
          ],
        },
        Buffer.from(x.buffer),
      ),
    );
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    const headerLength = Number(response.headers.get('inference-header-content-length'));
    const head = JSON.parse(body.subarray(0, headerLength).toString()) as {
      outputs: { name: string; shape: number[]; parameters: { binary_data_size: number } }[];
    };
    const [probs, label] = head.outputs;
    expect(probs?.parameters.binary_data_size).toBe(3 * 3 * 4);
    const probBytes = body.subarray(headerLength, headerLength + 36);
    const got = new Float32Array(probBytes.buffer.slice(probBytes.byteOffset, probBytes.byteOffset + 36));
    const want = (jsonAnswer.body.outputs as { data: number[] }[])[0]?.data;
    expect(Array.from(got)).toEqual(want);
    // BYTES: each element is a 4-byte little-endian length and its UTF-8 bytes.
    const labels: string[] = [];
    let at = headerLength + 36;
    while (at < body.length) {
      const n = body.readUInt32LE(at);
      labels.push(body.toString('utf8', at + 4, at + 4 + n));
      at += 4 + n;
    }
    expect(labels).toEqual((jsonAnswer.body.outputs as { data: string[] }[])[1]?.data);
    expect(label?.parameters.binary_data_size).toBe(at - headerLength - 36);
  });

  it('mixes binary and JSON inputs and answers JSON unless binary output is asked for', async () => {
    const x = Float32Array.from(rows[1] as number[]);
    const answer = await call(
      `${s.url}/v2/models/iris/infer`,
      binaryRequest(
        { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }] },
        Buffer.from(x.buffer),
      ),
    );
    expect(answer.status).toBe(200);
    expect((answer.body.outputs as { data: unknown[] }[])[0]?.data).toHaveLength(3);
  });

  it('returns every output as binary with binary_data_output', async () => {
    const response = await fetch(`${s.url}/v2/models/iris/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        parameters: { binary_data_output: true },
        inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: rows[0] }],
      }),
    });
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Number(response.headers.get('inference-header-content-length'))).toBeGreaterThan(0);
  });
});
