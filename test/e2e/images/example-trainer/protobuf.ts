// The protobuf wire format, as much as an ONNX model needs: varint integers, length-delimited
// strings, bytes and nested messages. A message is the concatenation of its fields.
const VARINT = 0;
const LENGTH_DELIMITED = 2;

/** An unsigned LEB128 varint; negative int64 values are written as their 64-bit two's complement. */
export function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}

const tag = (field: number, wireType: number) => varint((field << 3) | wireType);

/** An integer field (int32, int64 or enum). */
export function int(field: number, value: number | bigint): Buffer {
  return Buffer.concat([tag(field, VARINT), varint(value)]);
}

/** A string (UTF-8), bytes or an already encoded message. */
export function bytes(field: number, value: string | Uint8Array): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  return Buffer.concat([tag(field, LENGTH_DELIMITED), varint(data.length), data]);
}

/** A nested message made of the given fields. */
export function message(field: number, ...fields: Buffer[]): Buffer {
  return bytes(field, Buffer.concat(fields));
}
