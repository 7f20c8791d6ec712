// The TrainingRun controller's reconcile paths, table-driven against the recording fake client, an
// in-memory store and a fake mint (pure logic; the real API server, MinIO and node are in
// test/e2e/operator/training-run.test.ts). Crashes are simulated by a kill at one request or store
// call — before it takes effect or after — and a restart with caches filled from the fake server.
import { createHash } from 'node:crypto';
import type { V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../../../lib/contract/errors.ts';
import type { ArtifactStore } from '../../../../lib/store/client.ts';
import type { SessionPolicyScope } from '../../../../lib/store/policy.ts';
import type { ScopedCredentials } from '../../../../lib/store/sts.ts';
import type { Dataset } from '../../../../operator/api/dataset.ts';
import type { ModelVersion } from '../../../../operator/api/model-version.ts';
import type { TrainingRun } from '../../../../operator/api/training-run.ts';
import {
  PROGRESS_INTERVAL_MS,
  TrainingRunReconciler,
} from '../../../../operator/controllers/training-run/controller.ts';
import { TRAINING_JOBS } from '../../../../operator/controllers/training-run/setup.ts';
import type { ReconcileOutcome } from '../../../../operator/runtime/controller.ts';
import type { EventRecord } from '../../../../operator/runtime/events.ts';
import { type ApiClient, isNotFound, KubeApiError } from '../../../../operator/runtime/kube-client.ts';
import type { KubeObject } from '../../../../operator/runtime/kube-object.ts';
import { ObjectCache } from '../../../../operator/runtime/object-cache.ts';
import { aDataset, inNamespace as dsInNamespace } from '../../gen/dataset.ts';
import { aTerminatedPod, finished } from '../../gen/job.ts';
import { aModelVersion, inNamespace as mvInNamespace, verified, withStage } from '../../gen/model-version.ts';
import {
  aPinnedSnapshot,
  aProgressLine,
  aSnapshotEntry,
  aTrainingJob,
  aTrainingPod,
  aTrainingRun,
  claimed,
  deletingRun,
  finishedAs,
  inContainer,
  listing,
  pinnedTo,
  SHA_M,
  TRAINING_JOB_CONFIG,
  V1,
  V2,
  withJobStatus,
  withPromotion,
  withSpec,
} from '../../gen/training-run.ts';
import { type RecordedRequest, RecordingClient } from '../recording-client.ts';
import { TrainingStore } from './memory-store.ts';
import { statusSchemaErrors } from './status-schema.ts';

const NOW = new Date('2026-02-01T00:20:00.500Z');
const NAMESPACES = ['team-a', 'team-b'];
const BOSUN = '/apis/bosun.dev/v1alpha1/namespaces';
const PATHS = {
  runs: (ns: string) => `${BOSUN}/${ns}/trainingruns`,
  run: (name: string, ns = 'team-a') => `${BOSUN}/${ns}/trainingruns/${name}`,
  datasets: (ns: string) => `${BOSUN}/${ns}/datasets`,
  modelVersions: (ns: string) => `${BOSUN}/${ns}/modelversions`,
  modelVersion: (name: string, ns = 'team-a') => `${BOSUN}/${ns}/modelversions/${name}`,
  jobs: (ns: string) => `/apis/batch/v1/namespaces/${ns}/jobs`,
  job: (name: string, ns = 'team-a') => `/apis/batch/v1/namespaces/${ns}/jobs/${name}`,
  pods: (ns: string) => `/api/v1/namespaces/${ns}/pods`,
  secret: (name: string, ns = 'team-a') => `/api/v1/namespaces/${ns}/secrets/${name}`,
};
const writeOf = (method: string, path: string) => `${method} ${path.split('/').slice(-2).join('/')}`;
const KILLED = new Error('the operator was killed');

/** The Dataset every run trains on unless a case says otherwise: V1 in both variants. */
const PETS = aDataset('pets', listing(V1, aSnapshotEntry(V1), aSnapshotEntry(V1, 'full')));
const MODEL = 'onnx bytes of pets-feb';
const METRICS = { accuracy: 0.9, f1: 0.8 };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What a trainer leaves under runs/<ns>/<run>/: every output, `files` changing some (an empty string leaves one out). */
function outputs(run: string, files: Record<string, string> = {}, ns = 'team-a'): Record<string, string> {
  const all: Record<string, string> = {
    'model.onnx': `onnx bytes of ${run}`,
    'metrics.json': JSON.stringify(METRICS),
    'signature.json': '{"inputs":[],"outputs":[]}',
    'plots/training-curve.png': 'png',
    ...files,
  };
  return Object.fromEntries(
    Object.entries(all)
      .filter(([, bytes]) => bytes !== '')
      .map(([file, bytes]) => [`runs/${ns}/${run}/${file}`, bytes]),
  );
}

/** A ModelVersion this run registered (as the controller renders it). */
const registeredBy =
  (run: string) =>
  (mv: ModelVersion): void => {
    mv.spec.source = {
      trainingRun: run,
      dataset: { name: 'pets', snapshot: V1, variant: 'verified', manifestSha256: SHA_M },
    };
  };
const withAccuracy =
  (accuracy: number) =>
  (mv: ModelVersion): void => {
    mv.status = { ...mv.status, metrics: { accuracy } };
  };

/** A crash point: the first call it matches kills the operator, before or after the call took effect. */
interface Crash {
  at: 'api' | 'store';
  when: (op: string, target: string, body?: unknown) => boolean;
  /** Whether the call took effect before the kill (a write whose answer was lost). */
  reached: boolean;
}

interface World {
  runs: TrainingRun[];
  datasets?: Dataset[];
  jobs?: V1Job[];
  pods?: V1Pod[];
  modelVersions?: ModelVersion[];
  /** Store keys and their bytes. */
  files?: Record<string, string>;
  /** Pod logs by Pod name. */
  logs?: Record<string, string>;
  credentials?: 'sts' | 'shared';
  mintFails?: Error;
  trainerImage?: string;
}

interface Caches {
  runs: ObjectCache<TrainingRun>;
  datasets: ObjectCache<Dataset>;
  modelVersions: ObjectCache<ModelVersion>;
  jobs: ObjectCache<V1Job>;
}

/**
 * The world as the fake API server and the store hold it, and a reconciler whose caches are filled
 * from the server as informers would fill them: `sync()` brings them up to date (watch events),
 * `restart()` starts a new reconciler (an operator restart after a crash).
 */
async function harness(world: World) {
  const objects: { path: string; object: KubeObject }[] = [
    ...world.runs.map((r) => ({
      path: PATHS.run(r.metadata.name as string, r.metadata.namespace),
      object: r,
    })),
    ...(world.datasets ?? [PETS]).map((d) => ({
      path: `${PATHS.datasets(d.metadata.namespace as string)}/${d.metadata.name}`,
      object: d,
    })),
    ...(world.jobs ?? []).map((j) => ({
      path: PATHS.job(j.metadata?.name as string, j.metadata?.namespace),
      object: j,
    })),
    ...(world.pods ?? []).map((p) => ({
      path: `${PATHS.pods(p.metadata?.namespace as string)}/${p.metadata?.name}`,
      object: p,
    })),
    ...(world.modelVersions ?? []).map((mv) => ({
      path: PATHS.modelVersion(mv.metadata.name as string, mv.metadata.namespace),
      object: mv,
    })),
  ];
  const client = new RecordingClient(objects);
  const store = new TrainingStore();
  for (const [key, bytes] of Object.entries(world.files ?? {})) store.put(key, bytes);
  const clock = { now: NOW };
  const events: (EventRecord & { regarding: string })[] = [];
  const mints: { scope: SessionPolicyScope; sessionName: string; seconds: number }[] = [];
  const logReads: string[] = [];
  const logs = { ...world.logs };
  let crash: Crash | undefined;
  let killed = false;
  /** A store call that fails (without a crash) while this returns an error. */
  let storeFault: ((op: string, key: string) => Error | undefined) | undefined;

  const guarded = async <T>(
    at: Crash['at'],
    op: string,
    target: string,
    body: unknown,
    call: () => Promise<T>,
  ) => {
    if (killed) throw KILLED;
    const hit = crash?.at === at && crash.when(op, target, body);
    if (hit && !crash?.reached) {
      killed = true;
      throw KILLED;
    }
    const result = await call();
    if (hit) {
      killed = true;
      throw KILLED;
    }
    return result;
  };
  // The API as the reconciler sees it: Pod logs served from `logs`, and the crash point.
  const api: ApiClient = {
    request: <T>(method: string, path: string, options?: Parameters<ApiClient['request']>[2]) =>
      guarded('api', method, path, options?.body, async () => {
        if (method === 'GET' && path.endsWith('/log')) {
          logReads.push(path);
          const text = logs[path.split('/').at(-2) as string];
          if (text === undefined) throw new KubeApiError(404, 'NotFound', `${path} not found`);
          return text as T;
        }
        return client.request<T>(method, path, options);
      }),
  };
  const storeCall =
    <A extends unknown[], T>(op: string, call: (...args: A) => Promise<T>) =>
    (...args: A) =>
      guarded('store', op, String(args[0]), args[1], async () => {
        const fault = storeFault?.(op, String(args[0]));
        if (fault) throw fault;
        return call(...args);
      });
  const storeView = {
    bucket: store.bucket,
    getObject: storeCall('getObject', (key: string) => store.getObject(key)),
    list: storeCall('list', (prefix: string) => store.list(prefix)),
    copyObject: storeCall('copyObject', (from: string, to: string) => store.copyObject(from, to)),
    objectSha256: storeCall('objectSha256', (key: string) => store.objectSha256(key)),
    remove: storeCall('remove', (keys: string[]) => store.remove(keys)),
  } as unknown as ArtifactStore;
  const mint = storeCall(
    'mint',
    async (sessionName: string, scope: SessionPolicyScope, seconds: number): Promise<ScopedCredentials> => {
      if (world.mintFails) throw world.mintFails;
      mints.push({ scope, sessionName, seconds });
      return {
        accessKeyId: `ASIA${mints.length}`,
        secretAccessKey: `secret-${mints.length}`,
        sessionToken: `token-${mints.length}`,
        expiration: new Date(clock.now.getTime() + seconds * 1000),
      };
    },
  );

  const list = async <T extends KubeObject>(path: string, labelSelector?: string): Promise<T[]> => {
    try {
      return (
        await client.request<{ items: T[] }>('GET', path, labelSelector ? { query: { labelSelector } } : {})
      ).items;
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  };
  const refill = <T extends KubeObject>(cache: ObjectCache<T>, items: T[]) => {
    const keys = new Set(items.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`));
    for (const key of [...cache.keys()]) if (!keys.has(key)) cache.delete(key);
    for (const item of items) cache.set(structuredClone(item));
  };
  const sync = async (caches: Caches) => {
    const all = async <T extends KubeObject>(path: (ns: string) => string, selector?: string) =>
      (await Promise.all(NAMESPACES.map((ns) => list<T>(path(ns), selector)))).flat();
    refill(caches.runs, await all<TrainingRun>(PATHS.runs));
    refill(caches.datasets, await all<Dataset>(PATHS.datasets));
    refill(caches.modelVersions, await all<ModelVersion>(PATHS.modelVersions));
    refill(caches.jobs, await all<V1Job>(PATHS.jobs, TRAINING_JOBS.labelSelector));
  };
  const start = async () => {
    const caches: Caches = {
      runs: new ObjectCache(),
      datasets: new ObjectCache(),
      modelVersions: new ObjectCache(),
      jobs: new ObjectCache(),
    };
    const reconciler = new TrainingRunReconciler({
      ...caches,
      events: { record: (o, e) => events.push({ ...e, regarding: o.metadata?.name as string }) },
      store: storeView,
      credentials:
        world.credentials === 'shared'
          ? { mode: 'shared', secret: 'bosun-store' }
          : { mode: 'sts', mint: (scope, sessionName, seconds) => mint(sessionName, scope, seconds) },
      job: { ...TRAINING_JOB_CONFIG, trainerImage: world.trainerImage ?? TRAINING_JOB_CONFIG.trainerImage },
      log: pino({ level: 'silent' }),
      now: () => clock.now,
    });
    await sync(caches);
    return { caches, reconciler };
  };
  let current = await start();
  const signal = new AbortController().signal;
  const firstRun = world.runs[0]?.metadata.name as string;
  const h = {
    client,
    store,
    clock,
    events,
    mints,
    logReads,
    logs,
    get caches() {
      return current.caches;
    },
    get killed() {
      return killed;
    },
    /** `term`: the leadership term's signal (aborted: this replica must stop writing). */
    reconcile: (name = firstRun, ns = 'team-a', term = signal): Promise<ReconcileOutcome> =>
      current.reconciler.reconcile(`${ns}/${name}`, { client: api, signal: term }),
    /** A reconcile that the crash point ends. */
    reconcileUntilKilled: async (name = firstRun) => {
      await h.reconcile(name).catch((error) => {
        if (error !== KILLED) throw error;
      });
      expect(killed).toBe(true);
    },
    sync: () => sync(current.caches),
    crashAt: (point: Crash) => {
      crash = point;
    },
    faultStore: (fault: typeof storeFault) => {
      storeFault = fault;
    },
    restart: async () => {
      killed = false;
      crash = undefined;
      current = await start();
    },
    /** The writes sent since the request with index `from`, as `METHOD last-two-path-segments`. */
    writesFrom: (from = 0) =>
      client.requests
        .slice(from)
        .filter((r) => r.method !== 'GET')
        .map((r) => writeOf(r.method, r.path)),
    run: (name = firstRun, ns = 'team-a') => client.get(PATHS.run(name, ns)) as unknown as TrainingRun,
    job: (name = `${firstRun}-train`) => client.get(PATHS.job(name)) as unknown as V1Job | undefined,
    modelVersion: (name: string) =>
      client.get(PATHS.modelVersion(name)) as unknown as ModelVersion | undefined,
    modelVersions: async () => list<ModelVersion>(PATHS.modelVersions('team-a')),
    jobs: async () => list<V1Job>(PATHS.jobs('team-a')),
    /** What the Job controller does: the run's Job ends (its status replaced). */
    jobEnds: async (name: string, ...mods: ((job: V1Job) => void)[]) => {
      const job = structuredClone(client.get(PATHS.job(name)) as unknown as V1Job);
      for (const mod of mods) mod(job);
      await client.request('PATCH', PATHS.job(name), {
        contentType: 'application/merge-patch+json',
        body: { status: { active: null, ...job.status } },
      });
    },
    /** What the ModelVersion controller does: verifies the artifact (Ready, with its metrics). */
    verify: async (name: string, metrics: Record<string, number> = METRICS) => {
      const mv = structuredClone(client.get(PATHS.modelVersion(name)) as unknown as ModelVersion);
      verified(mv);
      await client.request('PATCH', PATHS.modelVersion(name), {
        contentType: 'application/merge-patch+json',
        body: { status: { ...mv.status, metrics } },
      });
    },
  };
  return h;
}
type Harness = Awaited<ReturnType<typeof harness>>;

const condition = (run: TrainingRun | undefined) =>
  run?.status?.conditions?.find((c) => c.type === 'Succeeded');
/** The status a recorded /status write sent. */
const sentStatus = (request: RecordedRequest | undefined) =>
  (request?.body as { status?: TrainingRun['status'] } | undefined)?.status;
const envValue = (job: V1Job | undefined, name: string) =>
  job?.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === name);

/** Reconciles (verifying what it registers, as the ModelVersion controller would) until the run is done. */
async function finish(h: Harness, name = 'pets-feb'): Promise<TrainingRun> {
  for (let i = 0; i < 10; i++) {
    await h.sync();
    await h.reconcile(name);
    const run = h.run(name);
    const c = condition(run);
    if (c && c.status !== 'Unknown' && ['Succeeded', 'JobFailed', 'ArtifactInvalid'].includes(c.reason))
      return run;
    const claim = run.status?.modelVersion?.name;
    const mv = claim ? h.modelVersion(claim) : undefined;
    if (mv && !mv.status?.conditions) await h.verify(claim as string);
  }
  throw new Error(`${name} did not finish: ${JSON.stringify(condition(h.run(name)))}`);
}

// A run in each of the states the controller finds it in.
const feb = (...mods: Parameters<typeof aTrainingRun>[1][]) => aTrainingRun('pets-feb', ...mods);
const pinnedFeb = (...mods: Parameters<typeof aTrainingRun>[1][]) => feb(pinnedTo(), ...mods);
const running = (run: TrainingRun, ...mods: ((job: V1Job) => void)[]) => aTrainingJob(run, {}, ...mods);
const completed = (run: TrainingRun) => aTrainingJob(run, {}, finished('Complete'));

interface Case {
  name: string;
  world: World;
  expect: {
    /** The writes of one reconcile, in order (left out: checked by `check`). */
    writes?: string[];
    condition: [string, string] | undefined;
    message?: string;
    outcome: ReconcileOutcome;
    events?: string[];
    check?: (h: Harness) => void | Promise<void>;
  };
}

const pinnedRun = pinnedFeb();
const failedJob = (message: string, reason?: string) =>
  running(pinnedRun, finished('Failed', message, reason));
const cases: Case[] = [
  {
    name: 'a run whose Dataset does not exist waits, with no Job',
    world: { runs: [feb()], datasets: [] },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['False', 'DatasetNotFound'],
      message: 'Dataset pets does not exist in namespace team-a; retrying',
      outcome: { type: 'RequeueAfter', ms: 30_000 },
      events: [],
      check: (h) => expect(h.run().status?.snapshot).toBeUndefined(),
    },
  },
  {
    name: 'a run whose Dataset has no snapshot yet waits, with no Job',
    world: { runs: [feb()], datasets: [aDataset('pets')] },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['False', 'SnapshotNotFound'],
      outcome: { type: 'RequeueAfter', ms: 30_000 },
      events: [],
    },
  },
  {
    name: 'a Dataset of the same name in another namespace is not the run’s',
    world: {
      runs: [feb()],
      datasets: [aDataset('pets', dsInNamespace('team-b'), listing(V1, aSnapshotEntry(V1)))],
    },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['False', 'DatasetNotFound'],
      outcome: { type: 'RequeueAfter', ms: 30_000 },
    },
  },
  {
    name: 'a built-in trainer without --trainer-image waits, with no Job',
    world: { runs: [feb()], trainerImage: '' },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['False', 'TrainerImageNotConfigured'],
      message: 'the operator was started without --trainer-image; retrying',
      outcome: { type: 'RequeueAfter', ms: 30_000 },
    },
  },
  {
    name: 'a custom container needs no --trainer-image',
    world: { runs: [feb(inContainer({ image: 'example/trainer:1' }))], trainerImage: '' },
    expect: {
      writes: [
        'PATCH pets-feb/status',
        'POST team-a/jobs',
        'PATCH secrets/pets-feb-train-store',
        'PATCH jobs/pets-feb-train',
        'PATCH pets-feb/status',
      ],
      condition: ['Unknown', 'Pending'],
      outcome: { type: 'WaitForChange' },
    },
  },
  {
    name: 'a Job an earlier run of the same name left is not adopted: the run waits for its deletion',
    world: {
      runs: [pinnedFeb()],
      jobs: [
        aTrainingJob(
          { ...feb(), metadata: { ...feb().metadata, uid: 'uid-of-an-earlier-pets-feb' } },
          {},
          finished('Complete'),
        ),
      ],
      files: outputs('pets-feb'),
    },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['Unknown', 'Pending'],
      message: 'waiting for Job pets-feb-train, left by an earlier TrainingRun of this name, to be deleted',
      outcome: { type: 'RequeueAfter', ms: 5_000 },
      check: async (h) => {
        expect(await h.modelVersions()).toEqual([]);
        expect(h.run().status?.modelVersion).toBeUndefined();
      },
    },
  },
  {
    name: 'outputs an earlier run of the same name left are removed before the pin',
    world: { runs: [feb()], files: outputs('pets-feb') },
    expect: {
      condition: ['Unknown', 'Pending'],
      outcome: { type: 'WaitForChange' },
      check: (h) => {
        expect(h.run().status?.snapshot).toBeDefined();
        expect(h.store.keys().filter((k) => k.startsWith('runs/'))).toEqual([]);
      },
    },
  },
  {
    name: 'a new run pins its snapshot first, then creates its Job suspended, mints, applies the Secret and resumes it',
    world: { runs: [feb()] },
    expect: {
      writes: [
        'PATCH pets-feb/status',
        'POST team-a/jobs',
        'PATCH secrets/pets-feb-train-store',
        'PATCH jobs/pets-feb-train',
        'PATCH pets-feb/status',
      ],
      condition: ['Unknown', 'Pending'],
      message: 'Job pets-feb-train created',
      outcome: { type: 'WaitForChange' },
      events: ['SnapshotPinned', 'JobCreated'],
      check: (h) => {
        const [pin, create] = h.client.writes;
        // The pin is written before any Job exists, with where the run will write.
        expect(sentStatus(pin)).toMatchObject({
          snapshot: aPinnedSnapshot(V1),
          startTime: '2026-02-01T00:20:00Z',
          job: 'pets-feb-train',
          output: 's3://bosun/runs/team-a/pets-feb/',
        });
        expect((create?.body as V1Job | undefined)?.spec?.suspend).toBe(true);
        expect(h.job()?.spec?.suspend).toBe(false);
        expect(envValue(h.job(), 'BOSUN_STORE_SESSION_TOKEN')?.valueFrom?.secretKeyRef?.name).toBe(
          'pets-feb-train-store',
        );
        expect(h.mints).toEqual([
          {
            sessionName: 'team-a.pets-feb-train',
            seconds: 12 * 3600,
            scope: {
              bucket: 'bosun',
              write: ['runs/team-a/pets-feb/'],
              read: [`datasets/team-a/pets/snapshots/${V1}/`, 'objects/team-a/', 'imports/team-a/'],
            },
          },
        ]);
        const secret = h.client.get(PATHS.secret('pets-feb-train-store')) as unknown as V1Secret;
        expect(Buffer.from(secret.data?.sessionToken ?? '', 'base64').toString()).toBe('token-1');
        expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'pets-feb-train' });
        // Nothing of the credentials is in the Job or the status.
        expect(JSON.stringify([h.job(), h.run().status])).not.toMatch(/ASIA1|secret-1|token-1/);
      },
    },
  },
  {
    name: 'shared credentials: the Job is created running, nothing is minted',
    world: { runs: [feb()], credentials: 'shared' },
    expect: {
      writes: ['PATCH pets-feb/status', 'POST team-a/jobs', 'PATCH pets-feb/status'],
      condition: ['Unknown', 'Pending'],
      message: 'Job pets-feb-train waits for its Pod to start',
      outcome: { type: 'RequeueAfter', ms: 15_000 },
      check: (h) => {
        expect(h.mints).toEqual([]);
        expect(h.job()?.spec?.suspend).toBe(false);
        expect(envValue(h.job(), 'BOSUN_STORE_ACCESS_KEY')?.valueFrom?.secretKeyRef?.name).toBe(
          'bosun-store',
        );
        expect(envValue(h.job(), 'BOSUN_STORE_SESSION_TOKEN')).toBeUndefined();
      },
    },
  },
  {
    name: 'credentials last the deadline plus 10 minutes, within the STS limits',
    world: { runs: [feb(withSpec({ activeDeadlineSeconds: 3600 }))] },
    expect: {
      condition: ['Unknown', 'Pending'],
      outcome: { type: 'WaitForChange' },
      check: (h) => {
        expect(h.mints.map((m) => m.seconds)).toEqual([4200]);
        expect(h.job()?.spec?.activeDeadlineSeconds).toBe(3600);
      },
    },
  },
  {
    name: 'credentials the store refuses: the Job stays suspended, the run waits and retries',
    world: {
      runs: [pinnedFeb()],
      jobs: [aTrainingJob(pinnedRun, { suspend: true })],
      mintFails: new UserError('StoreCredentialsRefused', 'AccessDenied: the policy is too long'),
    },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['False', 'StoreCredentialsRefused'],
      message:
        'store credentials for the Job could not be minted: AccessDenied: the policy is too long; retrying',
      outcome: { type: 'Backoff' },
      check: (h) => expect(h.job()?.spec?.suspend).toBe(true),
    },
  },
  {
    name: 'a pinned run keeps its snapshot when the Dataset publishes a newer one',
    world: {
      runs: [pinnedFeb()],
      datasets: [aDataset('pets', listing(V2, aSnapshotEntry(V2), aSnapshotEntry(V1)))],
    },
    expect: {
      writes: [
        'POST team-a/jobs',
        'PATCH secrets/pets-feb-train-store',
        'PATCH jobs/pets-feb-train',
        'PATCH pets-feb/status',
      ],
      condition: ['Unknown', 'Pending'],
      outcome: { type: 'WaitForChange' },
      events: ['JobCreated'],
      check: (h) => {
        expect(h.run().status?.snapshot?.version).toBe(V1);
        expect(envValue(h.job(), 'BOSUN_INPUT_MANIFEST')?.value).toBe(aPinnedSnapshot(V1).manifest.uri);
      },
    },
  },
  {
    name: 'a Job whose Pod has not started is Pending',
    world: { runs: [pinnedFeb()], jobs: [running(pinnedRun, withJobStatus({}))] },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['Unknown', 'Pending'],
      message: 'Job pets-feb-train waits for its Pod to start',
      outcome: { type: 'RequeueAfter', ms: 15_000 },
      check: (h) => expect(h.logReads).toEqual([]),
    },
  },
  {
    name: 'a running Job: its attempts, and its progress from the Pod’s log',
    world: {
      runs: [pinnedFeb()],
      jobs: [running(pinnedRun, withJobStatus({ active: 1, failed: 1 }))],
      pods: [aTrainingPod(running(pinnedRun), 'Pending', 'zzzzz'), aTrainingPod(running(pinnedRun))],
      logs: {
        'pets-feb-train-abcde': [
          aProgressLine({ epoch: 1, loss: 0.9 }),
          aProgressLine({ epoch: 2, loss: 0.6, validationLoss: 0.7 }),
          'a warning from a library',
        ].join('\n'),
      },
    },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['Unknown', 'Running'],
      message: 'training (attempt 2, epoch 2)',
      outcome: { type: 'RequeueAfter', ms: 15_000 },
      check: (h) => {
        expect(h.logReads).toEqual(['/api/v1/namespaces/team-a/pods/pets-feb-train-abcde/log']);
        expect(h.client.requests.find((r) => r.path === PATHS.pods('team-a'))).toBeDefined();
        expect(h.run().status?.attempts).toBe(2);
        expect(h.run().status?.progress).toEqual({
          message: 'training',
          epoch: 2,
          metrics: { loss: 0.6, validationLoss: 0.7 },
          updatedAt: '2026-02-01T00:20:00Z',
        });
      },
    },
  },
  {
    name: 'a running Job whose log cannot be read is Running without progress',
    world: { runs: [pinnedFeb()], jobs: [running(pinnedRun)], pods: [aTrainingPod(running(pinnedRun))] },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['Unknown', 'Running'],
      message: 'training (attempt 1)',
      outcome: { type: 'RequeueAfter', ms: 15_000 },
      check: (h) => expect(h.run().status?.progress).toBeUndefined(),
    },
  },
  {
    name: "a failed Job: JobFailed with the trainer's termination message",
    world: {
      runs: [pinnedFeb()],
      jobs: [
        failedJob(
          'Container train for pod team-a/pets-feb-train-abcde failed with exit code 1',
          'PodFailurePolicy',
        ),
      ],
      pods: [
        aTerminatedPod(running(pinnedRun), 'train', 2, 'StoreUnavailable: timeout', '2026-02-01T00:10:00Z'),
        aTerminatedPod(
          running(pinnedRun),
          'train',
          1,
          'LabelColumnMissing: no column cls in the rows\n',
          '2026-02-01T00:15:00Z',
        ),
      ],
    },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['False', 'JobFailed'],
      message: 'the trainer failed (exit code 1): LabelColumnMissing: no column cls in the rows',
      outcome: { type: 'WaitForChange' },
      events: ['RunFailed'],
      check: (h) => expect(h.run().status?.completionTime).toBe('2026-01-01T00:00:10Z'),
    },
  },
  {
    name: 'a trainer killed for its memory: JobFailed saying to raise the limit',
    world: {
      runs: [pinnedFeb()],
      jobs: [failedJob('Job has reached the specified backoff limit')],
      pods: [aTerminatedPod(running(pinnedRun), 'train', 137, '', '2026-02-01T00:15:00Z', 'OOMKilled')],
    },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['False', 'JobFailed'],
      message: 'the trainer ran out of memory (OOMKilled): raise spec.resources.limits.memory',
      outcome: { type: 'WaitForChange' },
    },
  },
  {
    name: "a failed Job whose Pods are gone: JobFailed with the Job's reason",
    world: { runs: [pinnedFeb()], jobs: [failedJob('Job has reached the specified backoff limit')] },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['False', 'JobFailed'],
      message: 'the training Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
      outcome: { type: 'WaitForChange' },
    },
  },
  {
    name: 'a Job past its deadline: DeadlineExceeded',
    world: {
      runs: [pinnedFeb(withSpec({ activeDeadlineSeconds: 600 }))],
      jobs: [failedJob('Job was active longer than specified deadline', 'DeadlineExceeded')],
    },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['False', 'DeadlineExceeded'],
      message:
        'the run took longer than spec.activeDeadlineSeconds: Job was active longer than specified deadline',
      outcome: { type: 'WaitForChange' },
      events: ['RunFailed'],
      check: (h) => expect(h.client.requests.filter((r) => r.path === PATHS.pods('team-a'))).toEqual([]),
    },
  },
  {
    name: 'a succeeded Job without metrics.json: ArtifactInvalid, nothing registered',
    world: {
      runs: [pinnedFeb()],
      jobs: [completed(pinnedRun)],
      files: outputs('pets-feb', { 'metrics.json': '' }),
    },
    expect: {
      condition: ['False', 'ArtifactInvalid'],
      message: 'the Job succeeded without writing metrics.json under s3://bosun/runs/team-a/pets-feb/',
      outcome: { type: 'WaitForChange' },
      events: ['RunFailed'],
    },
  },
  {
    name: 'a succeeded Job without model.onnx: ArtifactInvalid, nothing registered',
    world: {
      runs: [pinnedFeb()],
      jobs: [completed(pinnedRun)],
      files: outputs('pets-feb', { 'model.onnx': '' }),
    },
    expect: {
      condition: ['False', 'ArtifactInvalid'],
      message: 'the Job succeeded without writing model.onnx under s3://bosun/runs/team-a/pets-feb/',
      outcome: { type: 'WaitForChange' },
      events: ['RunFailed'],
    },
  },
  {
    name: 'metrics.json that is not JSON: ArtifactInvalid',
    world: {
      runs: [pinnedFeb()],
      jobs: [completed(pinnedRun)],
      files: outputs('pets-feb', { 'metrics.json': 'accuracy=0.9' }),
    },
    expect: {
      condition: ['False', 'ArtifactInvalid'],
      message: 'metrics.json is not JSON',
      outcome: { type: 'WaitForChange' },
    },
  },
  {
    name: 'metrics.json that is not an object: ArtifactInvalid',
    world: {
      runs: [pinnedFeb()],
      jobs: [completed(pinnedRun)],
      files: outputs('pets-feb', { 'metrics.json': '[0.9]' }),
    },
    expect: {
      condition: ['False', 'ArtifactInvalid'],
      message: 'metrics.json must be a flat JSON object of metric name to number',
      outcome: { type: 'WaitForChange' },
    },
  },
  {
    name: 'a registered version that fails verification: ArtifactInvalid',
    world: {
      runs: [pinnedFeb(claimed(1))],
      jobs: [completed(pinnedRun)],
      files: outputs('pets-feb'),
      modelVersions: [
        aModelVersion('pets-v1', registeredBy('pets-feb'), (mv) => {
          mv.status = {
            conditions: ['ArtifactVerified', 'Ready'].map((type) => ({
              type,
              status: 'False' as const,
              reason: 'ModelInvalid',
              message: 'the model does not load as ONNX: protobuf parsing failed',
              lastTransitionTime: '2026-02-01T00:19:00Z',
            })),
          };
        }),
      ],
    },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['False', 'ArtifactInvalid'],
      message: 'pets-v1 failed verification: the model does not load as ONNX: protobuf parsing failed',
      outcome: { type: 'WaitForChange' },
      events: ['RunFailed'],
      check: (h) => expect(h.store.copies).toEqual([]),
    },
  },
  {
    name: 'a registered version being verified: Registering',
    world: {
      runs: [pinnedFeb(claimed(1))],
      jobs: [completed(pinnedRun)],
      files: outputs('pets-feb'),
      modelVersions: [aModelVersion('pets-v1', registeredBy('pets-feb'))],
    },
    expect: {
      writes: ['PATCH pets-feb/status'],
      condition: ['Unknown', 'Registering'],
      message: 'pets-v1 is being verified',
      outcome: { type: 'WaitForChange' },
      check: (h) => expect(h.store.copies).toEqual([]),
    },
  },
  {
    name: 'a run that succeeded is left alone',
    world: {
      runs: [pinnedFeb(claimed(1), finishedAs('Succeeded'))],
      jobs: [completed(pinnedRun)],
      files: outputs('pets-feb'),
    },
    expect: { writes: [], condition: ['True', 'Succeeded'], outcome: { type: 'WaitForChange' }, events: [] },
  },
  {
    name: 'a run that failed is left alone',
    world: { runs: [pinnedFeb(finishedAs('JobFailed'))], jobs: [failedJob('failed')] },
    expect: { writes: [], condition: ['False', 'JobFailed'], outcome: { type: 'WaitForChange' }, events: [] },
  },
  {
    name: 'a run being deleted is left alone',
    world: { runs: [feb(deletingRun)] },
    expect: { writes: [], condition: undefined, outcome: { type: 'WaitForChange' }, events: [] },
  },
];

describe('reconciling a TrainingRun', () => {
  it.each(cases)('$name', async (c) => {
    const h = await harness(c.world);
    const from = h.client.requests.length;
    const outcome = await h.reconcile();
    if (c.expect.writes) expect(h.writesFrom(from)).toEqual(c.expect.writes);
    const cond = condition(h.run());
    expect(cond && [cond.status, cond.reason]).toEqual(c.expect.condition);
    if (c.expect.message !== undefined) expect(cond?.message).toBe(c.expect.message);
    expect(outcome).toEqual(c.expect.outcome);
    if (c.expect.events) expect(h.events.map((e) => e.reason)).toEqual(c.expect.events);
    expect(statusSchemaErrors(h.run().status ?? {})).toEqual([]);
    // Never a Job before the snapshot is pinned; never more than one.
    if (!h.run().status?.snapshot) expect(await h.jobs()).toEqual([]);
    expect((await h.jobs()).length).toBeLessThanOrEqual(1);
    // A terminal failure registers nothing.
    if (cond?.status === 'False' && cond.reason !== 'ArtifactInvalid')
      expect(h.client.writes.filter((w) => w.path.includes('/modelversions'))).toEqual([]);
    if (cond?.reason === 'ArtifactInvalid') {
      expect(h.client.writes.filter((w) => w.method === 'POST' && w.path.includes('/modelversions'))).toEqual(
        [],
      );
      expect(h.store.keys().filter((k) => k.startsWith('models/'))).toEqual([]);
      // A run with incomplete outputs takes no version number.
      if (!c.world.runs?.[0]?.status?.modelVersion) expect(h.run().status?.modelVersion).toBeUndefined();
    }
    await c.expect.check?.(h);
  });
});

describe('a TrainingRun from start to registration', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('trains, claims version 1, copies its outputs with metrics.json last, hashes the model and registers it', async () => {
    const h = await harness({ runs: [feb()] });
    await h.reconcile();
    await h.sync();
    await h.jobEnds('pets-feb-train', finished('Complete'));
    for (const [key, bytes] of Object.entries(outputs('pets-feb'))) h.store.put(key, bytes);
    await h.sync();
    let from = h.client.requests.length;
    expect(await h.reconcile()).toEqual({ type: 'WaitForChange' });
    // The claim is written before anything is copied or created.
    expect(h.writesFrom(from)).toEqual([
      'PATCH pets-feb/status',
      'POST team-a/modelversions',
      'PATCH pets-feb/status',
    ]);
    const claim = h.client.requests.slice(from).find((r) => r.method === 'PATCH');
    expect(sentStatus(claim)?.modelVersion).toEqual({
      name: 'pets-v1',
      version: 1,
    });
    expect(h.store.copies).toEqual([
      { from: 'runs/team-a/pets-feb/model.onnx', to: 'models/team-a/pets/1/model.onnx' },
      {
        from: 'runs/team-a/pets-feb/plots/training-curve.png',
        to: 'models/team-a/pets/1/plots/training-curve.png',
      },
      { from: 'runs/team-a/pets-feb/signature.json', to: 'models/team-a/pets/1/signature.json' },
      { from: 'runs/team-a/pets-feb/metrics.json', to: 'models/team-a/pets/1/metrics.json' },
    ]);
    // No output passes through the operator but metrics.json; the model is read once, to hash it.
    expect(h.store.read).toEqual(['runs/team-a/pets-feb/metrics.json']);
    expect(h.store.hashed).toEqual(['models/team-a/pets/1/model.onnx']);
    const mv = h.modelVersion('pets-v1') as ModelVersion;
    expect(mv.spec).toMatchObject({
      model: 'pets',
      version: 1,
      artifact: { uri: 's3://bosun/models/team-a/pets/1/model.onnx', sha256: sha256(MODEL), format: 'onnx' },
      source: {
        trainingRun: 'pets-feb',
        dataset: { name: 'pets', snapshot: V1, variant: 'verified', manifestSha256: SHA_M },
      },
    });
    expect(mv.metadata.ownerReferences).toBeUndefined();
    expect(condition(h.run())?.reason).toBe('Registering');
    expect(condition(h.run())?.message).toBe('pets-v1 is being verified');

    await h.verify('pets-v1');
    await h.sync();
    from = h.client.requests.length;
    await h.reconcile();
    expect(h.writesFrom(from)).toEqual(['PATCH pets-feb/status']);
    const done = h.run();
    expect([condition(done)?.status, condition(done)?.reason, condition(done)?.message]).toEqual([
      'True',
      'Succeeded',
      'registered pets-v1 (accuracy=0.9)',
    ]);
    expect(done.status).toMatchObject({
      modelVersion: { name: 'pets-v1', version: 1 },
      metrics: METRICS,
      keyMetric: 'accuracy=0.9',
      completionTime: '2026-02-01T00:20:00Z',
      snapshot: aPinnedSnapshot(V1),
    });
    expect(statusSchemaErrors(done.status)).toEqual([]);
    expect(h.events.map((e) => e.reason)).toEqual(['SnapshotPinned', 'JobCreated', 'Registered']);
    expect(h.store.copies).toHaveLength(4);

    // Settled: nothing more is written, copied or created.
    await h.sync();
    from = h.client.requests.length;
    expect(await h.reconcile()).toEqual({ type: 'WaitForChange' });
    expect(h.client.requests.slice(from)).toEqual([]);
  });

  it('reads a running Job’s log at most every 15 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const job = running(pinnedRun);
    const pod = aTrainingPod(job);
    const h = await harness({
      runs: [pinnedFeb()],
      jobs: [job],
      pods: [pod],
      logs: { [pod.metadata?.name as string]: aProgressLine({ epoch: 1, loss: 0.9 }) },
    });
    await h.reconcile();
    expect(h.logReads).toHaveLength(1);
    expect(h.run().status?.progress?.epoch).toBe(1);

    // A watch event 10 s later: the log is not read again, and nothing is written.
    h.logs[pod.metadata?.name as string] = aProgressLine({ epoch: 2, loss: 0.7 });
    vi.setSystemTime(NOW.getTime() + 10_000);
    await h.sync();
    let from = h.client.requests.length;
    expect(await h.reconcile()).toEqual({ type: 'RequeueAfter', ms: PROGRESS_INTERVAL_MS });
    expect(h.logReads).toHaveLength(1);
    expect(h.writesFrom(from)).toEqual([]);

    // The requeue 15 s after the read: read again, and the new epoch written.
    vi.setSystemTime(NOW.getTime() + PROGRESS_INTERVAL_MS);
    h.clock.now = new Date(NOW.getTime() + PROGRESS_INTERVAL_MS);
    await h.sync();
    from = h.client.requests.length;
    await h.reconcile();
    expect(h.logReads).toHaveLength(2);
    expect(h.writesFrom(from)).toEqual(['PATCH pets-feb/status']);
    expect(h.run().status?.progress).toMatchObject({ epoch: 2, updatedAt: '2026-02-01T00:20:15Z' });
  });

  it('waits in Registering while the store fails at any step of registering, then registers once', async () => {
    const steps = ['getObject', 'list', 'copyObject', 'objectSha256'];
    for (const step of steps) {
      const h = await harness({
        runs: [pinnedFeb()],
        jobs: [completed(pinnedRun)],
        files: outputs('pets-feb'),
      });
      let copies = 0;
      h.faultStore((op) => {
        if (op === 'copyObject' && ++copies < 3) return undefined;
        return op === step
          ? new Error('connect ECONNREFUSED 10.0.0.9:9000\n    at TCPConnectWrap.afterConnect')
          : undefined;
      });
      expect(await h.reconcile()).toEqual({ type: 'RequeueAfter', ms: 10_000 });
      // Reading the outputs (getObject, list) comes before the claim: no number is taken then.
      const before = step === 'getObject' || step === 'list';
      expect([condition(h.run())?.status, condition(h.run())?.reason, condition(h.run())?.message]).toEqual([
        'Unknown',
        'Registering',
        `waiting for the store to register ${before ? 'the outputs' : 'pets-v1'}: connect ECONNREFUSED 10.0.0.9:9000`,
      ]);
      if (before) expect(h.run().status?.modelVersion).toBeUndefined();
      expect(await h.modelVersions()).toEqual([]);
      await h.sync();
      expect(await h.reconcile()).toEqual({ type: 'RequeueAfter', ms: 10_000 });

      h.faultStore(undefined);
      const done = await finish(h);
      expect(condition(done)?.reason).toBe('Succeeded');
      expect((await h.modelVersions()).map((mv) => mv.metadata.name)).toEqual(['pets-v1']);
      expect(done.status?.modelVersion?.version).toBe(1);
    }
  });
});

describe('a TrainingRun across a crash', () => {
  interface CrashCase {
    name: string;
    crash: Omit<Crash, 'at'> & { at?: Crash['at'] };
  }
  const statusWrite =
    (test: (status: TrainingRun['status']) => boolean) => (op: string, path: string, body?: unknown) =>
      op === 'PATCH' && path.endsWith('/status') && test((body as { status: TrainingRun['status'] }).status);

  // Between the Job's creation and its resumption: one Job, resumed, with its credentials.
  const starting: CrashCase[] = [
    {
      name: 'after the pin is written',
      crash: { when: statusWrite((s) => s?.snapshot !== undefined), reached: true },
    },
    {
      name: 'after the Job is created, before the answer',
      crash: { when: (op, path) => op === 'POST' && path.endsWith('/jobs'), reached: true },
    },
    { name: 'while minting', crash: { at: 'store', when: (op) => op === 'mint', reached: false } },
    {
      name: 'before the Secret is applied',
      crash: { when: (_, path) => path.includes('/secrets/'), reached: false },
    },
    {
      name: 'before the Job is resumed',
      crash: { when: (op, path) => op === 'PATCH' && path.endsWith('/jobs/pets-feb-train'), reached: false },
    },
  ];
  it.each(starting.flatMap((c) => [true, false].map((seen) => ({ ...c, seen }))))(
    'starting, killed $name (the Job seen by the new cache: $seen): one Job, resumed',
    async ({ crash, seen }) => {
      const h = await harness({ runs: [feb()] });
      h.crashAt({ at: 'api', ...crash });
      await h.reconcileUntilKilled();
      await h.restart();
      // The Job's watch event may not have reached the new operator's cache yet.
      if (!seen) h.caches.jobs.delete('team-a/pets-feb-train');
      await h.reconcile();
      const jobs = await h.jobs();
      expect(jobs.map((j) => j.metadata?.name)).toEqual(['pets-feb-train']);
      expect(jobs[0]?.spec?.suspend).toBe(false);
      expect(h.client.get(PATHS.secret('pets-feb-train-store'))).toBeDefined();
      expect(condition(h.run())?.reason).toBe('Pending');
      expect(h.run().status?.snapshot).toEqual(aPinnedSnapshot(V1));
      expect(h.events.filter((e) => e.reason === 'JobCreated').length).toBeLessThanOrEqual(1);
    },
  );

  // Registering: exactly one ModelVersion, with the number claimed first.
  const registering: CrashCase[] = [
    {
      name: 'before the claim reaches the server',
      crash: { when: statusWrite((s) => s?.modelVersion !== undefined), reached: false },
    },
    {
      name: 'after the claim is written, before the answer',
      crash: { when: statusWrite((s) => s?.modelVersion !== undefined), reached: true },
    },
    {
      name: 'after copying model.onnx',
      crash: {
        at: 'store',
        when: (op, key) => op === 'copyObject' && key.endsWith('model.onnx'),
        reached: true,
      },
    },
    {
      name: 'before copying metrics.json',
      crash: {
        at: 'store',
        when: (op, key) => op === 'copyObject' && key.endsWith('metrics.json'),
        reached: false,
      },
    },
    {
      name: 'while hashing the model',
      crash: { at: 'store', when: (op) => op === 'objectSha256', reached: false },
    },
    {
      name: 'before the ModelVersion is created',
      crash: { when: (op, path) => op === 'POST' && path.endsWith('/modelversions'), reached: false },
    },
    {
      name: 'after the ModelVersion is created, before the answer',
      crash: { when: (op, path) => op === 'POST' && path.endsWith('/modelversions'), reached: true },
    },
    {
      name: 'before the status after the create',
      crash: { when: statusWrite((s) => /being verified/.test(JSON.stringify(s))), reached: false },
    },
    {
      name: 'before the final status',
      crash: { when: statusWrite((s) => /registered pets-v/.test(JSON.stringify(s))), reached: false },
    },
  ];
  it.each(registering)('registering, killed $name: one ModelVersion, version 1', async ({ crash }) => {
    // Another model's versions and another namespace's do not move the number.
    const h = await harness({
      runs: [pinnedFeb()],
      jobs: [completed(pinnedRun)],
      files: outputs('pets-feb'),
      modelVersions: [
        aModelVersion('cats-v4', verified),
        aModelVersion('pets-v7', mvInNamespace('team-b'), verified),
      ],
    });
    h.crashAt({ at: 'api', ...crash });
    for (let i = 0; i < 5 && !h.killed; i++) {
      await h.reconcile().catch((error) => {
        if (error !== KILLED) throw error;
      });
      if (!h.killed) {
        await h.sync();
        const mv = h.modelVersion('pets-v1');
        if (mv && !mv.status?.conditions) await h.verify('pets-v1');
        await h.sync();
      }
    }
    expect(h.killed).toBe(true);
    await h.restart();
    const done = await finish(h);
    expect([condition(done)?.status, condition(done)?.reason]).toEqual(['True', 'Succeeded']);
    const mine = (await h.modelVersions()).filter((mv) => mv.spec.model === 'pets');
    expect(mine.map((mv) => [mv.metadata.name, mv.spec.version, mv.spec.source?.trainingRun])).toEqual([
      ['pets-v1', 1, 'pets-feb'],
    ]);
    expect(mine[0]?.spec.artifact.sha256).toBe(sha256(MODEL));
    expect(done.status?.modelVersion).toEqual({ name: 'pets-v1', version: 1 });
    expect(h.store.keys().filter((k) => k.startsWith('models/'))).toEqual([
      'models/team-a/pets/1/metrics.json',
      'models/team-a/pets/1/model.onnx',
      'models/team-a/pets/1/plots/training-curve.png',
      'models/team-a/pets/1/signature.json',
    ]);
    // Every pass that copied metrics.json had copied everything else first (a reader that sees it sees all).
    const copies = h.store.copies.map((c) => c.to.slice('models/team-a/pets/1/'.length));
    const metricsCopies = copies.flatMap((file, i) => (file === 'metrics.json' ? [i] : []));
    expect(metricsCopies.length).toBeGreaterThan(0);
    for (const i of metricsCopies)
      expect(copies.slice(i - 3, i).sort()).toEqual([
        'model.onnx',
        'plots/training-curve.png',
        'signature.json',
      ]);
    expect(h.events.filter((e) => e.reason === 'Registered').length).toBeLessThanOrEqual(1);
  });
});

describe('a replica that lost its leadership', () => {
  it('copies nothing to the store (the store is not behind the API fence)', async () => {
    const h = await harness({
      runs: [pinnedFeb(claimed(1))],
      jobs: [completed(pinnedRun)],
      files: outputs('pets-feb'),
    });
    const ended = new AbortController();
    ended.abort();
    expect(await h.reconcile('pets-feb', 'team-a', ended.signal)).toEqual({ type: 'WaitForChange' });
    expect(h.store.copies).toEqual([]);
    expect(h.store.hashed).toEqual([]);
    expect(await h.modelVersions()).toEqual([]);
  });
});

describe('runs of one model finishing together', () => {
  it('get 20 distinct numbers, 1 to 20, each registered once with its own model', async () => {
    const runs = Array.from({ length: 20 }, (_, i) =>
      aTrainingRun(`pets-${String(i + 1).padStart(2, '0')}`, pinnedTo()),
    );
    const h = await harness({
      runs,
      jobs: runs.map((r) => completed(r)),
      files: Object.assign({}, ...runs.map((r) => outputs(r.metadata.name as string))),
    });
    await Promise.all(runs.map((r) => h.reconcile(r.metadata.name)));
    const mvs = await h.modelVersions();
    expect(mvs.map((mv) => mv.spec.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    for (const mv of mvs) {
      const run = h.run(mv.spec.source?.trainingRun as string);
      expect(run.status?.modelVersion).toEqual({ name: mv.metadata.name, version: mv.spec.version });
      expect(mv.spec.artifact.sha256).toBe(sha256(`onnx bytes of ${run.metadata.name}`));
      expect(h.store.bytes(`models/team-a/pets/${mv.spec.version}/model.onnx`)?.toString()).toBe(
        `onnx bytes of ${run.metadata.name}`,
      );
    }
    expect(new Set(mvs.map((mv) => mv.spec.source?.trainingRun)).size).toBe(20);

    // Verified and reconciled again (concurrently): no second version, no changed number.
    for (const mv of mvs) await h.verify(mv.metadata.name as string);
    await h.sync();
    await Promise.all(runs.map((r) => h.reconcile(r.metadata.name)));
    expect(await h.modelVersions()).toHaveLength(20);
    for (const r of runs) expect(condition(h.run(r.metadata.name))?.reason).toBe('Succeeded');
  });

  it('take the number after a hand-made ModelVersion that holds the one claimed', async () => {
    for (const inCache of [true, false]) {
      const handMade = aModelVersion('pets-v1', verified, (mv) => {
        mv.spec.artifact.uri = 's3://bosun/imports/team-a/models/pets.onnx';
        mv.spec.source = { description: 'trained elsewhere' };
      });
      const h = await harness({
        runs: [pinnedFeb(claimed(1))],
        jobs: [completed(pinnedRun)],
        files: outputs('pets-feb'),
        modelVersions: [handMade],
      });
      // Registered by hand after the claim: the watch may not have brought it yet.
      if (!inCache) h.caches.modelVersions.delete('team-a/pets-v1');
      expect(await h.reconcile()).toEqual({ type: 'Backoff' });
      expect(h.run().status?.modelVersion).toBeUndefined();
      const done = await finish(h);
      expect([condition(done)?.reason, done.status?.modelVersion]).toEqual([
        'Succeeded',
        { name: 'pets-v2', version: 2 },
      ]);
      const names = (await h.modelVersions()).map((mv) => [mv.metadata.name, mv.spec.source?.trainingRun]);
      expect(names).toEqual([
        ['pets-v1', undefined],
        ['pets-v2', 'pets-feb'],
      ]);
      // The hand-made version is kept as it was.
      expect(h.modelVersion('pets-v1')?.spec).toEqual(handMade.spec);
      expect(h.modelVersion('pets-v2')?.spec.artifact.uri).toBe('s3://bosun/models/team-a/pets/2/model.onnx');
    }
  });
});

describe('champion/challenger after registration', () => {
  const PROMOTION = {
    metric: 'accuracy',
    direction: 'maximize' as const,
    minDelta: 0.25,
    stage: 'production' as const,
  };
  const champion = (...mods: ((mv: ModelVersion) => void)[]) =>
    aModelVersion('pets-v1', withStage('production'), verified, withAccuracy(0.5), ...mods);
  const challenger = (accuracy: number) =>
    aModelVersion('pets-v2', registeredBy('pets-feb'), verified, withAccuracy(accuracy));

  interface PromotionCase {
    name: string;
    versions: ModelVersion[];
    promoted: boolean;
    event: string;
    message: string;
  }
  const promotionCases: PromotionCase[] = [
    {
      name: 'better by minDelta: takes the stage',
      versions: [champion(), challenger(0.75)],
      promoted: true,
      event: 'Promoted',
      message: 'promoted to production: accuracy 0.75 against 0.5 of pets-v1 (maximize, minDelta 0.25)',
    },
    {
      name: 'better by less than minDelta: does not',
      versions: [champion(), challenger(0.625)],
      promoted: false,
      event: 'NotPromoted',
      message: 'not promoted: accuracy 0.625 against 0.5 of pets-v1 (maximize, minDelta 0.25)',
    },
    {
      name: 'worse: does not',
      versions: [champion(), challenger(0.25)],
      promoted: false,
      event: 'NotPromoted',
      message: 'not promoted: accuracy 0.25 against 0.5 of pets-v1 (maximize, minDelta 0.25)',
    },
    {
      name: 'no version in the stage: takes it',
      versions: [champion(withStage('staging')), challenger(0.25)],
      promoted: true,
      event: 'Promoted',
      message: 'promoted to production: no Ready version held it',
    },
    {
      name: "another namespace's champion does not count",
      versions: [champion(mvInNamespace('team-b'), withAccuracy(1)), challenger(0.25)],
      promoted: true,
      event: 'Promoted',
      message: 'promoted to production: no Ready version held it',
    },
  ];
  it.each(promotionCases)('$name', async ({ versions, promoted, event, message }) => {
    const h = await harness({
      runs: [pinnedFeb(claimed(2), withPromotion(PROMOTION))],
      jobs: [completed(pinnedRun)],
      files: outputs('pets-feb'),
      modelVersions: versions,
    });
    const from = h.client.requests.length;
    await h.reconcile();
    const patchStage = h.client.requests
      .slice(from)
      .filter((r) => r.method === 'PATCH' && r.path.includes('/modelversions/'));
    expect(patchStage.map((r) => [r.path, r.body, r.contentType])).toEqual(
      promoted
        ? [[PATHS.modelVersion('pets-v2'), { spec: { stage: 'production' } }, 'application/merge-patch+json']]
        : [],
    );
    expect(h.modelVersion('pets-v2')?.spec.stage).toBe(promoted ? 'production' : 'none');
    // The champion keeps its stage either way.
    const holder = versions[0] as ModelVersion;
    expect(h.client.get(PATHS.modelVersion('pets-v1', holder.metadata.namespace))).toMatchObject({
      spec: { stage: holder.spec.stage },
    });
    const done = h.run();
    expect(condition(done)?.reason).toBe('Succeeded');
    expect(done.status?.promotion).toMatchObject({ promoted, stage: 'production', message });
    expect(condition(done)?.message).toContain(message);
    expect(h.events.filter((e) => e.action === 'Promote').map((e) => [e.reason, e.note])).toEqual([
      [event, `pets-v2: ${message}`],
    ]);
    expect(statusSchemaErrors(done.status)).toEqual([]);

    // Decided once: reconciled again, nothing is patched or sent.
    await h.sync();
    const again = h.client.requests.length;
    await h.reconcile();
    expect(h.writesFrom(again)).toEqual([]);
    expect(h.events.filter((e) => e.action === 'Promote')).toHaveLength(1);
  });

  it('compares with the version’s verified metrics, and decides the same after a crash before the status', async () => {
    const h = await harness({
      runs: [pinnedFeb(claimed(2), withPromotion(PROMOTION))],
      jobs: [completed(pinnedRun)],
      // metrics.json says less than the verified metrics the ModelVersion reports.
      files: outputs('pets-feb', { 'metrics.json': JSON.stringify({ accuracy: 0.1 }) }),
      modelVersions: [champion(), challenger(0.75)],
    });
    h.crashAt({
      at: 'api',
      when: (op, path) => op === 'PATCH' && path.endsWith('pets-feb/status'),
      reached: false,
    });
    await h.reconcileUntilKilled();
    expect(h.modelVersion('pets-v2')?.spec.stage).toBe('production');
    await h.restart();
    const from = h.client.requests.length;
    await h.reconcile();
    expect(h.writesFrom(from)).toEqual(['PATCH pets-feb/status']);
    expect(h.run().status?.promotion).toMatchObject({
      promoted: true,
      champion: 'pets-v1',
      value: 0.75,
      championValue: 0.5,
    });
  });
});
