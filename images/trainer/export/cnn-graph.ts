// The CNN in ONNX: normalisation, Conv-Relu-MaxPool twice, Flatten, Gemm, then the shared
// classification outputs.
import { attr, floatTensor, GraphBuilder } from '../../../lib/onnx/builder.ts';
import type { CnnModel } from '../models/cnn.ts';
import { addClassificationOutputs, type SignatureTensor } from './tabular-graph.ts';

export function cnnToOnnx(
  model: CnnModel,
  labels: string[],
  mean: number[],
  std: number[],
): { bytes: Uint8Array; inputs: SignatureTensor[]; outputs: SignatureTensor[] } {
  const { channels: c, size: s, filters: f, classes: k } = model.shape;
  const { layout, params } = model;
  const slice = (from: number, to: number) => params.subarray(from, to);
  const g = new GraphBuilder('bosun-image-classification-cnn');
  const image = g.input('image', 'float', ['N', c, s, s]);
  const centred = g.op('Sub', [image, g.constant('mean', floatTensor(mean, [1, c, 1, 1]))]);
  let h = g.op('Div', [centred, g.constant('std', floatTensor(std, [1, c, 1, 1]))]);
  const block = (w: string, b: string) => {
    const conv = g.op('Conv', [h, w, b], {
      attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([1, 1]) },
    });
    const act = g.op('Relu', [conv]);
    h = g.op('MaxPool', [act], { attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } });
  };
  block(
    g.constant('conv1_w', floatTensor(slice(layout.w1, layout.b1), [f, c, 3, 3])),
    g.constant('conv1_b', floatTensor(slice(layout.b1, layout.w2), [f])),
  );
  block(
    g.constant('conv2_w', floatTensor(slice(layout.w2, layout.b2), [2 * f, f, 3, 3])),
    g.constant('conv2_b', floatTensor(slice(layout.b2, layout.w3), [2 * f])),
  );
  const flat = g.op('Flatten', [h], { attrs: { axis: attr.int(1) } });
  const scores = g.op(
    'Gemm',
    [
      flat,
      g.constant('fc_w', floatTensor(slice(layout.w3, layout.b3), [k, layout.hidden])),
      g.constant('fc_b', floatTensor(slice(layout.b3, layout.total), [k])),
    ],
    { attrs: { transB: attr.int(1) } },
  );
  const outputs = addClassificationOutputs(g, scores, labels, k);
  return {
    bytes: g.toBytes('Bosun image classification (cnn)'),
    inputs: [{ name: 'image', type: 'float', shape: ['N', c, s, s] }],
    outputs,
  };
}
