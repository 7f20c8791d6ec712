// Builders of ModelVersions for unit tests: a valid object with modifiers, so a test states only
// what matters to it (as cert-manager's test/unit/gen does).
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import type { Verified } from '../../../operator/controllers/model-version/verification-result.ts';

export type Modifier<T> = (obj: T) => void;

export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);

export function aModelVersion(name: string, ...mods: Modifier<ModelVersion>[]): ModelVersion {
  const [model, version] = [name.replace(/-v\d+$/, ''), Number(/-v(\d+)$/.exec(name)?.[1] ?? 1)];
  const mv: ModelVersion = {
    apiVersion: 'bosun.dev/v1alpha1',
    kind: 'ModelVersion',
    metadata: {
      name,
      namespace: 'team-a',
      uid: `uid-${name}`,
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: '2026-01-01T00:00:00Z' as never,
    },
    spec: {
      model,
      version,
      artifact: {
        uri: `s3://bosun/models/team-a/${model}/${version}/model.onnx`,
        sha256: SHA_A,
        format: 'onnx',
      },
      stage: 'none',
      deletionPolicy: 'Retain',
    },
  };
  for (const mod of mods) mod(mv);
  return mv;
}

export const inNamespace =
  (namespace: string): Modifier<ModelVersion> =>
  (mv) => {
    mv.metadata.namespace = namespace;
  };

export const withUri =
  (uri: string): Modifier<ModelVersion> =>
  (mv) => {
    mv.spec.artifact.uri = uri;
  };

export const withSha =
  (sha256: string): Modifier<ModelVersion> =>
  (mv) => {
    mv.spec.artifact.sha256 = sha256;
  };

export const withCredentialsSecret =
  (name: string): Modifier<ModelVersion> =>
  (mv) => {
    mv.spec.artifact.credentialsSecret = { name };
  };

export const withDeletionPolicy =
  (policy: 'Retain' | 'Delete'): Modifier<ModelVersion> =>
  (mv) => {
    mv.spec.deletionPolicy = policy;
  };

export const withStage =
  (stage: ModelVersion['spec']['stage']): Modifier<ModelVersion> =>
  (mv) => {
    mv.spec.stage = stage;
  };

export const withFinalizer: Modifier<ModelVersion> = (mv) => {
  mv.metadata.finalizers = ['bosun.dev/model-version'];
};

export const deleting: Modifier<ModelVersion> = (mv) => {
  mv.metadata.deletionTimestamp = '2026-01-05T00:00:00Z' as never;
};

export const servedBy =
  (...names: string[]): Modifier<ModelVersion> =>
  (mv) => {
    mv.status = { ...mv.status, servedBy: names };
  };

export const A_VERIFIED_RESULT: Verified = {
  ok: true,
  size: 1234,
  verifiedAt: '2026-01-02T00:00:00Z',
  signature: {
    inputs: [{ name: 'x', type: 'float32', shape: ['N', 4] }],
    outputs: [{ name: 'y', type: 'int64', shape: ['N'] }],
  },
  metrics: { f1: 0.8, accuracy: 0.9 },
};

/** Status as the controller writes it once the artifact is verified. */
export const verified: Modifier<ModelVersion> = (mv) => {
  mv.status = {
    ...mv.status,
    observedGeneration: mv.metadata.generation ?? 1,
    artifact: { size: A_VERIFIED_RESULT.size, verifiedAt: A_VERIFIED_RESULT.verifiedAt },
    signature: A_VERIFIED_RESULT.signature,
    metrics: A_VERIFIED_RESULT.metrics,
    keyMetric: 'accuracy=0.9',
    history: [{ stage: mv.spec.stage ?? 'none', time: '2026-01-01T00:00:00Z', reason: 'registered' }],
    conditions: ['ArtifactVerified', 'Ready'].map((type) => ({
      type,
      status: 'True' as const,
      reason: 'Verified',
      message:
        type === 'Ready'
          ? 'the artifact is verified'
          : 'sha256 matches and the model loads as ONNX (1234 bytes)',
      observedGeneration: mv.metadata.generation ?? 1,
      lastTransitionTime: '2026-01-02T00:00:00Z',
    })),
  };
};
