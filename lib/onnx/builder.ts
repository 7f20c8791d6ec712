// Builds ONNX graphs on top of onnx-proto: typed inputs/outputs, initializers from typed arrays,
// nodes with explicitly typed attributes (a JS number cannot say whether it is an int or a float).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Opsets every exported model declares; both are supported by onnxruntime-node 1.30. */
export const OPSET_ONNX = 17;
export const OPSET_ML = 3;
export const ML_DOMAIN = 'ai.onnx.ml';

export type ElemType = 'float' | 'double' | 'int64' | 'string' | 'bool';
/** A dimension: a fixed size or a symbolic name such as 'N' for the batch. */
export type Dim = number | string;

const DATA_TYPE: Record<ElemType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  double: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  string: onnx.TensorProto.DataType.STRING,
  bool: onnx.TensorProto.DataType.BOOL,
};

export interface Tensor {
  type: ElemType;
  dims: number[];
  data: Float32Array | Float64Array | BigInt64Array | string[];
}

export function floatTensor(data: ArrayLike<number>, dims: number[]): Tensor {
  return { type: 'float', dims, data: Float32Array.from(data) };
}
export function doubleTensor(data: ArrayLike<number>, dims: number[]): Tensor {
  return { type: 'double', dims, data: Float64Array.from(data) };
}
export function int64Tensor(data: ArrayLike<number>, dims: number[]): Tensor {
  return { type: 'int64', dims, data: BigInt64Array.from(Array.from(data, (v) => BigInt(v))) };
}

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: Tensor };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  ints: (value: ArrayLike<number>): Attr => ({ kind: 'ints', value: Array.from(value) }),
  floats: (value: ArrayLike<number>): Attr => ({ kind: 'floats', value: Array.from(value) }),
  strings: (value: string[]): Attr => ({ kind: 'strings', value }),
  tensor: (value: Tensor): Attr => ({ kind: 'tensor', value }),
};

function tensorProto(name: string, t: Tensor): onnxProto.onnx.ITensorProto {
  const size = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== size)
    throw new Error(`tensor ${name}: ${t.data.length} values for dims [${t.dims.join(', ')}]`);
  const proto: onnxProto.onnx.ITensorProto = { name, dims: t.dims, dataType: DATA_TYPE[t.type] };
  if (Array.isArray(t.data)) proto.stringData = t.data.map((s) => Buffer.from(s, 'utf8'));
  else {
    // raw_data is little-endian, as typed arrays are on every platform Node supports.
    const view = t.data as Float32Array | Float64Array | BigInt64Array;
    proto.rawData = new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
  }
  return proto;
}

function attributeProto(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'strings':
      return { name, type: T.STRINGS, strings: a.value.map((s) => Buffer.from(s, 'utf8')) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorProto('', a.value) };
  }
}

function valueInfo(name: string, type: ElemType, shape: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface NodeOptions {
  attrs?: Record<string, Attr>;
  domain?: string;
  /** Output names; generated when not given. */
  outputs?: string[];
  /** How many outputs to generate when `outputs` is not given (default 1). */
  outputCount?: number;
}

export class GraphBuilder {
  readonly #nodes: onnxProto.onnx.INodeProto[] = [];
  readonly #inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #outputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly #names = new Set<string>();
  #counter = 0;
  #usesMl = false;

  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  #claim(name: string): string {
    if (this.#names.has(name)) throw new Error(`ONNX graph: name '${name}' is used twice`);
    this.#names.add(name);
    return name;
  }

  /** A fresh value name with a readable stem. */
  fresh(stem: string): string {
    let name: string;
    do name = `${stem}_${this.#counter++}`;
    while (this.#names.has(name));
    return name;
  }

  input(name: string, type: ElemType, shape: Dim[]): string {
    this.#inputs.push(valueInfo(this.#claim(name), type, shape));
    return name;
  }

  output(name: string, type: ElemType, shape: Dim[]): string {
    this.#outputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** A constant tensor stored as an initializer; returns its value name. */
  constant(stem: string, t: Tensor): string {
    const name = this.#claim(this.fresh(stem));
    this.#initializers.push(tensorProto(name, t));
    return name;
  }

  /** Adds a node and returns its output names. */
  node(opType: string, inputs: string[], options: NodeOptions = {}): string[] {
    const outputs =
      options.outputs?.map((o) => this.#claim(o)) ??
      Array.from({ length: options.outputCount ?? 1 }, () => this.#claim(this.fresh(opType.toLowerCase())));
    if (options.domain === ML_DOMAIN) this.#usesMl = true;
    this.#nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: this.fresh(`${opType}_node`),
      domain: options.domain ?? '',
      attribute: Object.entries(options.attrs ?? {}).map(([k, v]) => attributeProto(k, v)),
    });
    return outputs;
  }

  /** Adds a single-output node and returns that output's name. */
  op(opType: string, inputs: string[], options: NodeOptions = {}): string {
    return this.node(opType, inputs, options)[0] as string;
  }

  /** Serialises the model with the project's opsets. */
  toBytes(docString = ''): Uint8Array {
    const opsetImport = [{ domain: '', version: OPSET_ONNX }];
    if (this.#usesMl) opsetImport.push({ domain: ML_DOMAIN, version: OPSET_ML });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'bosun',
      producerVersion: '0.1.0',
      docString,
      opsetImport,
      graph: {
        name: this.name,
        node: this.#nodes,
        input: this.#inputs,
        output: this.#outputs,
        initializer: this.#initializers,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
