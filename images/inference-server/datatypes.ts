// The Open Inference Protocol's tensor datatypes and their ONNX Runtime counterparts: element
// sizes for the binary extension, typed-array constructors, and the checks on JSON values.

/** OIP datatypes ONNX Runtime can run (BF16 exists in the protocol but not in onnxruntime-node). */
export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export type Datatype = (typeof DATATYPES)[number];

export type OrtType =
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'string';

export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | string[];

/** A tensor as the server passes it around: flat row-major data plus its shape. */
export interface HostTensor {
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

const TO_ORT: Record<Datatype, OrtType> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};
const FROM_ORT = Object.fromEntries(Object.entries(TO_ORT).map(([k, v]) => [v, k])) as Record<
  OrtType,
  Datatype
>;

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && (DATATYPES as readonly string[]).includes(value);
}

export function toOrtType(datatype: Datatype): OrtType {
  return TO_ORT[datatype];
}

/** The OIP datatype of an ONNX Runtime element type, or undefined when the protocol has none. */
export function fromOrtType(type: string): Datatype | undefined {
  return FROM_ORT[type as OrtType];
}

/** Bytes per element in the binary extension; BYTES elements are length-prefixed instead. */
export const ELEMENT_SIZE: Record<Exclude<Datatype, 'BYTES'>, number> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

type NumericArray = Exclude<TensorData, string[]>;
type ArrayConstructorOf = { new (length: number): NumericArray; new (buffer: ArrayBuffer): NumericArray };

/** The typed array that holds each numeric datatype (BOOL as bytes, FP16 as its bit patterns). */
export const ARRAY_OF: Record<Exclude<Datatype, 'BYTES'>, ArrayConstructorOf> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  INT8: Int8Array,
  UINT16: Uint16Array,
  INT16: Int16Array,
  FP16: Uint16Array,
  UINT32: Uint32Array,
  INT32: Int32Array,
  FP32: Float32Array,
  UINT64: BigUint64Array,
  INT64: BigInt64Array,
  FP64: Float64Array,
};

const INTEGER_RANGE: Partial<Record<Datatype, [number, number]>> = {
  UINT8: [0, 0xff],
  INT8: [-0x80, 0x7f],
  UINT16: [0, 0xffff],
  INT16: [-0x8000, 0x7fff],
  UINT32: [0, 0xffffffff],
  INT32: [-0x80000000, 0x7fffffff],
};

/** Rounds a number as the datatype stores it; a finite number that overflows becomes infinite. */
const FLOAT_ROUND: Record<'FP16' | 'FP32' | 'FP64', (v: number) => number> = {
  FP16: (v) => (Math as unknown as { f16round(v: number): number }).f16round(v),
  FP32: Math.fround,
  FP64: (v) => v,
};
const FLOAT_MAX = { FP16: '65504', FP32: '3.4028234663852886e38', FP64: '1.7976931348623157e308' };

// Node 24 has Float16Array; TypeScript's es2024 library does not declare it yet.
const Float16 = (
  globalThis as unknown as {
    Float16Array: { new (data: ArrayLike<number> | ArrayBuffer): ArrayLike<number> };
  }
).Float16Array;

export function float16Bits(values: ArrayLike<number>): Uint16Array {
  const halves = new Float16(values) as unknown as { buffer: ArrayBuffer };
  return new Uint16Array(halves.buffer);
}

export function float16Values(bits: Uint16Array): ArrayLike<number> {
  const copy = bits.slice();
  return new Float16(copy.buffer);
}

/**
 * Fills a typed array from JSON values, checking each one; returns the index and reason of the
 * first bad value instead of throwing, so the caller can name the input.
 */
export function fillFromJson(
  datatype: Datatype,
  values: readonly unknown[],
): { data: TensorData } | { index: number; problem: string } {
  const n = values.length;
  if (datatype === 'BYTES') {
    for (let i = 0; i < n; i++)
      if (typeof values[i] !== 'string') return { index: i, problem: 'expected a string' };
    return { data: values as string[] };
  }
  if (datatype === 'BOOL') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'boolean') return { index: i, problem: 'expected true or false' };
      out[i] = v ? 1 : 0;
    }
    return { data: out };
  }
  if (datatype === 'FP32' || datatype === 'FP64' || datatype === 'FP16') {
    const out = datatype === 'FP64' ? new Float64Array(n) : new Float32Array(n);
    const round = FLOAT_ROUND[datatype];
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') return { index: i, problem: 'expected a number' };
      // JSON has no infinities: one here is a literal beyond the datatype's range, which a typed
      // array would silently store as Infinity (JSON.parse already does for FP64).
      if (!Number.isFinite(round(v)))
        return {
          index: i,
          problem: `out of range for ${datatype} (largest magnitude ${FLOAT_MAX[datatype]})`,
        };
      out[i] = v;
    }
    return { data: datatype === 'FP16' ? float16Bits(out) : out };
  }
  if (datatype === 'INT64' || datatype === 'UINT64') {
    const out = datatype === 'INT64' ? new BigInt64Array(n) : new BigUint64Array(n);
    const [min, max] = datatype === 'INT64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
    const range = `out of range for ${datatype} (${min}..${max})`;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      // Integers beyond 2^53 cannot be exact JSON numbers, so decimal strings are accepted too.
      let b: bigint;
      if (typeof v === 'number' && Number.isInteger(v)) {
        b = BigInt(v);
        if (b < min || b > max) return { index: i, problem: range };
        // The number was rounded when the JSON was parsed: another integer may have been meant.
        if (!Number.isSafeInteger(v))
          return {
            index: i,
            problem: 'beyond 2^53 a JSON number is not exact: send the integer as a decimal string',
          };
      } else if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) b = BigInt(v);
      else return { index: i, problem: 'expected an integer' };
      if (b < min || b > max) return { index: i, problem: range };
      out[i] = b;
    }
    return { data: out };
  }
  const [min, max] = INTEGER_RANGE[datatype] as [number, number];
  const out = new ARRAY_OF[datatype](n) as Exclude<NumericArray, BigInt64Array | BigUint64Array>;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) return { index: i, problem: 'expected an integer' };
    if (v < min || v > max) return { index: i, problem: `out of range for ${datatype} (${min}..${max})` };
    out[i] = v;
  }
  return { data: out };
}

/** JSON values of a tensor's data, as the protocol returns them. */
export function toJsonValues(datatype: Datatype, data: TensorData): unknown[] {
  if (Array.isArray(data)) return data;
  if (datatype === 'BOOL') return Array.from(data as Uint8Array, (v) => v !== 0);
  if (datatype === 'FP16') return Array.from(float16Values(data as Uint16Array));
  if (data instanceof BigInt64Array || data instanceof BigUint64Array)
    // Exact as numbers up to 2^53; beyond that, a decimal string keeps every digit.
    return Array.from(data, (v) => (v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v.toString()));
  return Array.from(data as ArrayLike<number>, (v) => (Number.isFinite(v) ? v : String(v)));
}
