// A linear model's scores in ONNX: Gemm of the encoded features with float32 weights.
import { floatTensor, type GraphBuilder } from '../../../lib/onnx/builder.ts';

/** `weights` is row-major [d × k], `bias` [k]. */
export function addLinearScores(
  g: GraphBuilder,
  features: string,
  weights: Float64Array,
  bias: Float64Array,
  d: number,
  k: number,
): string {
  return g.op('Gemm', [
    features,
    g.constant('weights', floatTensor(weights, [d, k])),
    g.constant('bias', floatTensor(bias, [k])),
  ]);
}
