// The smallest valid object of each kind, fresh on every call, for tests to change one thing in.
import { API_VERSION } from '../../../operator/api/group.ts';
import type { BosunObject } from './cluster.ts';

export const digest = 'a'.repeat(64);

export function dataset(name = 'pets'): BosunObject {
  return { apiVersion: API_VERSION, kind: 'Dataset', metadata: { name }, spec: { format: 'imagefolder' } };
}

export function trainingRun(name = 'pets-1'): BosunObject {
  return {
    apiVersion: API_VERSION,
    kind: 'TrainingRun',
    metadata: { name },
    spec: {
      dataset: { name: 'pets' },
      trainer: { builtin: { task: 'image-classification' } },
      model: { name: 'pets' },
    },
  };
}

export function modelVersion(model = 'pets', version = 1): BosunObject {
  return {
    apiVersion: API_VERSION,
    kind: 'ModelVersion',
    metadata: { name: `${model}-v${version}` },
    spec: {
      model,
      version,
      artifact: { uri: `s3://bosun/models/ns/${model}/${version}/model.onnx`, sha256: digest },
    },
  };
}

export function inferenceService(name = 'pets'): BosunObject {
  return {
    apiVersion: API_VERSION,
    kind: 'InferenceService',
    metadata: { name },
    spec: { model: { name: 'pets', version: 1 } },
  };
}

// Tests reach into any field, valid or not, so the object is untyped while it is changed.
// biome-ignore lint/suspicious/noExplicitAny: an invalid object has no type
type Untyped = any;

/** A copy of `object` changed by `change`, which may mutate its argument freely. */
export function changed(object: BosunObject, change: (o: Untyped) => void): BosunObject {
  const copy = structuredClone(object);
  change(copy);
  return copy;
}
