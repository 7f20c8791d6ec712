// Encodes model outputs as an Open Inference Protocol infer response: JSON tensors, or with the
// binary tensor data extension a JSON header followed by the raw bytes of the binary outputs.
import { type HostTensor, toJsonValues } from './datatypes.ts';
import type { RequestedOutput } from './infer-request.ts';

export interface ResponseHead {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: {
    name: string;
    datatype: string;
    shape: number[];
    parameters?: { binary_data_size: number };
    data?: unknown[];
  }[];
}

export type EncodedResponse =
  | { kind: 'json'; body: ResponseHead }
  | { kind: 'binary'; headerLength: number; body: Buffer };

/** The bytes of one tensor as the binary extension lays them out (BYTES: 4-byte length prefixes). */
export function tensorBytes(t: HostTensor): Buffer {
  if (Array.isArray(t.data)) {
    const parts: Buffer[] = [];
    for (const s of t.data) {
      const bytes = Buffer.from(s, 'utf8');
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(bytes.length);
      parts.push(len, bytes);
    }
    return Buffer.concat(parts);
  }
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function encodeInferResponse(
  head: Omit<ResponseHead, 'outputs'>,
  requested: RequestedOutput[],
  results: Record<string, HostTensor>,
): EncodedResponse {
  const outputs: ResponseHead['outputs'] = [];
  const binaries: Buffer[] = [];
  for (const r of requested) {
    const t = results[r.name] as HostTensor;
    if (r.binary) {
      const bytes = tensorBytes(t);
      binaries.push(bytes);
      outputs.push({
        name: r.name,
        datatype: t.datatype,
        shape: t.shape,
        parameters: { binary_data_size: bytes.length },
      });
    } else
      outputs.push({
        name: r.name,
        datatype: t.datatype,
        shape: t.shape,
        data: toJsonValues(t.datatype, t.data),
      });
  }
  const body: ResponseHead = { ...head, outputs };
  if (binaries.length === 0) return { kind: 'json', body };
  const header = Buffer.from(JSON.stringify(body), 'utf8');
  return { kind: 'binary', headerLength: header.length, body: Buffer.concat([header, ...binaries]) };
}
