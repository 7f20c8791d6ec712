// The ModelVersion controller's declaration: for ModelVersions in the watched namespaces; owns the
// verification Jobs in the operator namespace (shared by artifact, so they map back through an
// index of the artifact id rather than an owner reference, which cannot cross namespaces).
import { ArtifactStore } from '../../../lib/store/client.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import {
  type ControllerSetup,
  type Predicate,
  specOrMetadataChanged,
} from '../../runtime/controller-setup.ts';
import { MODEL_VERSIONS, operatorJobs } from '../shared/kinds.ts';
import { ARTIFACT_INDEX, ModelVersionReconciler } from './controller.ts';
import { ARTIFACT_ID_LABEL, JOB_SELECTOR } from './verification-job.ts';

const VERIFICATION_JOBS = operatorJobs(JOB_SELECTOR);

/**
 * Spec and metadata changes, and also a held deletion's status.servedBy changing (a status-only
 * write of the InferenceService controller): released, the deletion goes on at once, not at the
 * next recheck.
 */
export const modelVersionChanged: Predicate = (obj, old) => {
  if (specOrMetadataChanged(obj, old)) return true;
  const servedBy = (o: unknown) => JSON.stringify((o as ModelVersion | undefined)?.status?.servedBy ?? []);
  return Boolean(obj.metadata?.deletionTimestamp) && servedBy(obj) !== servedBy(old);
};

export const modelVersionSetup: ControllerSetup = {
  name: 'modelversion',
  for: MODEL_VERSIONS,
  predicate: modelVersionChanged,
  owns: [
    {
      kind: VERIFICATION_JOBS,
      map: (job, context) => {
        const id = job.metadata?.labels?.[ARTIFACT_ID_LABEL];
        return id ? context.cache<ModelVersion>(MODEL_VERSIONS).byIndex(ARTIFACT_INDEX, id) : [];
      },
    },
  ],
  build(context) {
    const { config } = context;
    const reconciler = new ModelVersionReconciler({
      modelVersions: context.cache(MODEL_VERSIONS),
      jobs: context.cache(VERIFICATION_JOBS),
      events: context.events,
      store: new ArtifactStore({
        endpoint: config.store.endpoint,
        bucket: config.store.bucket,
        region: config.store.region,
        accessKey: config.store.accessKey,
        secretKey: config.store.secretKey,
      }),
      storeFor: (storeConfig) => new ArtifactStore(storeConfig),
      storeDefaults: { endpoint: config.store.endpoint, region: config.store.region },
      job: {
        namespace: config.operatorNamespace,
        image: config.image,
        imagePullPolicy: config.imagePullPolicy,
        ttlSecondsAfterFinished: config.jobTtlSeconds,
      },
      verificationRetryMs: config.verificationRetryMs,
      log: context.log,
    });
    return reconciler.reconcile;
  },
};
