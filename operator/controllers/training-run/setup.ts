// The TrainingRun controller's declaration: for TrainingRuns in the watched namespaces; owns their
// training Jobs (by owner reference); watches the ModelVersions they register (verification and
// promotion finish the run; mapped by spec.source.trainingRun, since a registered version is not
// owned by its run) and the Datasets they wait on (a snapshot published pins a waiting run).
import { ArtifactStore } from '../../../lib/store/client.ts';
import { API_VERSION } from '../../api/group.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import type { TrainingRun } from '../../api/training-run.ts';
import type { ControllerSetup } from '../../runtime/controller-setup.ts';
import { DATASETS, jobs, MODEL_VERSIONS, TRAINING_RUNS } from '../shared/kinds.ts';
import { componentSelector } from '../shared/labels.ts';
import { ownerKeys } from '../shared/owner-references.ts';
import { workloadCredentials } from '../shared/workload-credentials.ts';
import { DATASET_INDEX, runOfModelVersion, TrainingRunReconciler } from './controller.ts';
import { TRAINING_COMPONENT } from './names.ts';

export const TRAINING_JOBS = jobs(componentSelector(TRAINING_COMPONENT));

export const trainingRunSetup: ControllerSetup = {
  name: 'trainingrun',
  for: TRAINING_RUNS,
  owns: [{ kind: TRAINING_JOBS, map: ownerKeys(API_VERSION, 'TrainingRun') }],
  watches: [
    { kind: MODEL_VERSIONS, map: (mv) => runOfModelVersion(mv as ModelVersion) },
    {
      kind: DATASETS,
      map: (dataset, context) =>
        context
          .cache<TrainingRun>(TRAINING_RUNS)
          .byIndex(DATASET_INDEX, `${dataset.metadata?.namespace}/${dataset.metadata?.name}`),
    },
  ],
  build(context) {
    const { config } = context;
    const store = {
      endpoint: config.store.endpoint,
      bucket: config.store.bucket,
      region: config.store.region,
      accessKey: config.store.accessKey,
      secretKey: config.store.secretKey,
    };
    const reconciler = new TrainingRunReconciler({
      runs: context.cache(TRAINING_RUNS),
      datasets: context.cache(DATASETS),
      modelVersions: context.cache(MODEL_VERSIONS),
      jobs: context.cache(TRAINING_JOBS),
      events: context.events,
      store: new ArtifactStore(store),
      credentials: workloadCredentials(config),
      job: {
        trainerImage: config.trainerImage,
        imagePullPolicy: config.imagePullPolicy,
        store: { endpoint: store.endpoint, bucket: store.bucket, region: store.region },
      },
      log: context.log,
    });
    return reconciler.reconcile;
  },
};
