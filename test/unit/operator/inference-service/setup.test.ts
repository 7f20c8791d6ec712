import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { InferenceService } from '../../../../operator/api/inference-service.ts';
import { loadConfig } from '../../../../operator/config.ts';
import { inferenceServiceSetup } from '../../../../operator/controllers/inference-service/setup.ts';
import { INFERENCE_SERVICES, SECRETS } from '../../../../operator/controllers/shared/kinds.ts';
import type { KindRef, SetupContext } from '../../../../operator/runtime/controller-setup.ts';
import type { KubeObject } from '../../../../operator/runtime/kube-object.ts';
import { ObjectCache } from '../../../../operator/runtime/object-cache.ts';
import {
  anInferenceService,
  followingStage,
  withAuth,
  withPredictionLog,
} from '../../gen/inference-service.ts';
import { aModelVersion, inNamespace, servedBy } from '../../gen/model-version.ts';

const ENV = {
  POD_NAMESPACE: 'bosun-system',
  BOSUN_STORE_ENDPOINT: 'http://minio:9000',
  BOSUN_STORE_ACCESS_KEY: 'ak',
  BOSUN_STORE_SECRET_KEY: 'sk',
  BOSUN_OPERATOR_IMAGE: 'registry.example/bosun/operator:1',
  BOSUN_INFERENCE_SERVER_IMAGE: 'registry.example/bosun/inference-server:1',
};

function context(env: Record<string, string> = {}): SetupContext {
  const caches = new Map<string, ObjectCache<KubeObject>>();
  return {
    config: loadConfig([], { ...ENV, ...env }),
    cache: <T extends KubeObject>(kind: KindRef) => {
      const id = `${kind.apiVersion}/${kind.plural}?${kind.labelSelector ?? ''}`;
      if (!caches.has(id)) caches.set(id, new ObjectCache<KubeObject>());
      return caches.get(id) as unknown as ObjectCache<T>;
    },
    events: { record: () => undefined },
    log: pino({ level: 'silent' }),
  };
}

const declared = (plural: string) =>
  [...(inferenceServiceSetup.owns ?? []), ...(inferenceServiceSetup.watches ?? [])].find(
    (w) => w.kind.plural === plural,
  );

describe('the InferenceService controller declaration', () => {
  it('owns its Deployments, Service and HPA, selected by label, and maps them to their owner', () => {
    const owns = (inferenceServiceSetup.owns ?? []).map((o) => [o.kind.kind, o.kind.labelSelector]);
    expect(owns).toEqual([
      [
        'Deployment',
        'app.kubernetes.io/managed-by=bosun-operator,app.kubernetes.io/component=inference-server',
      ],
      ['Service', 'app.kubernetes.io/managed-by=bosun-operator,app.kubernetes.io/component=inference-server'],
      [
        'HorizontalPodAutoscaler',
        'app.kubernetes.io/managed-by=bosun-operator,app.kubernetes.io/component=inference-server',
      ],
    ]);
    const ctx = context();
    inferenceServiceSetup.build(ctx);
    const child: KubeObject = {
      metadata: {
        name: 'api-primary',
        namespace: 'team-a',
        ownerReferences: [
          {
            apiVersion: 'bosun.dev/v1alpha1',
            kind: 'InferenceService',
            name: 'api',
            uid: 'u',
            controller: true,
          },
        ],
      },
    };
    expect(declared('deployments')?.map(child, ctx)).toEqual(['team-a/api']);
  });

  it('re-resolves every InferenceService of a ModelVersion’s model in its namespace, and those it lists', () => {
    const ctx = context();
    inferenceServiceSetup.build(ctx);
    const isvcs = ctx.cache<InferenceService>(INFERENCE_SERVICES);
    isvcs.set(anInferenceService('api', followingStage('production')));
    isvcs.set(anInferenceService('web'));
    isvcs.set(anInferenceService('other', (o) => (o.spec.model.name = 'other')));
    isvcs.set(anInferenceService('api', (o) => (o.metadata.namespace = 'team-b')));
    const mv = aModelVersion('fraud-v7');
    expect(declared('modelversions')?.map(mv, ctx).sort()).toEqual(['team-a/api', 'team-a/web']);
    expect(
      declared('modelversions')
        ?.map(aModelVersion('other-v1', servedBy('gone')), ctx)
        .sort(),
    ).toEqual(['team-a/gone', 'team-a/other']);
    expect(declared('modelversions')?.map(aModelVersion('fraud-v7', inNamespace('team-c')), ctx)).toEqual([]);
  });

  it('watches the Secrets the Pods read, and maps each to the InferenceServices that name it', () => {
    const ctx = context({ BOSUN_WORKLOAD_CREDENTIALS: 'shared' });
    inferenceServiceSetup.build(ctx);
    expect(declared('secrets')?.kind).toEqual(SECRETS);
    const isvcs = ctx.cache<InferenceService>(INFERENCE_SERVICES);
    isvcs.set(anInferenceService('api', withAuth('tokens'), withPredictionLog('db')));
    isvcs.set(anInferenceService('web', withAuth('tokens')));
    const secret = (name: string) => ({ metadata: { name, namespace: 'team-a' } });
    expect(declared('secrets')?.map(secret('tokens'), ctx).sort()).toEqual(['team-a/api', 'team-a/web']);
    expect(declared('secrets')?.map(secret('db'), ctx)).toEqual(['team-a/api']);
    // Input images are stored with the store Secret of the namespace, so it is watched too.
    expect(declared('secrets')?.map(secret('bosun-store'), ctx)).toEqual(['team-a/api']);
    expect(declared('secrets')?.map(secret('unrelated'), ctx)).toEqual([]);
  });
});
