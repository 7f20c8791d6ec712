// The Job of one on-demand snapshot request (the annotation bosun.dev/snapshot-requested set to a
// new value), as a pure function of the Dataset, the request and the version chosen for it. Its
// name is derived from the value, so one value can never start two Jobs, however often the
// controller crashes and reconciles it again.
import type { V1Job } from '@kubernetes/client-node';
import { SNAPSHOT_ENV } from '../../../images/data-jobs/job-contract.ts';
import type { Dataset } from '../../api/dataset.ts';
import { controllerReference } from '../shared/owner-references.ts';
import { type DataJobConfig, renderDataJobSpec } from './data-job-template.ts';
import {
  DATASET_COMPONENTS,
  datasetLabels,
  SNAPSHOT_REQUEST_ANNOTATION,
  SNAPSHOT_VERSION_LABEL,
  snapshotRequestJobName,
} from './names.ts';

export interface SnapshotRequest {
  /** The annotation's value. */
  value: string;
  /** YYYYMMDD-HHMMSS (UTC): the time the request was first acted on. */
  version: string;
  /** RFC 3339 of the same instant: batches whose window ends by then are included. */
  time: string;
  /** The Dataset's latest snapshot, recorded as the parent. */
  parent?: string;
}

export function renderSnapshotJob(dataset: Dataset, request: SnapshotRequest, config: DataJobConfig): V1Job {
  const labels = {
    ...datasetLabels(dataset, DATASET_COMPONENTS.snapshot),
    [SNAPSHOT_VERSION_LABEL]: request.version,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: snapshotRequestJobName(dataset, request.value),
      namespace: dataset.metadata.namespace,
      labels,
      annotations: { [SNAPSHOT_REQUEST_ANNOTATION]: request.value },
      ownerReferences: [controllerReference(dataset)],
    },
    spec: renderDataJobSpec(dataset, 'snapshot', labels, config, [
      { name: SNAPSHOT_ENV.version, value: request.version },
      { name: SNAPSHOT_ENV.time, value: request.time },
      ...(request.parent ? [{ name: SNAPSHOT_ENV.parent, value: request.parent }] : []),
    ]),
  };
}
