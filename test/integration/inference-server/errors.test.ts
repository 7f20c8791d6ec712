// Malformed requests get a 4xx with a JSON error that names the problem, limits answer 413 and 503
// (with Retry-After), and nothing a client sends takes the server down. (504 on a model that does
// not answer in time: test/unit/inference-server/app.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seeded, tabularClassifier } from '../../unit/inference-server/test-models.ts';
import { call, heldRequest, inFlight, postJson, type Served, serve } from './helpers.ts';

let s: Served;
beforeAll(async () => {
  s = await serve('iris', tabularClassifier(4), {
    BOSUN_MAX_TENSOR_ELEMENTS: '1000',
    BOSUN_MAX_REQUEST_BYTES: '65536',
  });
});
afterAll(() => s?.close());

const x = (data: unknown, shape: unknown = [1, 4], datatype: unknown = 'FP32') => ({
  name: 'x',
  shape,
  datatype,
  data,
});
const ok = [1, 2, 3, 4];

interface Case {
  name: string;
  path?: string;
  method?: string;
  /** A JSON value (serialised) or raw bytes. */
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  error: RegExp;
}

function binary(header: object, data: Buffer, length?: string): Pick<Case, 'body' | 'headers'> {
  const json = Buffer.from(JSON.stringify(header));
  return {
    body: Buffer.concat([json, data]),
    headers: { 'inference-header-content-length': length ?? String(json.length) },
  };
}

const f32 = (values: number[]) => Buffer.from(Float32Array.from(values).buffer);

const CASES: Case[] = [
  { name: 'empty body', body: Buffer.alloc(0), status: 400, error: /body is empty/ },
  { name: 'not JSON', body: Buffer.from('{"inputs": [}'), status: 400, error: /not valid JSON/ },
  { name: 'a JSON array', body: [x(ok)], status: 400, error: /must be a JSON object with "inputs"/ },
  { name: 'no inputs', body: { id: 'a' }, status: 400, error: /"inputs" must be a non-empty array/ },
  { name: 'empty inputs', body: { inputs: [] }, status: 400, error: /"inputs" must be a non-empty array/ },
  { name: 'input not an object', body: { inputs: [7] }, status: 400, error: /inputs\[0\] must be an object/ },
  {
    name: 'input without a name',
    body: { inputs: [{ shape: [1, 4], datatype: 'FP32', data: ok }] },
    status: 400,
    error: /inputs\[0\]: "name" must be a string/,
  },
  {
    name: 'unknown input',
    body: { inputs: [{ ...x(ok), name: 'y' }] },
    status: 400,
    error: /input 'y' is not an input of the model; its inputs are 'x'/,
  },
  {
    name: 'input given twice',
    body: { inputs: [x(ok), x(ok)] },
    status: 400,
    error: /input 'x' is given twice/,
  },
  {
    name: 'dimensions as strings',
    body: { inputs: [x(ok, ['1', '4'])] },
    status: 400,
    error: /non-negative integers, got "1"/,
  },
  {
    name: 'unknown datatype',
    body: { inputs: [x(ok, [1, 4], 'FLOAT')] },
    status: 400,
    error: /datatype "FLOAT" is not one of BOOL, .*BYTES/,
  },
  {
    name: 'BF16 (not in ONNX Runtime)',
    body: { inputs: [x(ok, [1, 4], 'BF16')] },
    status: 400,
    error: /datatype "BF16" is not one of/,
  },
  {
    name: 'datatype the model does not take',
    body: { inputs: [x(ok, [1, 4], 'INT32')] },
    status: 400,
    error: /datatype is INT32, the model expects FP32/,
  },
  {
    name: 'shape not an array',
    body: { inputs: [x(ok, '1x4')] },
    status: 400,
    error: /"shape" must be an array/,
  },
  {
    name: 'wrong rank',
    body: { inputs: [x(ok, [4])] },
    status: 400,
    error: /has 1 dimensions, the model expects 2 \(\[N, 4\]\)/,
  },
  {
    name: 'wrong fixed dimension',
    body: { inputs: [x([1, 2, 3], [1, 3])] },
    status: 400,
    error: /dimension 1 is 3, the model expects 4/,
  },
  {
    name: 'negative dimension',
    body: { inputs: [x(ok, [-1, 4])] },
    status: 400,
    error: /non-negative integers, got -1/,
  },
  {
    name: 'fractional dimension',
    body: { inputs: [x(ok, [0.5, 4])] },
    status: 400,
    error: /non-negative integers, got 0.5/,
  },
  {
    name: 'no data',
    body: { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32' }] },
    status: 400,
    error: /input 'x': "data" is missing/,
  },
  {
    name: 'data not an array',
    body: { inputs: [x('1,2,3,4')] },
    status: 400,
    error: /"data" must be an array/,
  },
  {
    name: 'too few values',
    body: { inputs: [x([1, 2, 3])] },
    status: 400,
    error: /"data" has 3 elements, shape \[1, 4\] needs 4/,
  },
  {
    name: 'too many values',
    body: { inputs: [x([1, 2, 3, 4, 5])] },
    status: 400,
    error: /"data" has 5 elements/,
  },
  {
    name: 'a string among numbers',
    body: { inputs: [x([1, 'a', 3, 4])] },
    status: 400,
    error: /element 1 \("a"\) is not valid for FP32: expected a number/,
  },
  {
    name: 'null among numbers',
    body: { inputs: [x([1, 2, null, 4])] },
    status: 400,
    error: /element 2 \(null\) is not valid for FP32/,
  },
  {
    name: 'a number beyond float32',
    body: { inputs: [x([1, 2, 1e39, 4])] },
    status: 400,
    error: /input 'x': element 2 \(1e\+39\) is not valid for FP32: out of range for FP32/,
  },
  {
    name: 'a number beyond any float',
    body: Buffer.from(
      '{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 1e400]}]}',
    ),
    headers: { 'content-type': 'application/json' },
    status: 400,
    error: /input 'x': element 3 \(a number beyond any float\) is not valid for FP32: out of range/,
  },
  {
    name: 'JSON sent as text/plain',
    body: Buffer.from(JSON.stringify({ inputs: [x(ok)] })),
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    status: 415,
    error: /Content-Type text\/plain is not accepted here; send application\/json, application\/octet-stream/,
  },
  {
    name: 'a form post',
    body: Buffer.from('inputs=1'),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    error: /Content-Type application\/x-www-form-urlencoded is not accepted here/,
  },
  {
    name: 'ragged nesting',
    body: { inputs: [x([[1, 2, 3, 4], 5], [2, 4])] },
    status: 400,
    error: /mixes nested arrays and values/,
  },
  { name: 'id not a string', body: { id: 5, inputs: [x(ok)] }, status: 400, error: /"id" must be a string/ },
  {
    name: 'parameters not an object',
    body: { parameters: [], inputs: [x(ok)] },
    status: 400,
    error: /"parameters" must be an object/,
  },
  {
    name: 'unknown output',
    body: { inputs: [x(ok)], outputs: [{ name: 'scores' }] },
    status: 400,
    error: /output 'scores' is not an output of the model; its outputs are 'probabilities', 'label'/,
  },
  {
    name: 'output asked twice',
    body: { inputs: [x(ok)], outputs: [{ name: 'label' }, { name: 'label' }] },
    status: 400,
    error: /output 'label' is requested twice/,
  },
  {
    name: 'outputs not an array',
    body: { inputs: [x(ok)], outputs: 'label' },
    status: 400,
    error: /"outputs" must be an array/,
  },
  {
    name: 'binary_data not a boolean',
    body: { inputs: [x(ok)], outputs: [{ name: 'label', parameters: { binary_data: 'yes' } }] },
    status: 400,
    error: /binary_data must be true or false/,
  },
  {
    name: 'binary size without a binary part',
    body: { inputs: [{ ...x(undefined), parameters: { binary_data_size: 16 } }] },
    status: 400,
    error: /has no binary part/,
  },
  {
    name: 'both data and binary size',
    ...binary({ inputs: [{ ...x(ok), parameters: { binary_data_size: 16 } }] }, f32(ok)),
    status: 400,
    error: /either "data" or binary_data_size/,
  },
  {
    name: 'binary size of the wrong length',
    ...binary({ inputs: [{ ...x(undefined), parameters: { binary_data_size: 8 } }] }, f32([1, 2])),
    status: 400,
    error: /binary_data_size is 8 bytes, shape \[1, 4\] of FP32 needs 16/,
  },
  {
    name: 'binary size past the end',
    ...binary({ inputs: [{ ...x(undefined), parameters: { binary_data_size: 32 } }] }, f32(ok)),
    status: 400,
    error: /runs past the end of the body/,
  },
  {
    name: 'binary bytes left over',
    ...binary({ inputs: [{ ...x(undefined), parameters: { binary_data_size: 16 } }] }, f32([...ok, 5])),
    status: 400,
    error: /add up to 16/,
  },
  {
    name: 'header length not a number',
    ...binary({ inputs: [x(ok)] }, Buffer.alloc(0), 'ten'),
    status: 400,
    error: /inference-header-content-length must be the size of the JSON header/,
  },
  {
    name: 'header length beyond the body',
    ...binary({ inputs: [x(ok)] }, Buffer.alloc(0), '100000'),
    status: 400,
    error: /inference-header-content-length/,
  },
  {
    name: 'tensor over the element limit',
    body: { inputs: [x([], [300, 4])] },
    status: 413,
    error: /more than 1000 elements, the server's limit/,
  },
  { name: 'body over the size limit', body: Buffer.alloc(70_000, 32), status: 413, error: /too large/i },
  {
    name: 'unknown model',
    path: '/v2/models/pets/infer',
    body: { inputs: [x(ok)] },
    status: 404,
    error: /model 'pets' is not served here/,
  },
  {
    name: 'unknown version',
    path: '/v2/models/iris/versions/9/infer',
    body: { inputs: [x(ok)] },
    status: 404,
    error: /version '9' of model 'iris' is not served here/,
  },
  {
    name: 'image route on a tabular model',
    path: '/v2/models/iris/classify',
    body: Buffer.from([0xff, 0xd8, 0xff]),
    status: 404,
    error: /not an image classifier/,
  },
  {
    name: 'feedback without a prediction log',
    path: '/v2/models/iris/predictions/00000000-0000-0000-0000-000000000000/feedback',
    body: { label: 'setosa' },
    status: 404,
    error: /needs the prediction log/,
  },
  {
    name: 'unknown route',
    path: '/v2/models/iris/explain',
    body: {},
    status: 404,
    error: /no route for POST \/v2\/models\/iris\/explain/,
  },
  {
    name: 'GET on infer',
    path: '/v2/models/iris/infer',
    method: 'GET',
    status: 404,
    error: /no route for GET/,
  },
];

describe('malformed requests', () => {
  it('has a table of at least 25 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(25));

  it.each(CASES)('$name → $status', async (c) => {
    const raw = Buffer.isBuffer(c.body);
    const init: RequestInit = {
      method: c.method ?? 'POST',
      headers: { ...(raw ? {} : { 'content-type': 'application/json' }), ...c.headers },
    };
    if (c.body !== undefined) init.body = raw ? (c.body as Buffer) : JSON.stringify(c.body);
    const answer = await call(`${s.url}${c.path ?? '/v2/models/iris/infer'}`, init);
    expect(answer.status, JSON.stringify(answer.body)).toBe(c.status);
    expect(Object.keys(answer.body)).toEqual(['error']);
    expect(answer.body.error).toMatch(c.error);
    expect(answer.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('survives random garbage and random mutations of a valid request with 4xx answers', async () => {
    const random = seeded(42);
    const valid = JSON.stringify({ id: 'q', inputs: [x(ok)], outputs: [{ name: 'label' }] });
    const statuses = new Set<number>();
    for (let i = 0; i < 150; i++) {
      const chars = valid.split('');
      for (let m = 0; m < 1 + Math.floor(random() * 4); m++) {
        const at = Math.floor(random() * chars.length);
        const choice = random();
        if (choice < 0.4) chars[at] = String.fromCharCode(32 + Math.floor(random() * 95));
        else if (choice < 0.7) chars.splice(at, 1);
        else chars.splice(at, 0, '[]{}",:01-e'.charAt(Math.floor(random() * 11)));
      }
      const response = await fetch(`${s.url}/v2/models/iris/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chars.join(''),
      });
      statuses.add(response.status);
      expect(response.status === 200 || (response.status >= 400 && response.status < 500)).toBe(true);
      await response.arrayBuffer();
    }
    expect([...statuses].some((st) => st >= 400)).toBe(true);
    expect((await call(`${s.url}/v2/health/ready`)).status).toBe(200);
  });
});

describe('limits', () => {
  it('answers 503 with Retry-After above the concurrency cap and keeps health and metadata open', async () => {
    const capped = await serve('iris', tabularClassifier(4), { BOSUN_MAX_CONCURRENCY: '2' });
    try {
      const body = JSON.stringify({ inputs: [x(ok)] });
      // Two requests whose bodies are still arriving hold both slots.
      const held = [
        heldRequest(`${capped.url}/v2/models/iris/infer`, body),
        heldRequest(`${capped.url}/v2/models/iris/infer`, body),
      ];
      await inFlight(capped.url, 2);
      const refused = await postJson(`${capped.url}/v2/models/iris/infer`, { inputs: [x(ok)] });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.error).toMatch(/limit of 2 requests in flight/);
      // Health and metadata are not prediction requests and stay available.
      expect((await call(`${capped.url}/v2/health/ready`)).status).toBe(200);
      expect((await call(`${capped.url}/v2/models/iris`)).status).toBe(200);
      for (const answer of await Promise.all(held.map((h) => h.finish()))) expect(answer.status).toBe(200);
      // Their slots are free again.
      await inFlight(capped.url, 0);
      expect((await postJson(`${capped.url}/v2/models/iris/infer`, { inputs: [x(ok)] })).status).toBe(200);
      const metrics = await (await fetch(`${capped.url}/metrics`)).text();
      expect(metrics).toMatch(/bosun_inference_rejected_total\{reason="concurrency"\} 1/);
    } finally {
      await capped.close();
    }
  });
});
