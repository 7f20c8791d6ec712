// Modifiers of the Datasets of test/unit/gen/dataset.ts for the controller's tests: what a user
// changes after the first apply (a snapshot request, retention, collection paused, a new
// generation) and the status an earlier reconcile wrote.
import type { Dataset, DatasetStatus } from '../../../operator/api/dataset.ts';
import { SNAPSHOT_REQUESTED_ANNOTATION } from '../../../operator/api/group.ts';
import type { Modifier } from './model-version.ts';

/** spec.collection.suspend set (the Dataset must have a collection). */
export const collectionSuspended: Modifier<Dataset> = (dataset) => {
  if (!dataset.spec.collection) throw new Error('collectionSuspended needs a Dataset with spec.collection');
  dataset.spec.collection.suspend = true;
};

export const withRetention =
  (snapshots: number): Modifier<Dataset> =>
  (dataset) => {
    dataset.spec.retention = { snapshots };
  };

/** The on-demand snapshot annotation set to `value`. */
export const requestingSnapshot =
  (value: string): Modifier<Dataset> =>
  (dataset) => {
    dataset.metadata.annotations = {
      ...dataset.metadata.annotations,
      [SNAPSHOT_REQUESTED_ANNOTATION]: value,
    };
  };

export const withGeneration =
  (generation: number): Modifier<Dataset> =>
  (dataset) => {
    dataset.metadata.generation = generation;
  };

/** Status as an earlier reconcile wrote it. */
export const withStatus =
  (status: DatasetStatus): Modifier<Dataset> =>
  (dataset) => {
    dataset.status = { ...dataset.status, ...structuredClone(status) };
  };
