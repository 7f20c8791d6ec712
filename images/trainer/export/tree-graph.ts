// A tree ensemble's scores in ONNX: ai.onnx.ml TreeEnsembleRegressor over the features cast to
// double, with double thresholds and leaf values, so sums match the trainer's to rounding.
import { attr, doubleTensor, type GraphBuilder, ML_DOMAIN } from '../../../lib/onnx/builder.ts';
import type { GbdtModel } from '../models/gbdt.ts';

const DOUBLE = 11; // TensorProto.DOUBLE

export function addTreeScores(g: GraphBuilder, features: string, model: GbdtModel): string {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const targetTree: number[] = [];
  const targetNode: number[] = [];
  const targetIds: number[] = [];
  const weights: number[] = [];
  model.trees.forEach((tree, t) => {
    for (let node = 0; node < tree.feature.length; node++) {
      const leaf = (tree.feature[node] as number) < 0;
      treeIds.push(t);
      nodeIds.push(node);
      featureIds.push(leaf ? 0 : (tree.feature[node] as number));
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      values.push(leaf ? 0 : (tree.threshold[node] as number));
      trueIds.push(leaf ? 0 : (tree.left[node] as number));
      falseIds.push(leaf ? 0 : (tree.right[node] as number));
      if (leaf) {
        targetTree.push(t);
        targetNode.push(node);
        targetIds.push(tree.target);
        weights.push(tree.value[node] as number);
      }
    }
  });
  const asDouble = g.op('Cast', [features], { attrs: { to: attr.int(DOUBLE) } });
  return g.op('TreeEnsembleRegressor', [asDouble], {
    domain: ML_DOMAIN,
    attrs: {
      n_targets: attr.int(model.k),
      aggregate_function: attr.string('SUM'),
      post_transform: attr.string('NONE'),
      base_values_as_tensor: attr.tensor(doubleTensor(model.base, [model.k])),
      nodes_treeids: attr.ints(treeIds),
      nodes_nodeids: attr.ints(nodeIds),
      nodes_featureids: attr.ints(featureIds),
      nodes_modes: attr.strings(modes),
      nodes_values_as_tensor: attr.tensor(doubleTensor(values, [values.length])),
      nodes_truenodeids: attr.ints(trueIds),
      nodes_falsenodeids: attr.ints(falseIds),
      target_treeids: attr.ints(targetTree),
      target_nodeids: attr.ints(targetNode),
      target_ids: attr.ints(targetIds),
      target_weights_as_tensor: attr.tensor(doubleTensor(weights, [weights.length])),
    },
  });
}
