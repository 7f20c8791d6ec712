// The Dataset controller's declaration: for Datasets in the watched namespaces; owns their
// collection and snapshot CronJobs, the Jobs those and on-demand requests start (mapped back by
// their labels: a CronJob's Jobs are owned by the CronJob), the data jobs' ServiceAccount, and
// their store credentials Secret; watches ModelVersions (one trained on a snapshot keeps it past
// retention, and its deletion lets retention go on).
import type { V1Secret } from '@kubernetes/client-node';
import { ArtifactStore } from '../../../lib/store/client.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import type { ControllerSetup } from '../../runtime/controller-setup.ts';
import { DATASETS, MODEL_VERSIONS, SECRETS } from '../shared/kinds.ts';
import { workloadCredentials } from '../shared/workload-credentials.ts';
import {
  DATASET_CRONJOBS,
  DATASET_JOBS,
  DATASET_SERVICE_ACCOUNTS,
  DatasetReconciler,
  datasetOf,
  datasetTrainedOn,
} from './controller.ts';

export const datasetSetup: ControllerSetup = {
  name: 'dataset',
  for: DATASETS,
  owns: [
    { kind: DATASET_CRONJOBS, map: datasetOf },
    { kind: DATASET_JOBS, map: datasetOf },
    { kind: DATASET_SERVICE_ACCOUNTS, map: datasetOf },
    { kind: SECRETS, map: datasetOf },
  ],
  watches: [{ kind: MODEL_VERSIONS, map: (mv) => datasetTrainedOn(mv as ModelVersion) }],
  build(context) {
    const { config } = context;
    const store = {
      endpoint: config.store.endpoint,
      bucket: config.store.bucket,
      region: config.store.region,
      accessKey: config.store.accessKey,
      secretKey: config.store.secretKey,
    };
    const reconciler = new DatasetReconciler({
      datasets: context.cache(DATASETS),
      modelVersions: context.cache(MODEL_VERSIONS),
      jobs: context.cache(DATASET_JOBS),
      cronJobs: context.cache(DATASET_CRONJOBS),
      serviceAccounts: context.cache(DATASET_SERVICE_ACCOUNTS),
      secrets: context.cache<V1Secret>(SECRETS),
      events: context.events,
      store: new ArtifactStore(store),
      credentials: workloadCredentials(config),
      job: {
        image: config.dataJobsImage,
        imagePullPolicy: config.imagePullPolicy,
        store: { endpoint: store.endpoint, bucket: store.bucket, region: store.region },
        ttlSecondsAfterFinished: config.jobTtlSeconds,
      },
      log: context.log,
    });
    return reconciler.reconcile;
  },
};
