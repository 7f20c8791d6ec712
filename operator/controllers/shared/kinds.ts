// The kinds the controllers declare, in one place: Bosun's own (from the API definitions) and the
// built-in kinds they own or watch.
import { API_VERSION } from '../../api/group.ts';
import { modelVersionDefinition } from '../../api/model-version.ts';
import type { KindRef } from '../../runtime/controller-setup.ts';

export const MODEL_VERSIONS: KindRef = {
  apiVersion: API_VERSION,
  kind: modelVersionDefinition.kind,
  plural: modelVersionDefinition.plural,
  scope: 'watched',
};

/** Jobs in the operator's namespace with the given labels (shared work such as verification). */
export function operatorJobs(labelSelector: string): KindRef {
  return { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', scope: 'operator', labelSelector };
}

export const SECRETS: KindRef = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', scope: 'watched' };
export const PODS_IN_OPERATOR_NAMESPACE: KindRef = {
  apiVersion: 'v1',
  kind: 'Pod',
  plural: 'pods',
  scope: 'operator',
};
