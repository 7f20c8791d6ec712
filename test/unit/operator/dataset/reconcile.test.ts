// The Dataset controller's reconcile paths, table-driven against the recording fake client and an
// in-memory store (pure logic; the real API server, MinIO and node are in the integration and e2e
// tests).
import type { V1CronJob, V1Job, V1Pod, V1Secret, V1ServiceAccount } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_ENV } from '../../../../images/data-jobs/job-contract.ts';
import { UserError } from '../../../../lib/contract/errors.ts';
import type { PublishedSnapshot } from '../../../../lib/dataset/published-snapshots.ts';
import { snapshotVersionAt } from '../../../../lib/dataset/snapshot-version.ts';
import type { SessionPolicyScope } from '../../../../lib/store/policy.ts';
import type { ScopedCredentials } from '../../../../lib/store/sts.ts';
import type { Dataset } from '../../../../operator/api/dataset.ts';
import type { ModelVersion } from '../../../../operator/api/model-version.ts';
import {
  DatasetReconciler,
  type DatasetReconcilerOptions,
} from '../../../../operator/controllers/dataset/controller.ts';
import { renderCronJobs } from '../../../../operator/controllers/dataset/cronjobs.ts';
import { snapshotRequestJobName } from '../../../../operator/controllers/dataset/names.ts';
import {
  dataJobsStoreScope,
  RENEW_BEFORE_MS,
} from '../../../../operator/controllers/dataset/store-credentials.ts';
import type { ReconcileOutcome } from '../../../../operator/runtime/controller.ts';
import type { EventRecord } from '../../../../operator/runtime/events.ts';
import type { ApiClient } from '../../../../operator/runtime/kube-client.ts';
import { isNotFound } from '../../../../operator/runtime/kube-client.ts';
import type { KubeObject } from '../../../../operator/runtime/kube-object.ts';
import { ObjectCache } from '../../../../operator/runtime/object-cache.ts';
import { aDataset, withCollection, withGold, withSnapshotSchedule } from '../../gen/dataset.ts';
import { aDataJob, aPublishedSnapshot, failedWith, retrying } from '../../gen/dataset-jobs.ts';
import { requestingSnapshot, withRetention } from '../../gen/dataset-state.ts';
import { aTerminatedPod, finished } from '../../gen/job.ts';
import { aModelVersion, inNamespace } from '../../gen/model-version.ts';
import { RecordingClient } from '../recording-client.ts';
import { MemoryStore } from './memory-store.ts';
import { statusSchemaErrors } from './status-schema.ts';

const NOW = new Date('2026-02-14T10:15:00.250Z');
const HOUR = 3_600_000;
const SESSION_MS = 12 * HOUR;
const JOB_CONFIG: DatasetReconcilerOptions['job'] = {
  image: 'registry.example/bosun/data-jobs:1',
  imagePullPolicy: 'IfNotPresent',
  store: { endpoint: 'http://minio.bosun-system:9000', bucket: 'bosun', region: 'us-east-1' },
  ttlSecondsAfterFinished: 3600,
};
const V1 = '20260101-030000';
const V2 = '20260115-030000';
const V3 = '20260201-030000';
const V4 = '20260210-000000';

const NS = '/apis/batch/v1/namespaces/team-a';
const PATHS = {
  dataset: (name: string) => `/apis/bosun.dev/v1alpha1/namespaces/team-a/datasets/${name}`,
  cronJobs: `${NS}/cronjobs`,
  jobs: `${NS}/jobs`,
  serviceAccounts: '/api/v1/namespaces/team-a/serviceaccounts',
  secrets: '/api/v1/namespaces/team-a/secrets',
  pods: '/api/v1/namespaces/team-a/pods',
  modelVersion: (mv: ModelVersion) =>
    `/apis/bosun.dev/v1alpha1/namespaces/${mv.metadata.namespace}/modelversions/${mv.metadata.name}`,
};
const writeOf = (method: string, path: string) => `${method} ${path.split('/').slice(-2).join('/')}`;

interface World {
  dataset: Dataset;
  cronJobs?: V1CronJob[];
  jobs?: V1Job[];
  pods?: V1Pod[];
  modelVersions?: ModelVersion[];
  /** Published versions in the store (team-a/pets), and other keys. */
  snapshots?: PublishedSnapshot[];
  keys?: string[];
  credentials?: 'sts' | 'shared';
  mintFails?: Error;
  storeFails?: Error;
  image?: string;
}

interface Caches {
  datasets: ObjectCache<Dataset>;
  modelVersions: ObjectCache<ModelVersion>;
  jobs: ObjectCache<V1Job>;
  cronJobs: ObjectCache<V1CronJob>;
  serviceAccounts: ObjectCache<V1ServiceAccount>;
  secrets: ObjectCache<V1Secret>;
}

/** The live CronJobs an earlier reconcile applied for `dataset`. */
function liveCronJobs(dataset: Dataset): V1CronJob[] {
  return renderCronJobs(dataset, {
    ...JOB_CONFIG,
    credentialsSecret: 'pets-data-jobs-store',
    sessionToken: true,
  }).map((c) => ({
    ...c,
    metadata: { ...c.metadata, uid: `uid-${c.metadata?.name}`, resourceVersion: '3' },
  }));
}

/**
 * The world as the fake API server and the store hold it, and a reconciler whose caches are
 * filled from the server as informers would fill them: `sync()` brings them up to date (a watch
 * event), `restart()` starts a new reconciler (an operator restart).
 */
async function harness(world: World) {
  const objects: { path: string; object: KubeObject }[] = [
    { path: PATHS.dataset(world.dataset.metadata.name as string), object: world.dataset },
    ...(world.cronJobs ?? []).map((c) => ({ path: `${PATHS.cronJobs}/${c.metadata?.name}`, object: c })),
    ...(world.jobs ?? []).map((j) => ({ path: `${PATHS.jobs}/${j.metadata?.name}`, object: j })),
    ...(world.pods ?? []).map((p) => ({ path: `${PATHS.pods}/${p.metadata?.name}`, object: p })),
  ];
  const client = new RecordingClient(objects);
  const store = new MemoryStore();
  for (const snapshot of world.snapshots ?? []) store.publish(snapshot);
  for (const key of world.keys ?? []) store.put(key, 'x');
  store.failure = world.storeFails;
  const clock = { now: NOW };
  const mints: { scope: SessionPolicyScope; sessionName: string }[] = [];
  const events: EventRecord[] = [];
  const mint = async (scope: SessionPolicyScope, sessionName: string): Promise<ScopedCredentials> => {
    if (world.mintFails) throw world.mintFails;
    mints.push({ scope, sessionName });
    return {
      accessKeyId: `ASIA${mints.length}`,
      secretAccessKey: `secret-${mints.length}`,
      sessionToken: `token-${mints.length}`,
      expiration: new Date(clock.now.getTime() + SESSION_MS),
    };
  };

  const list = async <T extends KubeObject>(path: string): Promise<T[]> => {
    try {
      return (await client.request<{ items: T[] }>('GET', path)).items;
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  };
  const refill = async <T extends KubeObject>(cache: ObjectCache<T>, items: T[]) => {
    const keys = new Set(items.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`));
    for (const key of [...cache.keys()]) if (!keys.has(key)) cache.delete(key);
    for (const item of items) cache.set(structuredClone(item));
  };
  const sync = async (caches: Caches) => {
    const dataset = client.get(PATHS.dataset(world.dataset.metadata.name as string));
    await refill(caches.datasets, dataset ? [dataset as unknown as Dataset] : []);
    await refill(caches.modelVersions, world.modelVersions ?? []);
    await refill(caches.cronJobs, await list<V1CronJob>(PATHS.cronJobs));
    await refill(caches.jobs, await list<V1Job>(PATHS.jobs));
    await refill(caches.serviceAccounts, await list<V1ServiceAccount>(PATHS.serviceAccounts));
    await refill(caches.secrets, await list<V1Secret>(PATHS.secrets));
  };
  const start = async () => {
    const caches: Caches = {
      datasets: new ObjectCache(),
      modelVersions: new ObjectCache(),
      jobs: new ObjectCache(),
      cronJobs: new ObjectCache(),
      serviceAccounts: new ObjectCache(),
      secrets: new ObjectCache(),
    };
    const reconciler = new DatasetReconciler({
      ...caches,
      events: { record: (_o, e) => events.push(e) },
      store: store.asArtifactStore,
      credentials:
        world.credentials === 'shared' ? { mode: 'shared', secret: 'bosun-store' } : { mode: 'sts', mint },
      job: { ...JOB_CONFIG, image: world.image ?? JOB_CONFIG.image },
      log: pino({ level: 'silent' }),
      now: () => clock.now,
    });
    await sync(caches);
    return { caches, reconciler };
  };
  let current = await start();
  const key = `team-a/${world.dataset.metadata.name}`;
  const signal = new AbortController().signal;
  return {
    client,
    store,
    clock,
    mints,
    events,
    get caches() {
      return current.caches;
    },
    reconcile: (via: ApiClient = client) => current.reconciler.reconcile(key, { client: via, signal }),
    sync: () => sync(current.caches),
    restart: async () => {
      current = await start();
    },
    /** The writes sent since the request with index `from`, as `METHOD last-two-path-segments`. */
    writesFrom: (from = 0) =>
      client.requests
        .slice(from)
        .filter((r) => r.method !== 'GET')
        .map((r) => writeOf(r.method, r.path)),
    dataset: () => client.get(PATHS.dataset(world.dataset.metadata.name as string)) as unknown as Dataset,
    /** A user's change of the Dataset (JSON patch), seen by the caches. */
    edit: async (ops: { op: 'add'; path: string; value: unknown }[]) => {
      await client.request('PATCH', PATHS.dataset(world.dataset.metadata.name as string), {
        contentType: 'application/json-patch+json',
        body: ops,
      });
      await sync(current.caches);
    },
  };
}

const condition = (dataset: Dataset, type: string) =>
  dataset.status?.conditions?.find((c) => c.type === type);
const envOf = (job: V1Job | V1CronJob | undefined) => {
  const spec =
    job && 'schedule' in (job.spec ?? {})
      ? (job as V1CronJob).spec?.jobTemplate.spec
      : (job as V1Job | undefined)?.spec;
  return spec?.template.spec?.containers[0]?.env ?? [];
};
const envRef = (job: V1Job | V1CronJob | undefined, name: string) => {
  const e = envOf(job).find((x) => x.name === name);
  return (
    e?.value ??
    (e?.valueFrom?.secretKeyRef && `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`)
  );
};

const valid = (...mods: Parameters<typeof aDataset>[1][]) =>
  aDataset(
    'pets',
    withGold('s3://bosun/imports/team-a/gold/'),
    withCollection('0 2 * * *'),
    withSnapshotSchedule('0 3 1 * *'),
    ...mods,
  );
const trainedOn =
  (dataset: string, snapshot: string) =>
  (mv: ModelVersion): void => {
    mv.spec.source = {
      dataset: { name: dataset, snapshot, variant: 'verified', manifestSha256: 'e'.repeat(64) },
    };
  };
const FIRST_APPLY = [
  'PATCH serviceaccounts/pets-data-jobs',
  'PATCH secrets/pets-data-jobs-store',
  'PATCH cronjobs/pets-collect',
  'PATCH cronjobs/pets-snapshot',
  'PATCH pets/status',
];

interface Case {
  name: string;
  world: World;
  expect: {
    writes: string[];
    ready: [string, string];
    events?: string[];
    outcome?: ReconcileOutcome;
    mints?: number;
    /** Keys the store no longer holds. */
    removed?: string[];
    check?: (h: Awaited<ReturnType<typeof harness>>) => void;
  };
}

const invalid = valid(withGold('s3://bosun/imports/team-b/gold/'), requestingSnapshot('now'));
const cases: Case[] = [
  {
    name: 'an invalid spec: no ServiceAccount, credentials, CronJob or Job; its CronJobs are pruned; Ready False',
    world: {
      dataset: invalid,
      cronJobs: [
        ...liveCronJobs(valid()),
        // Another (earlier) Dataset's of the same name: not this one's to delete.
        {
          ...(liveCronJobs(valid())[0] as V1CronJob),
          metadata: {
            ...liveCronJobs(valid())[0]?.metadata,
            name: 'pets-collect-old',
            uid: 'uid-old',
            ownerReferences: [
              {
                apiVersion: 'bosun.dev/v1alpha1',
                kind: 'Dataset',
                name: 'pets',
                uid: 'uid-earlier-pets',
                controller: true,
              },
            ],
          },
        },
      ],
      snapshots: [aPublishedSnapshot(V1)],
    },
    expect: {
      writes: ['DELETE cronjobs/pets-collect', 'DELETE cronjobs/pets-snapshot', 'PATCH pets/status'],
      ready: ['False', 'LocationOutsideNamespace'],
      events: [],
      outcome: { type: 'WaitForChange' },
      mints: 0,
      check: (h) => {
        expect(h.store.listed).toEqual([]);
        expect(h.client.get(`${PATHS.cronJobs}/pets-collect-old`)).toBeDefined();
        expect(h.dataset().status?.observedSnapshotRequest).toBeUndefined();
      },
    },
  },
  {
    name: 'an operator without a data-jobs image says so and starts nothing',
    world: { dataset: valid(), image: '' },
    expect: {
      writes: ['PATCH pets/status'],
      ready: ['False', 'DataJobsImageNotConfigured'],
      mints: 0,
    },
  },
  {
    name: 'a valid Dataset gets its ServiceAccount, minted store credentials and CronJobs, renewed at half their life',
    world: { dataset: valid() },
    expect: {
      writes: FIRST_APPLY,
      ready: ['False', 'AwaitingSnapshot'],
      events: [],
      outcome: { type: 'RequeueAfter', ms: SESSION_MS - RENEW_BEFORE_MS },
      mints: 1,
      check: (h) => {
        expect(h.mints).toEqual([
          { scope: dataJobsStoreScope(valid(), 'bosun'), sessionName: 'team-a.pets' },
        ]);
        const secret = h.client.get(`${PATHS.secrets}/pets-data-jobs-store`) as unknown as V1Secret;
        expect(Buffer.from(secret.data?.accessKeyId ?? '', 'base64').toString()).toBe('ASIA1');
        const collect = h.client.get(`${PATHS.cronJobs}/pets-collect`) as unknown as V1CronJob;
        expect(envRef(collect, 'BOSUN_STORE_ACCESS_KEY')).toBe('pets-data-jobs-store/accessKeyId');
        expect(envRef(collect, 'BOSUN_STORE_SESSION_TOKEN')).toBe('pets-data-jobs-store/sessionToken');
        // Nothing of the credentials is in the CronJob or the status.
        expect(JSON.stringify([collect, h.dataset().status])).not.toMatch(/ASIA1|secret-1|token-1/);
      },
    },
  },
  {
    name: 'shared credentials: no Secret is minted, the jobs read the shared store Secret',
    world: { dataset: valid(), credentials: 'shared' },
    expect: {
      writes: [
        'PATCH serviceaccounts/pets-data-jobs',
        'PATCH cronjobs/pets-collect',
        'PATCH cronjobs/pets-snapshot',
        'PATCH pets/status',
      ],
      ready: ['False', 'AwaitingSnapshot'],
      outcome: { type: 'WaitForChange' },
      mints: 0,
      check: (h) => {
        const collect = h.client.get(`${PATHS.cronJobs}/pets-collect`) as unknown as V1CronJob;
        expect(envRef(collect, 'BOSUN_STORE_ACCESS_KEY')).toBe('bosun-store/accessKeyId');
        expect(envRef(collect, 'BOSUN_STORE_SECRET_KEY')).toBe('bosun-store/secretAccessKey');
        expect(envRef(collect, 'BOSUN_STORE_SESSION_TOKEN')).toBeUndefined();
      },
    },
  },
  {
    name: 'credentials that cannot be minted: no CronJob, Ready False with the reason, retried',
    world: {
      dataset: valid(),
      mintFails: new Error('STS at http://minio.bosun-system:9000 did not answer: ECONNREFUSED'),
    },
    expect: {
      writes: ['PATCH serviceaccounts/pets-data-jobs', 'PATCH pets/status'],
      ready: ['False', 'StoreError'],
      outcome: { type: 'Backoff' },
      check: (h) => {
        expect(condition(h.dataset(), 'Ready')?.message).toBe(
          'store credentials for the data jobs could not be minted: STS at http://minio.bosun-system:9000 did not answer: ECONNREFUSED',
        );
      },
    },
  },
  {
    name: "credentials the store refuses: the store's reason",
    world: {
      dataset: valid(),
      mintFails: new UserError('StoreCredentialsRefused', 'AccessDenied: not allowed'),
    },
    expect: {
      writes: ['PATCH serviceaccounts/pets-data-jobs', 'PATCH pets/status'],
      ready: ['False', 'StoreCredentialsRefused'],
      outcome: { type: 'Backoff' },
    },
  },
  {
    name: 'a store that cannot be read: the CronJobs still run, Ready False, read again soon',
    world: {
      dataset: valid(),
      storeFails: new Error('connect ECONNREFUSED 10.0.0.9:9000\n    at TCPConnectWrap'),
    },
    expect: {
      writes: FIRST_APPLY,
      ready: ['False', 'StoreError'],
      outcome: { type: 'RequeueAfter', ms: 30_000 },
      check: (h) => {
        // The first line of the error, no stack.
        expect(condition(h.dataset(), 'Ready')?.message).toBe(
          'the store could not be read: connect ECONNREFUSED 10.0.0.9:9000',
        );
      },
    },
  },
  {
    name: 'retention deletes the old versions no ModelVersion of this Dataset was trained on, and nothing else',
    world: {
      dataset: valid(withRetention(2)),
      snapshots: [
        aPublishedSnapshot(V4),
        aPublishedSnapshot(V3),
        aPublishedSnapshot(V2),
        aPublishedSnapshot(V1),
      ],
      keys: [
        'datasets/team-a/pets/batches/20260101T000000Z-20260102T000000Z.jsonl.gz',
        `objects/team-a/sha256/cc/${'c'.repeat(64)}`,
      ],
      modelVersions: [
        aModelVersion('pets-v1', trainedOn('pets', V1)),
        // Another namespace's, and another Dataset's, keep nothing here.
        aModelVersion('pets-v2', inNamespace('team-b'), trainedOn('pets', V2)),
        aModelVersion('cars-v1', trainedOn('cars', V2)),
      ],
    },
    expect: {
      writes: FIRST_APPLY,
      ready: ['True', 'Ready'],
      events: ['SnapshotPublished', 'SnapshotPublished', 'SnapshotPublished', 'SnapshotDeleted'],
      removed: [`datasets/team-a/pets/snapshots/${V2}/`, `datasets/team-a/pets/gold-index/${V2}.jsonl.gz`],
      check: (h) => {
        const status = h.dataset().status;
        expect([...new Set(status?.snapshots?.map((s) => s.version))]).toEqual([V4, V3, V1]);
        expect(status?.snapshots?.find((s) => s.version === V1)?.retainedBy).toEqual(['pets-v1']);
        expect(status?.latestSnapshot?.version).toBe(V4);
        expect(h.store.has('datasets/team-a/pets/batches/20260101T000000Z-20260102T000000Z.jsonl.gz')).toBe(
          true,
        );
        expect(h.store.has(`objects/team-a/sha256/cc/${'c'.repeat(64)}`)).toBe(true);
        expect(h.store.keys().filter((k) => k.includes(V1)).length).toBeGreaterThan(0);
      },
    },
  },
  {
    name: "a failed collection Job: the data job's reason from its Pod",
    world: {
      dataset: valid(),
      jobs: [
        aDataJob(
          valid(),
          'collection',
          5,
          finished('Failed', 'Container data-job exited with code 1', 'PodFailurePolicy'),
        ),
      ],
      pods: [
        aTerminatedPod(
          aDataJob(valid(), 'collection', 5),
          'data-job',
          1,
          failedWith('QueryInvalid', 'relation "predictions" does not exist'),
        ),
      ],
    },
    expect: {
      writes: FIRST_APPLY,
      ready: ['False', 'QueryInvalid'],
      events: ['CollectionFailed'],
      check: (h) => {
        expect(condition(h.dataset(), 'CollectionHealthy')?.message).toBe(
          'Job pets-collect-5 failed: relation "predictions" does not exist',
        );
      },
    },
  },
  {
    name: 'a collection Job retrying while its source is down',
    world: {
      dataset: valid(),
      jobs: [aDataJob(valid(), 'collection', 5, retrying(1))],
      pods: [
        aTerminatedPod(
          aDataJob(valid(), 'collection', 5),
          'data-job',
          2,
          failedWith('SourceUnavailable', 'connection refused'),
        ),
      ],
    },
    expect: {
      writes: FIRST_APPLY,
      ready: ['False', 'SourceUnavailable'],
      events: ['CollectionFailed'],
    },
  },
  {
    name: 'the newest of several collection Jobs is the one that counts',
    world: {
      dataset: valid(),
      jobs: [
        aDataJob(valid(), 'collection', 5, finished('Failed', 'Job has reached the specified backoff limit')),
        aDataJob(valid(), 'collection', 6),
      ],
    },
    expect: {
      writes: FIRST_APPLY,
      ready: ['False', 'AwaitingSnapshot'],
      events: [],
      check: (h) => {
        expect(condition(h.dataset(), 'CollectionHealthy')?.reason).toBe('AwaitingCollection');
        // A running Job without a failed attempt: its Pods are not read.
        expect(h.client.requests.filter((r) => r.path === PATHS.pods)).toEqual([]);
      },
    },
  },
];

describe('reconciling a Dataset', () => {
  it.each(cases)('$name', async (c) => {
    const h = await harness(c.world);
    const from = h.client.requests.length;
    const outcome = await h.reconcile();
    expect(h.writesFrom(from)).toEqual(c.expect.writes);
    const ready = condition(h.dataset(), 'Ready');
    expect([ready?.status, ready?.reason]).toEqual(c.expect.ready);
    if (c.expect.events) expect(h.events.map((e) => e.reason)).toEqual(c.expect.events);
    if (c.expect.outcome) expect(outcome).toEqual(c.expect.outcome);
    if (c.expect.mints !== undefined) expect(h.mints).toHaveLength(c.expect.mints);
    if (c.expect.removed)
      for (const prefix of c.expect.removed) {
        expect(h.store.removed.some((k) => k.startsWith(prefix))).toBe(true);
        expect(h.store.keys().filter((k) => k.startsWith(prefix))).toEqual([]);
      }
    // Nothing is ever deleted from the store outside the Dataset's snapshots and gold indexes.
    for (const k of h.store.removed) expect(k).toMatch(/^datasets\/team-a\/pets\/(snapshots|gold-index)\//);
    expect(statusSchemaErrors(h.dataset().status)).toEqual([]);
    // No Job is started without a snapshot request.
    expect(h.client.writes.filter((w) => w.method === 'POST')).toEqual([]);
    c.expect.check?.(h);
  });

  it('sends no write at all for a settled Dataset, and reads each summary once', async () => {
    const h = await harness({
      dataset: valid(),
      snapshots: [aPublishedSnapshot(V2), aPublishedSnapshot(V1)],
    });
    await h.reconcile();
    expect(h.writesFrom()).toEqual(FIRST_APPLY);
    const reads = h.store.read.length;
    expect(reads).toBe(4);
    await h.sync();
    const from = h.client.requests.length;
    h.clock.now = new Date(NOW.getTime() + 60_000);
    const outcome = await h.reconcile();
    expect(h.writesFrom(from)).toEqual([]);
    expect(h.mints).toHaveLength(1);
    expect(h.store.read).toHaveLength(reads);
    expect(h.events.map((e) => e.reason)).toEqual(['SnapshotPublished', 'SnapshotPublished']);
    expect(outcome).toEqual({ type: 'RequeueAfter', ms: SESSION_MS - RENEW_BEFORE_MS - 60_000 });
  });

  it('mints the store credentials again only when they near expiry, or the scope changes', async () => {
    const h = await harness({ dataset: valid() });
    await h.reconcile();
    await h.sync();
    h.clock.now = new Date(NOW.getTime() + SESSION_MS - RENEW_BEFORE_MS - 1000);
    let from = h.client.requests.length;
    await h.reconcile();
    expect(h.writesFrom(from)).toEqual([]);
    expect(h.mints).toHaveLength(1);

    h.clock.now = new Date(NOW.getTime() + SESSION_MS - RENEW_BEFORE_MS + 1000);
    from = h.client.requests.length;
    const renewed = await h.reconcile();
    expect(h.writesFrom(from)).toEqual(['PATCH secrets/pets-data-jobs-store']);
    expect(h.mints).toHaveLength(2);
    expect(renewed).toEqual({ type: 'RequeueAfter', ms: SESSION_MS - RENEW_BEFORE_MS });
    const secret = h.client.get(`${PATHS.secrets}/pets-data-jobs-store`) as unknown as V1Secret;
    expect(Buffer.from(secret.data?.accessKeyId ?? '', 'base64').toString()).toBe('ASIA2');

    // A new gold location is a new scope: new credentials before the CronJobs read the new spec.
    await h.edit([
      { op: 'add', path: '/spec/gold', value: { uri: 's3://bosun/imports/team-a/gold-v2/' } },
      { op: 'add', path: '/metadata/generation', value: 2 },
    ]);
    from = h.client.requests.length;
    await h.reconcile();
    expect(h.writesFrom(from)).toEqual([
      'PATCH secrets/pets-data-jobs-store',
      'PATCH cronjobs/pets-collect',
      'PATCH cronjobs/pets-snapshot',
      'PATCH pets/status',
    ]);
    expect(h.mints.at(-1)?.scope.read).toContain('imports/team-a/gold-v2/');
  });

  it('starts exactly one Job for a new snapshot request value, after the latest accepted snapshot', async () => {
    const h = await harness({
      dataset: valid(requestingSnapshot('retrain-1')),
      snapshots: [aPublishedSnapshot(V2, { rejected: { full: ['too few'] } }), aPublishedSnapshot(V1)],
    });
    await h.reconcile();
    const posts = h.client.writes.filter((w) => w.method === 'POST');
    expect(posts.map((p) => p.path)).toEqual([PATHS.jobs]);
    const job = posts[0]?.body as V1Job;
    const jobName = snapshotRequestJobName(valid(), 'retrain-1');
    expect(job.metadata?.name).toBe(jobName);
    expect(envRef(job, SNAPSHOT_ENV.version)).toBe(snapshotVersionAt(NOW));
    expect(envRef(job, SNAPSHOT_ENV.time)).toBe('2026-02-14T10:15:00Z');
    // The parent is the newest accepted version: the rejected one is skipped.
    expect(envRef(job, SNAPSHOT_ENV.parent)).toBe(V1);
    expect(envRef(job, 'BOSUN_STORE_ACCESS_KEY')).toBe('pets-data-jobs-store/accessKeyId');
    expect(h.events.filter((e) => e.reason === 'SnapshotRequested').map((e) => e.note)).toEqual([
      `Snapshot ${snapshotVersionAt(NOW)} requested (bosun.dev/snapshot-requested: retrain-1): Job ${jobName}`,
    ]);
    const status = h.dataset().status;
    expect(status?.observedSnapshotRequest).toBe('retrain-1');
    expect(condition(h.dataset(), 'SnapshotsHealthy')?.reason).toBe('SnapshotBuilding');

    await h.sync();
    let from = h.client.requests.length;
    await h.reconcile();
    expect(h.writesFrom(from)).toEqual([]);

    // A new value is a new request.
    await h.edit([
      { op: 'add', path: '/metadata/annotations/bosun.dev~1snapshot-requested', value: 'retrain-2' },
    ]);
    from = h.client.requests.length;
    await h.reconcile();
    const next = h.client.requests.slice(from).filter((r) => r.method === 'POST');
    expect(next.map((p) => (p.body as V1Job).metadata?.name)).toEqual([
      snapshotRequestJobName(valid(), 'retrain-2'),
    ]);
    expect(h.dataset().status?.observedSnapshotRequest).toBe('retrain-2');
  });

  it('starts no second Job when it crashed before the status write, whether or not the Job reached the cache', async () => {
    const h = await harness({
      dataset: valid(requestingSnapshot('retrain-1')),
      snapshots: [aPublishedSnapshot(V1)],
    });
    const crashing: ApiClient = {
      request: (method, path, options) =>
        method === 'PATCH' && path.endsWith('/status')
          ? Promise.reject(new Error('the operator was killed'))
          : h.client.request(method, path, options),
    };
    await expect(h.reconcile(crashing)).rejects.toThrow('the operator was killed');
    expect(h.dataset().status?.observedSnapshotRequest).toBeUndefined();
    const jobPath = `${PATHS.jobs}/${snapshotRequestJobName(valid(), 'retrain-1')}`;
    const first = structuredClone(h.client.get(jobPath));

    // A restart after the Job's watch event: the Job is found, none is created.
    h.clock.now = new Date(NOW.getTime() + 5000);
    await h.restart();
    let from = h.client.requests.length;
    await expect(h.reconcile(crashing)).rejects.toThrow();
    expect(h.client.requests.slice(from).filter((r) => r.method === 'POST')).toEqual([]);

    // A restart before it: the create meets AlreadyExists and the request is recorded all the same.
    h.clock.now = new Date(NOW.getTime() + 10_000);
    await h.restart();
    h.caches.jobs.delete(`team-a/${snapshotRequestJobName(valid(), 'retrain-1')}`);
    from = h.client.requests.length;
    await h.reconcile();
    expect(h.client.requests.slice(from).filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(h.client.get(jobPath)).toEqual(first);
    expect(h.dataset().status?.observedSnapshotRequest).toBe('retrain-1');
    expect(h.events.filter((e) => e.reason === 'SnapshotRequested')).toHaveLength(1);
  });

  it('waits with a request while the store cannot be read, and starts it once it can', async () => {
    const h = await harness({
      dataset: valid(requestingSnapshot('retrain-1')),
      storeFails: new Error('timeout'),
    });
    await h.reconcile();
    expect(h.client.writes.filter((w) => w.method === 'POST')).toEqual([]);
    expect(h.dataset().status?.observedSnapshotRequest).toBeUndefined();
    h.store.failure = undefined;
    await h.sync();
    await h.reconcile();
    expect(h.client.writes.filter((w) => w.method === 'POST')).toHaveLength(1);
    expect(h.dataset().status?.observedSnapshotRequest).toBe('retrain-1');
  });

  it("reads a finished Job's Pods once", async () => {
    const job = aDataJob(
      valid(),
      'collection',
      5,
      finished('Failed', 'Container data-job exited with code 1', 'PodFailurePolicy'),
    );
    const h = await harness({
      dataset: valid(),
      jobs: [job],
      pods: [
        aTerminatedPod(job, 'data-job', 1, failedWith('QueryInvalid', 'syntax error at or near "SELEC"')),
      ],
    });
    await h.reconcile();
    await h.sync();
    await h.reconcile();
    expect(h.client.requests.filter((r) => r.path === PATHS.pods)).toHaveLength(1);
  });

  it('does nothing for a Dataset that is gone or being deleted', async () => {
    const h = await harness({
      dataset: valid((d) => (d.metadata.deletionTimestamp = '2026-02-14T10:00:00Z' as never)),
    });
    expect(await h.reconcile()).toEqual({ type: 'WaitForChange' });
    expect(h.writesFrom()).toEqual([]);
    h.caches.datasets.delete('team-a/pets');
    expect(await h.reconcile()).toEqual({ type: 'WaitForChange' });
    expect(h.writesFrom()).toEqual([]);
  });
});
