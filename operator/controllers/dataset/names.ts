// The names and labels of a Dataset's children, in one place: the collection and snapshot
// CronJobs, one snapshot Job per on-demand request, the data jobs' ServiceAccount and their store
// credentials Secret. Every name is derived from the Dataset's (at most 40 characters, a DNS label),
// so each fits the 52 characters a CronJob name may have and the 63 of a Job.
import { createHash } from 'node:crypto';
import type { Dataset } from '../../api/dataset.ts';
import {
  childLabels,
  LABEL_COMPONENT,
  LABEL_MANAGED_BY,
  LABEL_OWNER_KIND,
  MANAGED_BY,
} from '../shared/labels.ts';

/** Components (app.kubernetes.io/component) of a Dataset's children. */
export const DATASET_COMPONENTS = {
  collection: 'dataset-collection',
  snapshot: 'dataset-snapshot',
  dataJobs: 'dataset-data-jobs',
} as const;

/** On a snapshot Job: the request value it was started for (an on-demand Job only). */
export const SNAPSHOT_REQUEST_ANNOTATION = 'bosun.dev/snapshot-request';
/** On a snapshot Job: the version it builds (an on-demand Job only; a scheduled one derives it). */
export const SNAPSHOT_VERSION_LABEL = 'bosun.dev/snapshot-version';

/** Every Job, CronJob, ServiceAccount and Secret of any Dataset (the caches select by it). */
export const DATASET_CHILDREN_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_OWNER_KIND}=dataset`;

const REQUEST_HASH_CHARS = 10;

export function collectionCronJobName(dataset: Dataset): string {
  return `${dataset.metadata.name}-collect`;
}

export function snapshotCronJobName(dataset: Dataset): string {
  return `${dataset.metadata.name}-snapshot`;
}

/** status.observedSnapshotRequest holds at most this many characters (the schema's maxLength). */
export const MAX_OBSERVED_REQUEST_LENGTH = 256;

/**
 * How a request value is recorded in status.observedSnapshotRequest: itself, or for a value
 * longer than the field allows (annotations have no such limit) `sha256:<hex>` of it.
 */
export function observedRequest(value: string): string {
  return value.length <= MAX_OBSERVED_REQUEST_LENGTH
    ? value
    : `sha256:${createHash('sha256').update(value).digest('hex')}`;
}

/** The one Job of one request value: the same value always names the same Job. */
export function snapshotRequestJobName(dataset: Dataset, request: string): string {
  const hash = createHash('sha256').update(request).digest('hex').slice(0, REQUEST_HASH_CHARS);
  return `${dataset.metadata.name}-snapshot-${hash}`;
}

export function dataJobsServiceAccountName(dataset: Dataset): string {
  return `${dataset.metadata.name}-data-jobs`;
}

export function dataJobsStoreSecretName(dataset: Dataset): string {
  return `${dataset.metadata.name}-data-jobs-store`;
}

export function datasetLabels(dataset: Dataset, component: string): Record<string, string> {
  return childLabels({ kind: 'Dataset', name: dataset.metadata.name as string }, component);
}

/** The component of a Dataset child (collection or snapshot Job, ...), from its labels. */
export function componentOf(labels: Record<string, string> | undefined): string | undefined {
  return labels?.[LABEL_COMPONENT];
}
