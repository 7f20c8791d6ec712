// The kinds the controllers declare, in one place: Bosun's own (from the API definitions) and the
// built-in kinds they own or watch.

import { datasetDefinition } from '../../api/dataset.ts';
import { API_VERSION } from '../../api/group.ts';
import { inferenceServiceDefinition } from '../../api/inference-service.ts';
import { modelVersionDefinition } from '../../api/model-version.ts';
import { trainingRunDefinition } from '../../api/training-run.ts';
import type { KindRef } from '../../runtime/controller-setup.ts';

export const MODEL_VERSIONS: KindRef = {
  apiVersion: API_VERSION,
  kind: modelVersionDefinition.kind,
  plural: modelVersionDefinition.plural,
  scope: 'watched',
};

export const INFERENCE_SERVICES: KindRef = {
  apiVersion: API_VERSION,
  kind: inferenceServiceDefinition.kind,
  plural: inferenceServiceDefinition.plural,
  scope: 'watched',
};

/** Deployments in the watched namespaces with the given labels (the operator's own, by selector). */
export function deployments(labelSelector: string): KindRef {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    plural: 'deployments',
    scope: 'watched',
    labelSelector,
  };
}

/** Services in the watched namespaces with the given labels. */
export function services(labelSelector: string): KindRef {
  return { apiVersion: 'v1', kind: 'Service', plural: 'services', scope: 'watched', labelSelector };
}

/** HorizontalPodAutoscalers (autoscaling/v2) in the watched namespaces with the given labels. */
export function horizontalPodAutoscalers(labelSelector: string): KindRef {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    scope: 'watched',
    labelSelector,
  };
}

/** Jobs in the operator's namespace with the given labels (shared work such as verification). */
export function operatorJobs(labelSelector: string): KindRef {
  return { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', scope: 'operator', labelSelector };
}

export const SECRETS: KindRef = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', scope: 'watched' };
/** Pods in the operator's namespace with the given labels (those of its shared Jobs). */
export function operatorPods(labelSelector: string): KindRef {
  return { apiVersion: 'v1', kind: 'Pod', plural: 'pods', scope: 'operator', labelSelector };
}

export const DATASETS: KindRef = {
  apiVersion: API_VERSION,
  kind: datasetDefinition.kind,
  plural: datasetDefinition.plural,
  scope: 'watched',
};

/** Jobs in the watched namespaces with the given labels. */
export function jobs(labelSelector: string): KindRef {
  return { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', scope: 'watched', labelSelector };
}

/** CronJobs in the watched namespaces with the given labels. */
export function cronJobs(labelSelector: string): KindRef {
  return { apiVersion: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', scope: 'watched', labelSelector };
}

/** ServiceAccounts in the watched namespaces with the given labels. */
export function serviceAccounts(labelSelector: string): KindRef {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    scope: 'watched',
    labelSelector,
  };
}

export const TRAINING_RUNS: KindRef = {
  apiVersion: API_VERSION,
  kind: trainingRunDefinition.kind,
  plural: trainingRunDefinition.plural,
  scope: 'watched',
};
