// The CronJobs of a Dataset, as a pure function of the Dataset and the operator's configuration:
// `<dataset>-collect` for spec.collection and `<dataset>-snapshot` for spec.snapshot.schedule
// (none without them). Runs never overlap (Forbid); a run that could not start within
// STARTING_DEADLINE_SECONDS of its tick is skipped, and the next run collects its window too (the
// windows come from the schedule and the store, decision 0013), so nothing is lost by skipping.
// Scheduled snapshot Jobs derive their version from the schedule the same way.
import type { V1CronJob } from '@kubernetes/client-node';
import type { DataJobCommand } from '../../../images/data-jobs/job-contract.ts';
import { DEFAULT_TIME_ZONE } from '../../api/common.ts';
import type { Dataset } from '../../api/dataset.ts';
import { controllerReference } from '../shared/owner-references.ts';
import { type DataJobConfig, renderDataJobSpec } from './data-job-template.ts';
import { collectionCronJobName, DATASET_COMPONENTS, datasetLabels, snapshotCronJobName } from './names.ts';

export const STARTING_DEADLINE_SECONDS = 300;
/** Finished Jobs a CronJob keeps: enough to read the last outcomes, few enough to stay cheap. */
export const JOBS_HISTORY_LIMIT = 3;

function cronJob(
  dataset: Dataset,
  options: {
    name: string;
    command: DataJobCommand;
    component: string;
    schedule: string;
    timeZone: string | undefined;
    suspend: boolean;
  },
  config: DataJobConfig,
): V1CronJob {
  const labels = datasetLabels(dataset, options.component);
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: options.name,
      namespace: dataset.metadata.namespace,
      labels,
      ownerReferences: [controllerReference(dataset)],
    },
    spec: {
      schedule: options.schedule,
      timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: STARTING_DEADLINE_SECONDS,
      suspend: options.suspend,
      successfulJobsHistoryLimit: JOBS_HISTORY_LIMIT,
      failedJobsHistoryLimit: JOBS_HISTORY_LIMIT,
      jobTemplate: {
        metadata: { labels },
        spec: renderDataJobSpec(dataset, options.command, labels, config),
      },
    },
  };
}

export function renderCronJobs(dataset: Dataset, config: DataJobConfig): V1CronJob[] {
  const cronJobs: V1CronJob[] = [];
  const { collection, snapshot } = dataset.spec;
  if (collection)
    cronJobs.push(
      cronJob(
        dataset,
        {
          name: collectionCronJobName(dataset),
          command: 'collect',
          component: DATASET_COMPONENTS.collection,
          schedule: collection.schedule,
          timeZone: collection.timeZone,
          suspend: collection.suspend ?? false,
        },
        config,
      ),
    );
  if (snapshot?.schedule)
    cronJobs.push(
      cronJob(
        dataset,
        {
          name: snapshotCronJobName(dataset),
          command: 'snapshot',
          component: DATASET_COMPONENTS.snapshot,
          schedule: snapshot.schedule,
          timeZone: snapshot.timeZone,
          suspend: false,
        },
        config,
      ),
    );
  return cronJobs;
}
