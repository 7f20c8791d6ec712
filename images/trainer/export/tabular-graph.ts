// The ONNX graph parts every tabular model shares: one input per raw column, the fitted
// preprocessing, and the classification or regression outputs.
import {
  attr,
  type Dim,
  floatTensor,
  type GraphBuilder,
  int64Tensor,
  ML_DOMAIN,
} from '../../../lib/onnx/builder.ts';
import type { FeatureSpec } from '../data/tabular-features.ts';

const BOOL_TO_FLOAT = 1; // TensorProto.FLOAT

export interface SignatureTensor {
  name: string;
  type: 'float' | 'string' | 'int64';
  shape: Dim[];
}

/** Declares the raw inputs and computes the encoded features [N, names.length]. */
export function addFeatureGraph(
  g: GraphBuilder,
  spec: FeatureSpec,
): { features: string; inputs: SignatureTensor[] } {
  const inputs: SignatureTensor[] = [];
  const parts: string[] = [];
  const numericInputs = spec.numeric.map((f) => {
    inputs.push({ name: f.column, type: 'float', shape: ['N', 1] });
    return g.input(f.column, 'float', ['N', 1]);
  });
  const categoricalInputs = spec.categorical.map((f) => {
    inputs.push({ name: f.column, type: 'string', shape: ['N', 1] });
    return g.input(f.column, 'string', ['N', 1]);
  });
  if (numericInputs.length > 0) {
    const d = spec.numeric.length;
    const x =
      numericInputs.length === 1
        ? (numericInputs[0] as string)
        : g.op('Concat', numericInputs, { attrs: { axis: attr.int(1) } });
    const missing = g.op('IsNaN', [x]);
    const imputed = g.op('Where', [
      missing,
      g.constant(
        'median',
        floatTensor(
          spec.numeric.map((f) => f.median),
          [d],
        ),
      ),
      x,
    ]);
    const centred = g.op('Sub', [
      imputed,
      g.constant(
        'mean',
        floatTensor(
          spec.numeric.map((f) => f.mean),
          [d],
        ),
      ),
    ]);
    parts.push(
      g.op('Div', [
        centred,
        g.constant(
          'std',
          floatTensor(
            spec.numeric.map((f) => f.std),
            [d],
          ),
        ),
      ]),
    );
    const withIndicator = spec.numeric.flatMap((f, j) => (f.missingIndicator ? [j] : []));
    if (withIndicator.length > 0) {
      const flags = g.op('Cast', [missing], { attrs: { to: attr.int(BOOL_TO_FLOAT) } });
      const indices = g.constant('missing_columns', int64Tensor(withIndicator, [withIndicator.length]));
      parts.push(g.op('Gather', [flags, indices], { attrs: { axis: attr.int(1) } }));
    }
  }
  spec.categorical.forEach((f, j) => {
    if (f.categories.length === 0) return;
    const onehot = g.op('OneHotEncoder', [categoricalInputs[j] as string], {
      domain: ML_DOMAIN,
      attrs: { cats_strings: attr.strings(f.categories), zeros: attr.int(1) },
    });
    parts.push(g.op('Flatten', [onehot], { attrs: { axis: attr.int(1) } }));
  });
  const features =
    parts.length === 1 ? (parts[0] as string) : g.op('Concat', parts, { attrs: { axis: attr.int(1) } });
  return { features, inputs };
}

/**
 * Turns raw class scores into `probabilities` [N, K] and `label` [N]: a sigmoid of a single score
 * column (two classes), a softmax of K columns otherwise.
 */
export function addClassificationOutputs(
  g: GraphBuilder,
  scores: string,
  labels: string[],
  columns: number,
): SignatureTensor[] {
  const k = labels.length;
  if (columns === 1) {
    const p = g.op('Sigmoid', [scores]);
    const q = g.op('Sub', [g.constant('one', floatTensor([1], [1])), p]);
    g.node('Concat', [q, p], { attrs: { axis: attr.int(1) }, outputs: ['probabilities'] });
  } else {
    g.node('Softmax', [scores], { attrs: { axis: attr.int(1) }, outputs: ['probabilities'] });
  }
  const index = g.op('ArgMax', ['probabilities'], { attrs: { axis: attr.int(1), keepdims: attr.int(0) } });
  g.node('LabelEncoder', [index], {
    domain: ML_DOMAIN,
    attrs: {
      keys_int64s: attr.ints(labels.map((_, i) => i)),
      values_strings: attr.strings(labels),
      default_string: attr.string(''),
    },
    outputs: ['label'],
  });
  g.output('probabilities', 'float', ['N', k]);
  g.output('label', 'string', ['N']);
  return [
    { name: 'probabilities', type: 'float', shape: ['N', k] },
    { name: 'label', type: 'string', shape: ['N'] },
  ];
}

/** Turns a single score column [N, 1] into `prediction` [N]. */
export function addRegressionOutput(g: GraphBuilder, score: string): SignatureTensor[] {
  g.node('Reshape', [score, g.constant('flat', int64Tensor([-1], [1]))], { outputs: ['prediction'] });
  g.output('prediction', 'float', ['N']);
  return [{ name: 'prediction', type: 'float', shape: ['N'] }];
}

/** Class probabilities from raw scores [n × columns], computed as the graph computes them. */
export function probabilitiesFromScores(
  scores: Float64Array,
  n: number,
  k: number,
  columns: number,
): Float64Array {
  const out = new Float64Array(n * k);
  if (columns === 1) {
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-(scores[i] as number)));
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, scores[i * k + c] as number);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += out[i * k + c] = Math.exp((scores[i * k + c] as number) - max);
    for (let c = 0; c < k; c++) out[i * k + c] = (out[i * k + c] as number) / sum;
  }
  return out;
}
