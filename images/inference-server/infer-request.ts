// Turns an Open Inference Protocol infer request (JSON, or JSON plus binary tensor data) into
// checked model feeds. Every check names the input and the problem, for a 400 answer.
import {
  ARRAY_OF,
  type Datatype,
  ELEMENT_SIZE,
  fillFromJson,
  type HostTensor,
  isDatatype,
} from './datatypes.ts';
import { badRequest, HttpError } from './http-error.ts';
import type { Model, TensorSpec } from './model.ts';

export interface RequestedOutput {
  name: string;
  binary: boolean;
}

export interface InferRequest {
  id?: string;
  feeds: Record<string, HostTensor>;
  /** What to return, in order; every model output when the request names none. */
  outputs: RequestedOutput[];
}

export interface Limits {
  maxTensorElements: number;
}

const MAX_ID_LENGTH = 256;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses the JSON part of a request body. */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) throw badRequest('the request body is empty: expected a JSON infer request');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}

function checkShape(where: string, shape: unknown, spec: TensorSpec, limits: Limits): number[] {
  if (!Array.isArray(shape)) throw badRequest(`${where}: "shape" must be an array of non-negative integers`);
  if (shape.length !== spec.shape.length)
    throw badRequest(
      `${where}: shape [${shape.join(', ')}] has ${shape.length} dimensions, the model expects ${spec.shape.length} (${describeShape(spec.shape)})`,
    );
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw badRequest(
        `${where}: "shape" must be an array of non-negative integers, got ${JSON.stringify(d)}`,
      );
    const want = spec.shape[i];
    if (typeof want === 'number' && d !== want)
      throw badRequest(
        `${where}: dimension ${i} is ${d}, the model expects ${want} (shape ${describeShape(spec.shape)})`,
      );
    count *= d;
    if (count > limits.maxTensorElements)
      throw new HttpError(
        413,
        `${where}: shape [${shape.join(', ')}] has more than ${limits.maxTensorElements} elements, the server's limit`,
      );
  }
  return shape as number[];
}

export function describeShape(shape: (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? d : d === '' ? '-1' : d)).join(', ')}]`;
}

/** Flattens row-major data that may be nested up to the tensor's rank. */
function flatten(where: string, data: unknown[], rank: number): unknown[] {
  if (data.length === 0 || !Array.isArray(data[0])) return data;
  let level: unknown[] = data;
  for (let depth = 1; depth < rank && level.length > 0 && Array.isArray(level[0]); depth++) {
    const next: unknown[] = [];
    for (const item of level) {
      if (!Array.isArray(item))
        throw badRequest(`${where}: "data" mixes nested arrays and values at depth ${depth}`);
      for (const v of item) next.push(v);
    }
    level = next;
  }
  return level;
}

function decodeJsonData(where: string, raw: unknown, datatype: Datatype, shape: number[], count: number) {
  if (!Array.isArray(raw)) throw badRequest(`${where}: "data" must be an array`);
  const values = flatten(where, raw, shape.length);
  if (values.length !== count)
    throw badRequest(
      `${where}: "data" has ${values.length} elements, shape [${shape.join(', ')}] needs ${count}`,
    );
  const filled = fillFromJson(datatype, values);
  if ('problem' in filled) {
    const value = values[filled.index];
    // JSON.parse reads a literal beyond a double's range as Infinity, which JSON would print as null.
    const shown =
      typeof value === 'number' && !Number.isFinite(value)
        ? 'a number beyond any float'
        : (JSON.stringify(value) ?? 'undefined');
    throw badRequest(
      `${where}: element ${filled.index} (${shown}) is not valid for ${datatype}: ${filled.problem}`,
    );
  }
  return filled.data;
}

function decodeBinaryData(where: string, bytes: Buffer, datatype: Datatype, shape: number[], count: number) {
  if (datatype === 'BYTES') {
    const out: string[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (at + 4 > bytes.length) throw badRequest(`${where}: binary BYTES data ends inside a length prefix`);
      const n = bytes.readUInt32LE(at);
      at += 4;
      if (at + n > bytes.length)
        throw badRequest(
          `${where}: binary BYTES element ${out.length} claims ${n} bytes past the end of its data`,
        );
      out.push(bytes.toString('utf8', at, at + n));
      at += n;
    }
    if (out.length !== count)
      throw badRequest(
        `${where}: binary data holds ${out.length} BYTES elements, shape [${shape.join(', ')}] needs ${count}`,
      );
    return out;
  }
  const size = ELEMENT_SIZE[datatype];
  if (bytes.length !== count * size)
    throw badRequest(
      `${where}: binary_data_size is ${bytes.length} bytes, shape [${shape.join(', ')}] of ${datatype} needs ${count * size}`,
    );
  // A copy gives the typed array its own aligned buffer (the body's offset may not be aligned).
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const data = new ARRAY_OF[datatype](copy.buffer);
  if (datatype === 'BOOL')
    for (let i = 0; i < copy.length; i++)
      if ((copy[i] as number) > 1)
        throw badRequest(`${where}: BOOL element ${i} is ${copy[i]}, expected 0 or 1`);
  return data;
}

/**
 * Checks a parsed request against the model. `binary` is the body after the JSON header when the
 * binary tensor data extension is used.
 */
export function decodeInferRequest(
  body: unknown,
  model: Model,
  limits: Limits,
  binary?: Buffer,
): InferRequest {
  if (!isObject(body)) throw badRequest('the infer request must be a JSON object with "inputs"');
  const request: InferRequest = { feeds: {}, outputs: [] };
  if (body.id !== undefined) {
    if (typeof body.id !== 'string' || body.id.length > MAX_ID_LENGTH)
      throw badRequest(`"id" must be a string of at most ${MAX_ID_LENGTH} characters`);
    request.id = body.id;
  }
  if (body.parameters !== undefined && !isObject(body.parameters))
    throw badRequest('"parameters" must be an object');
  const binaryOutputs = (body.parameters as Record<string, unknown> | undefined)?.binary_data_output === true;
  if (!Array.isArray(body.inputs) || body.inputs.length === 0)
    throw badRequest('"inputs" must be a non-empty array of tensors');
  let offset = 0;
  for (let i = 0; i < body.inputs.length; i++) {
    const input: unknown = body.inputs[i];
    if (!isObject(input))
      throw badRequest(`inputs[${i}] must be an object with name, shape, datatype and data`);
    if (typeof input.name !== 'string') throw badRequest(`inputs[${i}]: "name" must be a string`);
    const where = `input '${input.name}'`;
    const spec = model.input(input.name);
    if (!spec)
      throw badRequest(
        `${where} is not an input of the model; its inputs are ${model.inputs.map((t) => `'${t.name}'`).join(', ')}`,
      );
    if (request.feeds[input.name]) throw badRequest(`${where} is given twice`);
    if (!isDatatype(input.datatype))
      throw badRequest(
        `${where}: datatype ${JSON.stringify(input.datatype)} is not one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES`,
      );
    if (input.datatype !== spec.datatype)
      throw badRequest(`${where}: datatype is ${input.datatype}, the model expects ${spec.datatype}`);
    const shape = checkShape(where, input.shape, spec, limits);
    const count = shape.reduce((a, b) => a * b, 1);
    if (input.parameters !== undefined && !isObject(input.parameters))
      throw badRequest(`${where}: "parameters" must be an object`);
    const binarySize = (input.parameters as Record<string, unknown> | undefined)?.binary_data_size;
    let data: HostTensor['data'];
    if (binarySize !== undefined) {
      if (typeof binarySize !== 'number' || !Number.isSafeInteger(binarySize) || binarySize < 0)
        throw badRequest(`${where}: binary_data_size must be a non-negative integer`);
      if (!binary)
        throw badRequest(
          `${where}: binary_data_size is set but the request has no binary part (send the Inference-Header-Content-Length header)`,
        );
      if (input.data !== undefined)
        throw badRequest(`${where}: give either "data" or binary_data_size, not both`);
      if (offset + binarySize > binary.length)
        throw badRequest(
          `${where}: binary_data_size ${binarySize} runs past the end of the body (${binary.length - offset} bytes left)`,
        );
      data = decodeBinaryData(
        where,
        binary.subarray(offset, offset + binarySize),
        spec.datatype,
        shape,
        count,
      );
      offset += binarySize;
    } else {
      if (input.data === undefined) throw badRequest(`${where}: "data" is missing`);
      data = decodeJsonData(where, input.data, spec.datatype, shape, count);
    }
    request.feeds[input.name] = { datatype: spec.datatype, shape, data };
  }
  if (binary && offset !== binary.length)
    throw badRequest(
      `the binary part of the body has ${binary.length} bytes but the inputs' binary_data_size add up to ${offset}`,
    );
  const missing = model.inputs.filter((t) => !request.feeds[t.name]);
  if (missing.length > 0)
    throw badRequest(
      `missing input${missing.length > 1 ? 's' : ''} ${missing.map((t) => `'${t.name}'`).join(', ')}`,
    );
  request.outputs = decodeRequestedOutputs(body.outputs, model, binaryOutputs);
  return request;
}

function decodeRequestedOutputs(raw: unknown, model: Model, binaryByDefault: boolean): RequestedOutput[] {
  if (raw === undefined) return model.outputs.map((o) => ({ name: o.name, binary: binaryByDefault }));
  if (!Array.isArray(raw)) throw badRequest('"outputs" must be an array of {name, parameters}');
  const seen = new Set<string>();
  return raw.map((o: unknown, i) => {
    if (!isObject(o) || typeof o.name !== 'string')
      throw badRequest(`outputs[${i}] must be an object with a "name"`);
    if (!model.output(o.name))
      throw badRequest(
        `output '${o.name}' is not an output of the model; its outputs are ${model.outputs.map((t) => `'${t.name}'`).join(', ')}`,
      );
    if (seen.has(o.name)) throw badRequest(`output '${o.name}' is requested twice`);
    seen.add(o.name);
    if (o.parameters !== undefined && !isObject(o.parameters))
      throw badRequest(`output '${o.name}': "parameters" must be an object`);
    const flag = (o.parameters as Record<string, unknown> | undefined)?.binary_data;
    if (flag !== undefined && typeof flag !== 'boolean')
      throw badRequest(`output '${o.name}': binary_data must be true or false`);
    return { name: o.name, binary: flag ?? binaryByDefault };
  });
}
