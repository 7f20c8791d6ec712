import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { ModelVersionSpec } from '../../../../operator/api/model-version.ts';
import { modelKey, renderModelVersion } from '../../../../operator/controllers/training-run/model-version.ts';
import {
  aPinnedSnapshot,
  aTrainingRun,
  inNamespace,
  ofModel,
  onSnapshot,
  SHA_M,
  V2,
} from '../../gen/training-run.ts';

const SHA = 'f'.repeat(64);
const run = aTrainingRun(
  'pets-monthly-20260201',
  ofModel('pets-classifier'),
  onSnapshot(V2, 'full'),
  inNamespace('team-b'),
);
const registered = renderModelVersion(run, {
  version: 3,
  sha256: SHA,
  bucket: 'bosun',
  snapshot: aPinnedSnapshot(V2, 'full', 'pets', 'team-b'),
});

describe('the ModelVersion a run registers', () => {
  it('is <model>-v<N> in the run’s namespace, of that model and number', () => {
    expect(registered.apiVersion).toBe('bosun.dev/v1alpha1');
    expect(registered.kind).toBe('ModelVersion');
    expect(registered.metadata.name).toBe('pets-classifier-v3');
    expect(registered.metadata.namespace).toBe('team-b');
    expect([registered.spec.model, registered.spec.version]).toEqual(['pets-classifier', 3]);
  });

  it('points at the model copied to models/<ns>/<model>/<N>/ with its digest, in stage none', () => {
    expect(registered.spec.artifact).toEqual({
      uri: 's3://bosun/models/team-b/pets-classifier/3/model.onnx',
      sha256: SHA,
      format: 'onnx',
    });
    expect(modelKey(run, 3)).toBe('models/team-b/pets-classifier/3/model.onnx');
    expect(modelKey(run, 3, 'plots/confusion.png')).toBe(
      'models/team-b/pets-classifier/3/plots/confusion.png',
    );
    expect(registered.spec.stage).toBe('none');
    expect(registered.spec.deletionPolicy).toBe('Retain');
  });

  it('records its lineage: the run, the Dataset and the pinned snapshot with its manifest digest', () => {
    expect(registered.spec.source).toEqual({
      trainingRun: 'pets-monthly-20260201',
      dataset: { name: 'pets', snapshot: V2, variant: 'full', manifestSha256: SHA_M },
    });
    expect(registered.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'bosun-operator',
      'bosun.dev/training-run': 'pets-monthly-20260201',
    });
  });

  it('is not owned by the run: deleting the run keeps the registered model', () => {
    expect(registered.metadata.ownerReferences).toBeUndefined();
    expect(registered.metadata.finalizers).toBeUndefined();
  });

  it('is a spec the CRD schema accepts', () => {
    expect(
      [...Value.Errors(ModelVersionSpec, registered.spec)].map((e) => `${e.path}: ${e.message}`),
    ).toEqual([]);
  });
});
