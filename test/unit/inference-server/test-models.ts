// Small ONNX models for the inference server's tests and benchmark, built with the shared ONNX
// builder and the trainers' own export code, plus the files a trained model comes with.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { rng } from '../../../images/trainer/data/random.ts';
import { cnnToOnnx } from '../../../images/trainer/export/cnn-graph.ts';
import { addClassificationOutputs } from '../../../images/trainer/export/tabular-graph.ts';
import { initCnn } from '../../../images/trainer/models/cnn.ts';
import { floatTensor, GraphBuilder } from '../../../lib/onnx/builder.ts';

export interface TestModel {
  bytes: Uint8Array;
  signature?: Record<string, unknown>;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A deterministic pseudo-random sequence: the trainers' own seeded generator. */
export const seeded = rng;

export const TABULAR_LABELS = ['setosa', 'versicolor', 'virginica'];

/**
 * A logistic-regression classifier: x float [N, features] → probabilities [N, 3] and label [N],
 * with the outputs the tabular trainer exports. The batch dimension N is open.
 */
export function tabularClassifier(features = 4, seed = 1): TestModel {
  const random = seeded(seed);
  const k = TABULAR_LABELS.length;
  const g = new GraphBuilder('test-tabular');
  const x = g.input('x', 'float', ['N', features]);
  const w = floatTensor(
    Array.from({ length: features * k }, () => random() * 2 - 1),
    [features, k],
  );
  const b = floatTensor([0.1, -0.2, 0.05], [k]);
  const scores = g.op('Gemm', [x, g.constant('w', w), g.constant('b', b)]);
  const outputs = addClassificationOutputs(g, scores, TABULAR_LABELS, k);
  return {
    bytes: g.toBytes(),
    signature: {
      format: 'onnx',
      task: 'tabular-classification',
      labels: TABULAR_LABELS,
      inputs: [{ name: 'x', type: 'float', shape: ['N', features] }],
      outputs,
    },
  };
}

/** The same kind of model with a fixed batch of 1: nothing to batch. */
export function fixedBatchModel(): TestModel {
  const g = new GraphBuilder('test-fixed');
  const x = g.input('x', 'float', [1, 2]);
  g.node('Mul', [x, g.constant('two', floatTensor([2], [1]))], { outputs: ['y'] });
  g.output('y', 'float', [1, 2]);
  return { bytes: g.toBytes() };
}

/** ONNX element types the protocol's datatypes map to. */
export const DATATYPE_ELEM: Record<string, number> = {
  FP32: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BYTES: 8,
  BOOL: 9,
  FP16: 10,
  FP64: 11,
  UINT32: 12,
  UINT64: 13,
};

/** Input name of each datatype in the identity model, e.g. in_fp32 → out_fp32. */
export const inputName = (datatype: string) => `in_${datatype.toLowerCase()}`;
export const outputName = (datatype: string) => `out_${datatype.toLowerCase()}`;

/**
 * One Identity per protocol datatype, each [N, 2]: what goes in comes back, so every datatype's
 * decoding and encoding can be checked. Written with onnx-proto directly because the builder
 * only knows the element types the trainers use.
 */
export function identityModel(): TestModel {
  const { onnx } = onnxProto;
  const info = (name: string, elemType: number) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }] } } },
  });
  const types = Object.entries(DATATYPE_ELEM);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'bosun-tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'identity',
      input: types.map(([d, e]) => info(inputName(d), e)),
      output: types.map(([d, e]) => info(outputName(d), e)),
      node: types.map(([d]) => ({
        opType: 'Identity',
        input: [inputName(d)],
        output: [outputName(d)],
        name: `id_${d}`,
      })),
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish() };
}

export const IMAGE_LABELS = ['cat', 'dog', 'fox', 'owl'];

/** The image trainer's CNN with seeded weights, exported by its own code, and its signature.json. */
export function imageClassifier(
  size = 16,
  filters = 4,
  fit: 'cover' | 'contain' | 'fill' = 'cover',
): TestModel {
  const model = initCnn({ channels: 3, size, filters, classes: IMAGE_LABELS.length }, 7);
  const mean = [120, 110, 100];
  const std = [60, 55, 50];
  const exported = cnnToOnnx(model, IMAGE_LABELS, mean, std);
  return {
    bytes: exported.bytes,
    signature: {
      format: 'onnx',
      task: 'image-classification',
      algorithm: 'cnn',
      labels: IMAGE_LABELS,
      inputs: exported.inputs,
      outputs: exported.outputs,
      preprocessing: {
        size: [size, size],
        fit,
        channelOrder: 'RGB',
        layout: 'NCHW',
        range: [0, 255],
        normalizationInGraph: { mean, std },
      },
    },
  };
}

/** Writes model.onnx (and signature.json) to `dir`; returns the model's file URI and sha256. */
export function writeModel(dir: string, model: TestModel): { uri: string; sha256: string; path: string } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'model.onnx');
  writeFileSync(path, model.bytes);
  if (model.signature) writeFileSync(join(dir, 'signature.json'), JSON.stringify(model.signature));
  return { uri: `file://${path}`, sha256: sha256(model.bytes), path };
}
