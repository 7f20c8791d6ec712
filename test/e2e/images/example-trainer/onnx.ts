// The classifier as an ONNX model (opset 17, default domain only), encoded by hand with the field
// numbers of onnx.proto. One float [N, 1] input per feature column, so a server passes raw values:
//   Concat → IsNaN/Where (missing → mean) → Sub/Div (standardise) → Gemm (scores)
//   → Softmax = probabilities [N, K];  ArgMax → Gather(labels) = label [N]
import type { CentroidModel } from './classifier.ts';
import { bytes, int, message } from './protobuf.ts';

const IR_VERSION = 8;
const OPSET = 17;
const FLOAT = 1; // TensorProto.DataType
const STRING = 8;
const ATTRIBUTE_INT = 2; // AttributeProto.AttributeType

type Dim = number | string;

function shape(dims: Dim[]): Buffer {
  // TensorShapeProto { repeated Dimension dim = 1 }; Dimension { dim_value = 1 | dim_param = 2 }
  return Buffer.concat(dims.map((d) => message(1, typeof d === 'number' ? int(1, d) : bytes(2, d))));
}

/** ValueInfoProto { name = 1; type = 2 } with TypeProto { tensor_type = 1 { elem_type = 1; shape = 2 } }. */
function valueInfo(field: number, name: string, elemType: number, dims: Dim[]): Buffer {
  return message(field, bytes(1, name), message(2, message(1, int(1, elemType), message(2, shape(dims)))));
}

/** GraphProto.initializer (5): TensorProto { dims = 1; data_type = 2; string_data = 6; name = 8; raw_data = 9 }. */
function floatInitializer(name: string, dims: number[], values: number[]): Buffer {
  // raw_data is little-endian, as Float32Array is on every platform Node runs on.
  const raw = Buffer.from(Float32Array.from(values).buffer);
  return message(5, ...dims.map((d) => int(1, d)), int(2, FLOAT), bytes(8, name), bytes(9, raw));
}

function stringInitializer(name: string, values: string[]): Buffer {
  return message(5, int(1, values.length), int(2, STRING), ...values.map((v) => bytes(6, v)), bytes(8, name));
}

/** NodeProto { input = 1; output = 2; name = 3; op_type = 4; attribute = 5 }, int attributes only. */
function node(op: string, inputs: string[], output: string, attributes: Record<string, number> = {}): Buffer {
  return message(
    1,
    ...inputs.map((i) => bytes(1, i)),
    bytes(2, output),
    bytes(3, `${op}:${output}`),
    bytes(4, op),
    // AttributeProto { name = 1; i = 3; type = 20 }
    ...Object.entries(attributes).map(([name, value]) =>
      message(5, bytes(1, name), int(3, value), int(20, ATTRIBUTE_INT)),
    ),
  );
}

export function encodeModel(model: CentroidModel): Buffer {
  const d = model.features.length;
  const k = model.labels.length;
  // Internal values get a prefix that no input (column name) starts with; the outputs' names are
  // kept apart by fitCentroids, which refuses features named like them.
  let prefix = '_';
  while (model.features.some((name) => name.startsWith(prefix))) prefix += '_';
  const v = (name: string) => `${prefix}${name}`;
  // GraphProto { node = 1; name = 2; initializer = 5; input = 11; output = 12 }
  const graph = [
    node('Concat', model.features, v('raw'), { axis: 1 }),
    node('IsNaN', [v('raw')], v('missing')),
    node('Where', [v('missing'), v('mean'), v('raw')], v('imputed')),
    node('Sub', [v('imputed'), v('mean')], v('centred')),
    node('Div', [v('centred'), v('std')], v('standardised')),
    node('Gemm', [v('standardised'), v('weights'), v('bias')], v('scores')),
    node('Softmax', [v('scores')], 'probabilities', { axis: 1 }),
    node('ArgMax', [v('scores')], v('class'), { axis: 1, keepdims: 0 }),
    node('Gather', [v('labels'), v('class')], 'label', { axis: 0 }),
    bytes(2, 'nearest-centroid'),
    floatInitializer(v('mean'), [d], model.mean),
    floatInitializer(v('std'), [d], model.std),
    floatInitializer(v('weights'), [d, k], model.weights),
    floatInitializer(v('bias'), [k], model.bias),
    stringInitializer(v('labels'), model.labels),
    ...model.features.map((name) => valueInfo(11, name, FLOAT, ['N', 1])),
    valueInfo(12, 'probabilities', FLOAT, ['N', k]),
    valueInfo(12, 'label', STRING, ['N']),
  ];
  // ModelProto { ir_version = 1; producer_name = 2; producer_version = 3; doc_string = 6;
  //              graph = 7; opset_import = 8 { domain = 1; version = 2 } }
  return Buffer.concat([
    int(1, IR_VERSION),
    bytes(2, 'example-trainer'),
    bytes(3, '1'),
    bytes(6, `nearest-centroid classifier of "${model.target}"`),
    message(7, ...graph),
    message(8, bytes(1, ''), int(2, OPSET)),
  ]);
}
