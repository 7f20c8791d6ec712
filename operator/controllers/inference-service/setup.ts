// The InferenceService controller's declaration: for InferenceServices in the watched namespaces;
// owns their Deployments, Service and HorizontalPodAutoscaler (by owner reference, cached by label);
// watches ModelVersions (a promotion, a verification, a deletion re-resolves every InferenceService
// of that model in that namespace) and the Secrets their Pods read (auth tokens, the prediction
// log's connection, the store Secret for input images).
import type { V1Secret } from '@kubernetes/client-node';
import { ArtifactStore } from '../../../lib/store/client.ts';
import { API_VERSION } from '../../api/group.ts';
import type { InferenceService } from '../../api/inference-service.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import type { ControllerSetup } from '../../runtime/controller-setup.ts';
import { INFERENCE_SERVICES, MODEL_VERSIONS, SECRETS } from '../shared/kinds.ts';
import { ownerKeys } from '../shared/owner-references.ts';
import {
  InferenceServiceReconciler,
  inferenceServicesOf,
  SECRET_INDEX,
  SERVING_DEPLOYMENTS,
  SERVING_HPAS,
  SERVING_SERVICES,
} from './controller.ts';

const toOwner = ownerKeys(API_VERSION, 'InferenceService');

export const inferenceServiceSetup: ControllerSetup = {
  name: 'inferenceservice',
  for: INFERENCE_SERVICES,
  owns: [
    { kind: SERVING_DEPLOYMENTS, map: toOwner },
    { kind: SERVING_SERVICES, map: toOwner },
    { kind: SERVING_HPAS, map: toOwner },
  ],
  watches: [
    {
      kind: MODEL_VERSIONS,
      map: (mv, context) =>
        inferenceServicesOf(mv as ModelVersion, context.cache<InferenceService>(INFERENCE_SERVICES)),
    },
    {
      kind: SECRETS,
      map: (secret, context) =>
        context
          .cache<InferenceService>(INFERENCE_SERVICES)
          .byIndex(SECRET_INDEX, `${secret.metadata?.namespace}/${secret.metadata?.name}`),
    },
  ],
  build(context) {
    const { config } = context;
    const storeConfig = {
      endpoint: config.store.endpoint,
      bucket: config.store.bucket,
      region: config.store.region,
    };
    const reconciler = new InferenceServiceReconciler({
      inferenceServices: context.cache(INFERENCE_SERVICES),
      modelVersions: context.cache(MODEL_VERSIONS),
      deployments: context.cache(SERVING_DEPLOYMENTS),
      services: context.cache(SERVING_SERVICES),
      hpas: context.cache(SERVING_HPAS),
      secrets: context.cache<V1Secret>(SECRETS),
      events: context.events,
      store: new ArtifactStore({
        ...storeConfig,
        accessKey: config.store.accessKey,
        secretKey: config.store.secretKey,
      }),
      storeFor: (storeConfig) => new ArtifactStore(storeConfig),
      storeAccess: {
        ...storeConfig,
        workloadCredentials: config.workloadCredentials,
        credentialsSecret: config.store.credentialsSecret,
      },
      server: { image: config.inferenceServerImage, imagePullPolicy: config.imagePullPolicy },
      customMetricsAdapter: config.customMetricsAdapter,
    });
    return reconciler.reconcile;
  },
};
