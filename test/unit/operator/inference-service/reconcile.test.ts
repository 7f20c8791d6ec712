// The InferenceService controller's reconcile paths, table-driven against the recording fake client
// and a fake store (pure logic; the real API server and node are in test/e2e/operator/).
import type {
  V1Deployment,
  V1Pod,
  V1Secret,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { InferenceService } from '../../../../operator/api/inference-service.ts';
import type { ModelVersion } from '../../../../operator/api/model-version.ts';
import {
  InferenceServiceReconciler,
  type ServingStoreAccess,
} from '../../../../operator/controllers/inference-service/controller.ts';
import { renderDeployment } from '../../../../operator/controllers/inference-service/deployment.ts';
import { renderService } from '../../../../operator/controllers/inference-service/service.ts';
import type { StoreAccess } from '../../../../operator/controllers/inference-service/serving-secrets.ts';
import type { ReconcileOutcome } from '../../../../operator/runtime/controller.ts';
import type { EventRecord } from '../../../../operator/runtime/events.ts';
import type { KubeObject } from '../../../../operator/runtime/kube-object.ts';
import { ObjectCache } from '../../../../operator/runtime/object-cache.ts';
import {
  anInferenceService,
  aSecret,
  deletingService,
  followingStage,
  pinned,
  withAuth,
  withAutoscaling,
  withCanary,
  withReplicas,
  withRollout,
  withServingFinalizer,
  withStatus,
} from '../../gen/inference-service.ts';
import {
  aModelVersion,
  SHA_A,
  servedBy,
  verified,
  withCredentialsSecret,
  withStage,
  withUri,
} from '../../gen/model-version.ts';
import { RecordingClient } from '../recording-client.ts';

const NOW = new Date('2026-01-10T00:00:00Z');
const AMZ_NOW = '20260110T000000Z';
const SERVER = {
  image: 'registry.example/bosun/inference-server:1',
  imagePullPolicy: 'IfNotPresent' as const,
};
const STORE_ACCESS: StoreAccess = {
  workloadCredentials: 'sts',
  endpoint: 'http://store.test',
  bucket: 'bosun',
  region: 'us-east-1',
  credentialsSecret: 'bosun-store',
};

class FakeStore implements ServingStoreAccess {
  readonly bucket: string;
  readonly looked: string[] = [];
  readonly keys: Set<string>;
  #signed = 0;
  constructor(bucket: string, keys: string[] = []) {
    this.bucket = bucket;
    this.keys = new Set(keys);
  }
  async stat(key: string) {
    this.looked.push(key);
    return this.keys.has(key) ? { size: 1 } : undefined;
  }
  async presignedGet(key: string, expirySeconds: number) {
    this.#signed++;
    return `http://store.test/${this.bucket}/${key}?X-Amz-Date=${AMZ_NOW}&X-Amz-Expires=${expirySeconds}&X-Amz-Signature=s${this.#signed}`;
  }
}

const isvcPath = (name: string) => `/apis/bosun.dev/v1alpha1/namespaces/team-a/inferenceservices/${name}`;
const mvPath = (name: string) => `/apis/bosun.dev/v1alpha1/namespaces/team-a/modelversions/${name}`;
const deploymentPath = (name: string) => `/apis/apps/v1/namespaces/team-a/deployments/${name}`;
const servicePath = (name: string) => `/api/v1/namespaces/team-a/services/${name}`;
const hpaPath = (name: string) => `/apis/autoscaling/v2/namespaces/team-a/horizontalpodautoscalers/${name}`;
const writeOf = (method: string, path: string) => `${method} ${path.split('/').slice(-2).join('/')}`;

/** A link signed `daysAgo` days before NOW, as the live Deployment carries it. */
const oldLink = (key: string, daysAgo: number) => {
  const d = new Date(NOW.getTime() - daysAgo * 86_400_000);
  const amz = d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `http://store.test/bosun/${key}?X-Amz-Date=${amz}&X-Amz-Expires=604800&X-Amz-Signature=old`;
};
const keyOf = (n: number) => `models/team-a/fraud/${n}/model.onnx`;

const ready = (n: number, ...mods: ((mv: ModelVersion) => void)[]) =>
  aModelVersion(`fraud-v${n}`, verified, ...mods);
const served = (n: number) => ({ modelVersion: `fraud-v${n}`, version: n, sha256: SHA_A });
const open = (n: number, role: 'primary' | 'canary' = 'primary') => ({
  modelVersion: `fraud-v${n}`,
  version: n,
  role,
  from: '2026-01-09T00:00:00Z',
});

/** The Deployment the controller made earlier for `mv`, as the Deployment controller reports it. */
function liveDeployment(
  isvc: InferenceService,
  mv: ModelVersion,
  options: {
    role?: 'primary' | 'canary';
    replicas?: number;
    linkAge?: number;
    rollout?: Parameters<typeof withRollout>[1];
  } = {},
): V1Deployment {
  const role = options.role ?? 'primary';
  const replicas = options.replicas ?? 1;
  const d = renderDeployment(
    isvc,
    {
      role,
      model: mv,
      modelLink: oldLink(keyOf(mv.spec.version), options.linkAge ?? 1),
      replicas,
    },
    SERVER,
  );
  d.metadata = { ...d.metadata, uid: `uid-api-${role}`, resourceVersion: '5' };
  return withRollout(d, options.rollout ?? { desired: replicas, updated: replicas, available: replicas });
}

function liveService(isvc: InferenceService): V1Service {
  const s = renderService(isvc);
  s.metadata = { ...s.metadata, uid: 'uid-svc', resourceVersion: '5' };
  return s;
}

interface World {
  isvc: InferenceService;
  versions?: ModelVersion[];
  deployments?: V1Deployment[];
  services?: V1Service[];
  hpas?: V2HorizontalPodAutoscaler[];
  secrets?: V1Secret[];
  pods?: V1Pod[];
  /** Objects the API server has that the caches do not show (another owner's). */
  uncached?: { path: string; object: KubeObject }[];
  storeKeys?: string[];
  server?: typeof SERVER;
  customMetricsAdapter?: boolean;
}

function harness(world: World) {
  const isvcs = new ObjectCache<InferenceService>();
  const mvs = new ObjectCache<ModelVersion>();
  const deployments = new ObjectCache<V1Deployment>();
  const services = new ObjectCache<V1Service>();
  const hpas = new ObjectCache<V2HorizontalPodAutoscaler>();
  const secrets = new ObjectCache<V1Secret>();
  const objects: { path: string; object: KubeObject }[] = [];
  isvcs.set(structuredClone(world.isvc));
  objects.push({ path: isvcPath(world.isvc.metadata.name as string), object: world.isvc });
  for (const mv of world.versions ?? []) {
    mvs.set(structuredClone(mv));
    objects.push({ path: mvPath(mv.metadata.name as string), object: mv });
  }
  for (const d of world.deployments ?? []) {
    deployments.set(structuredClone(d));
    objects.push({ path: deploymentPath(d.metadata?.name as string), object: d });
  }
  for (const s of world.services ?? []) {
    services.set(structuredClone(s));
    objects.push({ path: servicePath(s.metadata?.name as string), object: s });
  }
  for (const h of world.hpas ?? []) {
    hpas.set(structuredClone(h));
    objects.push({ path: hpaPath(h.metadata?.name as string), object: h });
  }
  for (const s of world.secrets ?? []) secrets.set(structuredClone(s));
  for (const p of world.pods ?? [])
    objects.push({ path: `/api/v1/namespaces/team-a/pods/${p.metadata?.name}`, object: p });
  objects.push(...(world.uncached ?? []));
  const client = new RecordingClient(objects);
  const store = new FakeStore('bosun', world.storeKeys ?? []);
  const events: EventRecord[] = [];
  const reconciler = new InferenceServiceReconciler({
    inferenceServices: isvcs,
    modelVersions: mvs,
    deployments,
    services,
    hpas,
    secrets,
    events: { record: (_o, e) => events.push(e) },
    store,
    storeFor: (config) => new FakeStore(config.bucket),
    storeAccess: STORE_ACCESS,
    server: world.server ?? SERVER,
    customMetricsAdapter: world.customMetricsAdapter ?? false,
    now: () => NOW,
  });
  const key = `team-a/${world.isvc.metadata.name}`;
  return {
    client,
    store,
    events,
    caches: { isvcs, mvs, deployments, services, hpas },
    reconcile: () => reconciler.reconcile(key, { client, signal: new AbortController().signal }),
  };
}

interface Case {
  name: string;
  world: World;
  expect: {
    /** Every write, as `METHOD last-two-path-segments`, in order. */
    writes: string[];
    ready?: [string, string];
    resolved?: [string, string];
    events?: string[];
    outcome?: ReconcileOutcome['type'];
    /** status.servedBy of ModelVersions after the reconcile. */
    servedBy?: Record<string, string[] | undefined>;
    /** Checks of the applied Deployment named here. */
    deployment?: { name: string; check: (d: V1Deployment) => void };
  };
}

const base = (...mods: ((o: InferenceService) => void)[]) =>
  anInferenceService('api', withServingFinalizer, ...mods);
const envValue = (d: V1Deployment, name: string) =>
  d.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === name)?.value;

const promoted = base(followingStage('production'), withStatus({ primary: served(3), history: [open(3)] }));

const cases: Case[] = [
  {
    name: 'a new InferenceService gets its finalizer, marks its version in use, and rolls out a Deployment and a Service',
    world: { isvc: anInferenceService('api', pinned(3)), versions: [ready(3)] },
    expect: {
      writes: [
        'PATCH inferenceservices/api',
        'PATCH fraud-v3/status',
        'PATCH deployments/api-primary',
        'PATCH services/api',
        'PATCH api/status',
      ],
      ready: ['False', 'RollingOut'],
      resolved: ['True', 'Resolved'],
      events: ['RolloutStarted'],
      outcome: 'RequeueAfter',
      servedBy: { 'fraud-v3': ['api'] },
      deployment: {
        name: 'api-primary',
        check: (d) => {
          expect(envValue(d, 'BOSUN_MODEL_URI')).toContain(`/bosun/${keyOf(3)}?X-Amz-Date=${AMZ_NOW}`);
          expect(envValue(d, 'BOSUN_SIGNATURE_URI')).toBeUndefined();
          expect(d.spec?.replicas).toBe(1);
        },
      },
    },
  },
  {
    name: 'a pinned version that does not exist: a Service, no Deployment, and the reason',
    world: { isvc: base(pinned(9)), versions: [ready(3)] },
    expect: {
      writes: ['PATCH services/api', 'PATCH api/status'],
      ready: ['False', 'ModelVersionNotFound'],
      resolved: ['False', 'ModelVersionNotFound'],
      events: ['ModelVersionNotFound'],
      outcome: 'WaitForChange',
      servedBy: { 'fraud-v3': undefined },
    },
  },
  {
    name: 'a stage emptied by a demotion keeps serving: the Deployment stays as it is',
    world: {
      isvc: promoted,
      versions: [ready(3, withStage('archived'), servedBy('api'))],
      deployments: [liveDeployment(promoted, ready(3))],
      services: [liveService(promoted)],
    },
    expect: {
      writes: ['PATCH api/status'],
      ready: ['False', 'ModelNotResolved'],
      resolved: ['False', 'NoReadyVersionInStage'],
      events: ['NoReadyVersionInStage'],
      servedBy: { 'fraud-v3': ['api'] },
    },
  },
  {
    name: 'a promotion marks the new version in use before the Deployment rolls over to it, and keeps the old one in use',
    world: {
      isvc: promoted,
      versions: [ready(3, withStage('archived'), servedBy('api')), ready(4, withStage('production'))],
      deployments: [liveDeployment(promoted, ready(3))],
      services: [liveService(promoted)],
      storeKeys: ['models/team-a/fraud/4/signature.json'],
    },
    expect: {
      writes: ['PATCH fraud-v4/status', 'PATCH deployments/api-primary', 'PATCH api/status'],
      ready: ['False', 'RollingOut'],
      events: ['RolloutStarted'],
      servedBy: { 'fraud-v3': ['api'], 'fraud-v4': ['api'] },
      deployment: {
        name: 'api-primary',
        check: (d) => {
          expect(envValue(d, 'BOSUN_MODEL_VERSION')).toBe('4');
          expect(envValue(d, 'BOSUN_SIGNATURE_URI')).toContain(
            '/bosun/models/team-a/fraud/4/signature.json?',
          );
        },
      },
    },
  },
  {
    name: 'once every replica runs the new version, the old one is released',
    world: {
      isvc: base(
        followingStage('production'),
        withStatus({ primary: served(4), history: [open(3), open(4)] }),
      ),
      versions: [
        ready(3, withStage('archived'), servedBy('api')),
        ready(4, withStage('production'), servedBy('api')),
      ],
      deployments: [liveDeployment(promoted, ready(4))],
      services: [liveService(promoted)],
    },
    expect: {
      writes: ['PATCH api/status', 'PATCH fraud-v3/status'],
      ready: ['True', 'Serving'],
      servedBy: { 'fraud-v3': undefined, 'fraud-v4': ['api'] },
    },
  },
  {
    name: 'a Pod of the replaced version still draining keeps the rollout going and that version in use',
    world: {
      isvc: base(
        followingStage('production'),
        withStatus({ primary: served(4), history: [open(3), open(4)] }),
      ),
      versions: [
        ready(3, withStage('archived'), servedBy('api')),
        ready(4, withStage('production'), servedBy('api')),
      ],
      deployments: [liveDeployment(promoted, ready(4))],
      services: [liveService(promoted)],
      pods: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'api-primary-old',
            deletionTimestamp: '2026-01-09T23:59:58Z' as never,
            labels: {
              'app.kubernetes.io/managed-by': 'bosun-operator',
              'app.kubernetes.io/component': 'inference-server',
              'app.kubernetes.io/instance': 'api',
              'bosun.dev/owner-kind': 'inferenceservice',
              'bosun.dev/serving-role': 'primary',
              'bosun.dev/model-version': 'fraud-v3',
            },
          },
          status: { phase: 'Running' },
        },
      ],
    },
    expect: {
      writes: ['PATCH api/status'],
      ready: ['False', 'RollingOut'],
      outcome: 'RequeueAfter',
      servedBy: { 'fraud-v3': ['api'], 'fraud-v4': ['api'] },
    },
  },
  {
    name: 'a live link with days left is kept: a settled Deployment is not applied again',
    world: {
      isvc: base(pinned(3), withStatus({ primary: served(3), history: [open(3)] })),
      versions: [ready(3, servedBy('api'))],
      deployments: [liveDeployment(promoted, ready(3), { linkAge: 2 })],
      services: [liveService(promoted)],
    },
    expect: { writes: ['PATCH api/status'], ready: ['True', 'Serving'], outcome: 'RequeueAfter' },
  },
  {
    name: 'a link near its expiry is renewed, which rolls the Deployment',
    world: {
      isvc: base(pinned(3), withStatus({ primary: served(3), history: [open(3)] })),
      versions: [ready(3, servedBy('api'))],
      deployments: [liveDeployment(promoted, ready(3), { linkAge: 5 })],
      services: [liveService(promoted)],
    },
    expect: {
      writes: ['PATCH deployments/api-primary', 'PATCH api/status'],
      deployment: {
        name: 'api-primary',
        check: (d) => expect(envValue(d, 'BOSUN_MODEL_URI')).toContain(`X-Amz-Date=${AMZ_NOW}`),
      },
    },
  },
  {
    name: 'a canary gets its share of the replicas beside the primary',
    world: {
      isvc: base(pinned(3), withReplicas(4), withCanary({ version: 4, percent: 25 })),
      versions: [ready(3), ready(4)],
    },
    expect: {
      writes: [
        'PATCH fraud-v3/status',
        'PATCH fraud-v4/status',
        'PATCH deployments/api-primary',
        'PATCH deployments/api-canary',
        'PATCH services/api',
        'PATCH api/status',
      ],
      events: ['RolloutStarted', 'RolloutStarted'],
      servedBy: { 'fraud-v3': ['api'], 'fraud-v4': ['api'] },
      deployment: { name: 'api-canary', check: (d) => expect(d.spec?.replicas).toBe(1) },
    },
  },
  {
    name: 'a canary no longer asked for is pruned, and the primary takes all the replicas',
    world: {
      isvc: base(
        pinned(3),
        withReplicas(4),
        withStatus({
          primary: served(3),
          canary: { ...served(4), percent: 25 },
          history: [open(3), open(4, 'canary')],
        }),
      ),
      versions: [ready(3, servedBy('api')), ready(4, servedBy('api'))],
      deployments: [
        liveDeployment(promoted, ready(3), { replicas: 3 }),
        liveDeployment(promoted, ready(4), { role: 'canary', replicas: 1 }),
      ],
      services: [liveService(promoted)],
    },
    expect: {
      writes: [
        'PATCH deployments/api-primary',
        'DELETE deployments/api-canary',
        'PATCH api/status',
        'PATCH fraud-v4/status',
      ],
      servedBy: { 'fraud-v3': ['api'], 'fraud-v4': undefined },
      deployment: { name: 'api-primary', check: (d) => expect(d.spec?.replicas).toBe(4) },
    },
  },
  {
    name: 'autoscaling on CPU: an HPA scales the primary, whose replica count is left to it',
    world: {
      isvc: base(pinned(3), withAutoscaling({ minReplicas: 2, maxReplicas: 5, targetCPUUtilization: 70 })),
      versions: [ready(3)],
    },
    expect: {
      writes: [
        'PATCH fraud-v3/status',
        'PATCH deployments/api-primary',
        'PATCH services/api',
        'PATCH horizontalpodautoscalers/api',
        'PATCH api/status',
      ],
      deployment: { name: 'api-primary', check: (d) => expect(d.spec && 'replicas' in d.spec).toBe(false) },
    },
  },
  {
    name: 'targetConcurrency without a metrics adapter: no HPA, minReplicas, and a condition saying so',
    world: {
      isvc: base(pinned(3), withAutoscaling({ minReplicas: 2, maxReplicas: 5, targetConcurrency: 8 })),
      versions: [ready(3)],
    },
    expect: {
      writes: [
        'PATCH fraud-v3/status',
        'PATCH deployments/api-primary',
        'PATCH services/api',
        'PATCH api/status',
      ],
      deployment: { name: 'api-primary', check: (d) => expect(d.spec?.replicas).toBe(2) },
    },
  },
  {
    name: "a Service of another owner with the InferenceService's name is left alone",
    world: {
      isvc: base(pinned(3)),
      versions: [ready(3)],
      uncached: [
        {
          path: servicePath('api'),
          object: {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'api', namespace: 'team-a', uid: 'theirs' },
          },
        },
      ],
    },
    expect: {
      writes: ['PATCH fraud-v3/status', 'PATCH deployments/api-primary', 'PATCH api/status'],
      ready: ['False', 'NameInUse'],
      outcome: 'RequeueAfter',
    },
  },
  {
    name: 'without a server image nothing is deployed, and what runs is left running',
    world: {
      isvc: base(pinned(4), withStatus({ primary: served(3), history: [open(3)] })),
      versions: [ready(3, servedBy('api')), ready(4)],
      deployments: [liveDeployment(promoted, ready(3))],
      services: [liveService(promoted)],
      server: { ...SERVER, image: '' },
    },
    expect: {
      writes: ['PATCH api/status'],
      ready: ['False', 'ServerImageNotConfigured'],
      // What runs is what status names, and what stays in use.
      servedBy: { 'fraud-v3': ['api'], 'fraud-v4': undefined },
    },
  },
  {
    name: 'a missing auth Secret is reported; the Deployment is still rendered (its Pods wait for it)',
    world: { isvc: base(pinned(3), withAuth('tokens')), versions: [ready(3)] },
    expect: {
      writes: [
        'PATCH fraud-v3/status',
        'PATCH deployments/api-primary',
        'PATCH services/api',
        'PATCH api/status',
      ],
      ready: ['False', 'SecretNotFound'],
    },
  },
  {
    name: "an artifact in another bucket is linked with its ModelVersion's own Secret, and waits for it",
    world: {
      isvc: base(pinned(3)),
      versions: [ready(3, withUri('s3://partner/fraud.onnx'), withCredentialsSecret('partner'))],
    },
    expect: {
      writes: ['PATCH services/api', 'PATCH api/status'],
      ready: ['False', 'SecretNotFound'],
      servedBy: { 'fraud-v3': undefined },
    },
  },
  {
    name: "an artifact in another bucket is linked through that bucket's store once its Secret exists",
    world: {
      isvc: base(pinned(3)),
      versions: [ready(3, withUri('s3://partner/fraud.onnx'), withCredentialsSecret('partner'))],
      secrets: [aSecret('team-a', 'partner', { accessKeyId: 'AK', secretAccessKey: 'SK' })],
    },
    expect: {
      writes: [
        'PATCH fraud-v3/status',
        'PATCH deployments/api-primary',
        'PATCH services/api',
        'PATCH api/status',
      ],
      deployment: {
        name: 'api-primary',
        check: (d) =>
          expect(envValue(d, 'BOSUN_MODEL_URI')).toMatch(/^http:\/\/store\.test\/partner\/fraud\.onnx\?/),
      },
    },
  },
  {
    name: 'a new version that keeps crashing is reported with its termination message',
    world: {
      isvc: base(pinned(4), withStatus({ primary: served(4), history: [open(3), open(4)] })),
      versions: [ready(3, servedBy('api')), ready(4, servedBy('api'))],
      deployments: [
        liveDeployment(promoted, ready(4), {
          linkAge: 1,
          rollout: { desired: 1, updated: 1, available: 0, old: 1 },
        }),
      ],
      services: [liveService(promoted)],
      pods: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'api-primary-new',
            labels: {
              'app.kubernetes.io/managed-by': 'bosun-operator',
              'app.kubernetes.io/component': 'inference-server',
              'app.kubernetes.io/instance': 'api',
              'bosun.dev/owner-kind': 'inferenceservice',
              'bosun.dev/serving-role': 'primary',
              'bosun.dev/model-version': 'fraud-v4',
            },
          },
          status: {
            containerStatuses: [
              {
                name: 'server',
                image: '',
                imageID: '',
                ready: false,
                restartCount: 2,
                lastState: {
                  terminated: {
                    exitCode: 1,
                    message: 'ConfigInvalid: preprocessing needs 3 channels, the model takes 1',
                    finishedAt: '2026-01-09T23:59:00Z' as never,
                  },
                },
              },
            ],
          },
        },
      ],
    },
    expect: {
      writes: ['PATCH api/status'],
      ready: ['False', 'ServerFailing'],
      events: ['ServerFailing'],
      outcome: 'RequeueAfter',
      // The old version still serves: it stays in use.
      servedBy: { 'fraud-v3': ['api'], 'fraud-v4': ['api'] },
    },
  },
  {
    name: 'a deleted InferenceService releases its versions and then its finalizer',
    world: {
      isvc: base(pinned(3), deletingService, withStatus({ primary: served(3), history: [open(3)] })),
      versions: [ready(3, servedBy('api', 'web'))],
    },
    expect: {
      writes: ['PATCH fraud-v3/status', 'PATCH inferenceservices/api'],
      outcome: 'WaitForChange',
      servedBy: { 'fraud-v3': ['web'] },
    },
  },
];

describe('reconciling an InferenceService', () => {
  it.each(cases)('$name', async (c) => {
    const h = harness(c.world);
    const outcome = await h.reconcile();
    expect(h.client.writes.map((r) => writeOf(r.method, r.path))).toEqual(c.expect.writes);
    const written = h.client.get(isvcPath('api')) as unknown as InferenceService;
    const condition = (type: string) => written.status?.conditions?.find((x) => x.type === type);
    if (c.expect.ready)
      expect([condition('Ready')?.status, condition('Ready')?.reason]).toEqual(c.expect.ready);
    if (c.expect.resolved)
      expect([condition('ModelResolved')?.status, condition('ModelResolved')?.reason]).toEqual(
        c.expect.resolved,
      );
    if (c.expect.events) expect(h.events.map((e) => e.reason)).toEqual(c.expect.events);
    if (c.expect.outcome) expect(outcome.type).toBe(c.expect.outcome);
    for (const [name, list] of Object.entries(c.expect.servedBy ?? {}))
      expect((h.client.get(mvPath(name)) as unknown as ModelVersion).status?.servedBy).toEqual(list);
    if (c.expect.deployment) {
      const applied = h.client.writes.find(
        (w) => w.method === 'PATCH' && w.path === deploymentPath(c.expect.deployment?.name as string),
      );
      expect(applied).toBeDefined();
      c.expect.deployment.check(applied?.body as V1Deployment);
    }
    // Whatever happened, no serving Pod holds a store credential.
    for (const w of h.client.writes.filter((r) => r.path.includes('/deployments/') && r.method === 'PATCH'))
      expect(JSON.stringify(w.body)).not.toMatch(/BOSUN_STORE_(ACCESS|SECRET)_KEY/);
  });
});

describe('an InferenceService over its life', () => {
  /** Feeds what the API server holds back into the caches, as the watches would. */
  function sync(h: ReturnType<typeof harness>, mark?: (d: V1Deployment) => V1Deployment) {
    const isvc = h.client.get(isvcPath('api')) as unknown as InferenceService;
    h.caches.isvcs.set(structuredClone(isvc));
    for (const n of [3, 4]) {
      const mv = h.client.get(mvPath(`fraud-v${n}`));
      if (mv) h.caches.mvs.set(structuredClone(mv) as unknown as ModelVersion);
    }
    for (const role of ['primary', 'canary']) {
      const d = h.client.get(deploymentPath(`api-${role}`)) as unknown as V1Deployment | undefined;
      if (!d) continue;
      const live = mark ? mark(d) : d;
      h.caches.deployments.set(structuredClone(live));
    }
    const s = h.client.get(servicePath('api'));
    if (s) h.caches.services.set(structuredClone(s) as unknown as V1Service);
  }

  it('settles: once rolled out, another reconcile makes no write at all', async () => {
    const h = harness({ isvc: anInferenceService('api', pinned(3), withReplicas(2)), versions: [ready(3)] });
    await h.reconcile();
    // The Deployment controller finishes the rollout.
    sync(h, (d) => withRollout(d, { desired: 2, updated: 2, available: 2 }));
    await h.reconcile();
    const readiness = (h.client.get(isvcPath('api')) as unknown as InferenceService).status?.conditions?.find(
      (c) => c.type === 'Ready',
    );
    expect(readiness).toMatchObject({ status: 'True', reason: 'Serving' });
    expect(h.events.map((e) => e.reason)).toEqual(['RolloutStarted', 'RolloutFinished']);
    sync(h, (d) => withRollout(d, { desired: 2, updated: 2, available: 2 }));
    const before = h.client.writes.length;
    const outcome = await h.reconcile();
    expect(h.client.writes.slice(before)).toEqual([]);
    // Back when the link is due for renewal.
    expect(outcome).toEqual({ type: 'RequeueAfter', ms: 4 * 86_400_000 });
  });
});
