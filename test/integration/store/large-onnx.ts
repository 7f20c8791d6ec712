// Large test objects produced as streams, so neither the test nor MinIO's client holds them whole:
// a valid ONNX model of a chosen size and plain zero bytes, each with its sha256.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GraphBuilder } from '../../../lib/onnx/builder.ts';

const CHUNK = Buffer.alloc(1 << 20);

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let n = value;
  while (n >= 0x80) {
    bytes.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** A protobuf field header: number and wire type (0 varint, 2 length-delimited). */
const field = (number: number, wireType: 0 | 2) => varint(number * 8 + wireType);

function* zeros(size: number): Generator<Buffer> {
  for (let left = size; left > 0; left -= CHUNK.length)
    yield left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
}

export interface StreamedObject {
  size: number;
  sha256: string;
  open: () => Readable;
}

function streamed(parts: () => Generator<Buffer>): StreamedObject {
  const hash = createHash('sha256');
  let size = 0;
  for (const part of parts()) {
    hash.update(part);
    size += part.length;
  }
  return { size, sha256: hash.digest('hex'), open: () => Readable.from(parts(), { objectMode: false }) };
}

export function zeroBytes(size: number): StreamedObject {
  return streamed(() => zeros(size));
}

/**
 * `y = x + w` over `floats` float32 values, with `w` an all-zero initializer: a model of about
 * 4 × floats bytes that onnxruntime loads. protobuf merges a message field that occurs twice, so
 * the graph is written once without `w` (by GraphBuilder) and once more holding only `w`, whose
 * raw bytes are streamed.
 */
export function onnxModelOfFloats(floats: number): StreamedObject {
  const g = new GraphBuilder('large');
  const x = g.input('x', 'float', [floats]);
  g.op('Add', [x, 'w'], { outputs: ['y'] });
  g.output('y', 'float', [floats]);
  const head = Buffer.from(g.toBytes());
  const rawSize = floats * 4;
  const name = Buffer.from('w');
  // TensorProto: dims (1), data_type (2, FLOAT = 1), name (8), raw_data (9).
  const tensorHead = Buffer.concat([
    field(1, 0),
    varint(floats),
    field(2, 0),
    varint(1),
    field(8, 2),
    varint(name.length),
    name,
    field(9, 2),
    varint(rawSize),
  ]);
  const tensorSize = tensorHead.length + rawSize;
  // GraphProto.initializer (5) inside ModelProto.graph (7).
  const initializer = Buffer.concat([field(5, 2), varint(tensorSize)]);
  const graph = Buffer.concat([field(7, 2), varint(initializer.length + tensorSize)]);
  return streamed(function* () {
    yield head;
    yield graph;
    yield initializer;
    yield tensorHead;
    yield* zeros(rawSize);
  });
}
