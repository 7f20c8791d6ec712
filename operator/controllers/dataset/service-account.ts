// The ServiceAccount a Dataset's data jobs run as, as a pure function of the Dataset: one of their
// own, bound to no Role and mounting no token, so a collection or snapshot Pod has no access to the
// Kubernetes API at all (not even what the namespace's default ServiceAccount may have been given).
import type { V1ServiceAccount } from '@kubernetes/client-node';
import type { Dataset } from '../../api/dataset.ts';
import { controllerReference } from '../shared/owner-references.ts';
import { DATASET_COMPONENTS, dataJobsServiceAccountName, datasetLabels } from './names.ts';

export function renderServiceAccount(dataset: Dataset): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: dataJobsServiceAccountName(dataset),
      namespace: dataset.metadata.namespace,
      labels: datasetLabels(dataset, DATASET_COMPONENTS.dataJobs),
      ownerReferences: [controllerReference(dataset)],
    },
    automountServiceAccountToken: false,
  };
}
