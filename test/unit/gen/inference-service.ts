// Builders of InferenceServices (as the API server returns them, defaults filled in), their
// Deployments in a given rollout state, and Secrets, for unit tests: a valid object with modifiers,
// so a test states only what matters to it.
import type { V1Deployment, V1Secret } from '@kubernetes/client-node';
import type { InferenceService } from '../../../operator/api/inference-service.ts';
import type { Modifier } from './model-version.ts';

export function anInferenceService(name: string, ...mods: Modifier<InferenceService>[]): InferenceService {
  const isvc: InferenceService = {
    apiVersion: 'bosun.dev/v1alpha1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: 'team-a',
      uid: `uid-${name}`,
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: '2026-01-01T00:00:00Z' as never,
    },
    spec: {
      model: { name: 'fraud', version: 3 },
      server: {
        batching: { maxBatchSize: 1, maxLatencyMilliseconds: 5 },
        threads: { intraOp: 1, interOp: 1 },
        maxRequestBytes: 10485760,
        maxConcurrency: 64,
        timeoutSeconds: 30,
      },
    },
  };
  for (const mod of mods) mod(isvc);
  return isvc;
}

export const pinned =
  (version: number): Modifier<InferenceService> =>
  (isvc) => {
    isvc.spec.model = { name: isvc.spec.model.name, version };
  };

export const followingStage =
  (stage: 'dev' | 'staging' | 'production'): Modifier<InferenceService> =>
  (isvc) => {
    isvc.spec.model = { name: isvc.spec.model.name, stage };
  };

export const withReplicas =
  (replicas: number): Modifier<InferenceService> =>
  (isvc) => {
    isvc.spec.replicas = replicas;
  };

export const withCanary =
  (canary: {
    version?: number;
    stage?: 'dev' | 'staging' | 'production';
    percent: number;
  }): Modifier<InferenceService> =>
  (isvc) => {
    isvc.spec.canary = canary;
  };

export const withAutoscaling =
  (autoscaling: NonNullable<InferenceService['spec']['autoscaling']>): Modifier<InferenceService> =>
  (isvc) => {
    isvc.spec.autoscaling = autoscaling;
  };

export const withAuth =
  (secret: string): Modifier<InferenceService> =>
  (isvc) => {
    isvc.spec.auth = { bearerTokenSecret: { name: secret } };
  };

export const withPredictionLog =
  (secret: string, storeInputs = true): Modifier<InferenceService> =>
  (isvc) => {
    isvc.spec.predictionLog = { connectionSecret: { name: secret }, table: 'predictions', storeInputs };
  };

export const withPreprocessing: Modifier<InferenceService> = (isvc) => {
  isvc.spec.preprocessing = {
    size: { width: 224, height: 224 },
    fit: 'cover',
    channelOrder: 'RGB',
    layout: 'NCHW',
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  };
};

export const withGeneration =
  (generation: number): Modifier<InferenceService> =>
  (isvc) => {
    isvc.metadata.generation = generation;
  };

export const withServingFinalizer: Modifier<InferenceService> = (isvc) => {
  isvc.metadata.finalizers = ['bosun.dev/inference-service'];
};

export const deletingService: Modifier<InferenceService> = (isvc) => {
  isvc.metadata.deletionTimestamp = '2026-01-05T00:00:00Z' as never;
};

export const withStatus =
  (status: NonNullable<InferenceService['status']>): Modifier<InferenceService> =>
  (isvc) => {
    isvc.status = { ...isvc.status, ...status };
  };

/** A Deployment as the Deployment controller reports it: `desired` replicas, of which `updated`
 * run the current template and `available` are available; `old` Pods of an older template left. */
export function withRollout(
  deployment: V1Deployment,
  state: { desired: number; updated: number; available: number; old?: number; observed?: boolean },
): V1Deployment {
  const generation = deployment.metadata?.generation ?? 1;
  return {
    ...deployment,
    metadata: { ...deployment.metadata, generation },
    spec: { ...(deployment.spec as NonNullable<V1Deployment['spec']>), replicas: state.desired },
    status: {
      observedGeneration: state.observed === false ? generation - 1 : generation,
      replicas: state.updated + (state.old ?? 0),
      updatedReplicas: state.updated,
      readyReplicas: state.available + (state.old ?? 0),
      availableReplicas: state.available + (state.old ?? 0),
    },
  };
}

export function aSecret(namespace: string, name: string, data: Record<string, string>): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '7' },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}
