// The ModelVersion controller's declaration: for ModelVersions in the watched namespaces; owns the
// verification Jobs in the operator namespace (shared by artifact, so they map back through an
// index of the artifact id rather than an owner reference, which cannot cross namespaces); watches
// those Jobs' Pods, whose verifier's exit settles a version before the Job is marked done.
import { ArtifactStore } from '../../../lib/store/client.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import {
  type ControllerSetup,
  type KeyMapper,
  type Predicate,
  specOrMetadataChanged,
} from '../../runtime/controller-setup.ts';
import { MODEL_VERSIONS, operatorJobs, operatorPods } from '../shared/kinds.ts';
import { ARTIFACT_INDEX, ModelVersionReconciler } from './controller.ts';
import { ARTIFACT_ID_LABEL, JOB_SELECTOR } from './verification-job.ts';

const VERIFICATION_JOBS = operatorJobs(JOB_SELECTOR);
/** The Job's Pods carry its template's labels, the artifact id among them. */
const VERIFICATION_PODS = operatorPods(JOB_SELECTOR);

const byArtifactLabel: KeyMapper = (obj, context) => {
  const id = obj.metadata?.labels?.[ARTIFACT_ID_LABEL];
  return id ? context.cache<ModelVersion>(MODEL_VERSIONS).byIndex(ARTIFACT_INDEX, id) : [];
};

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
  owns: [{ kind: VERIFICATION_JOBS, map: byArtifactLabel }],
  watches: [{ kind: VERIFICATION_PODS, map: byArtifactLabel }],
  build(context) {
    const { config } = context;
    const reconciler = new ModelVersionReconciler({
      modelVersions: context.cache(MODEL_VERSIONS),
      jobs: context.cache(VERIFICATION_JOBS),
      pods: context.cache(VERIFICATION_PODS),
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
