// The ModelVersion controller's reconcile paths, table-driven against the recording fake client
// and a fake store (pure logic; the real API server, node and MinIO are in test/e2e/operator/).
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { StoreConfig } from '../../../../lib/store/client.ts';
import type { ModelVersion } from '../../../../operator/api/model-version.ts';
import {
  artifactId,
  verificationJobName,
} from '../../../../operator/controllers/model-version/artifact-identity.ts';
import {
  type ArtifactStoreAccess,
  artifactOf,
  ModelVersionReconciler,
  type ModelVersionReconcilerOptions,
} from '../../../../operator/controllers/model-version/controller.ts';
import { ARTIFACT_ID_LABEL } from '../../../../operator/controllers/model-version/verification-job.ts';
import {
  encodeFailure,
  encodeVerified,
} from '../../../../operator/controllers/model-version/verification-result.ts';
import type { ReconcileOutcome } from '../../../../operator/runtime/controller.ts';
import type { EventRecord } from '../../../../operator/runtime/events.ts';
import type { KubeObject } from '../../../../operator/runtime/kube-object.ts';
import { ObjectCache } from '../../../../operator/runtime/object-cache.ts';
import { aJob, aTerminatedPod, finished, withLabels } from '../../gen/job.ts';
import {
  A_VERIFIED_RESULT,
  aModelVersion,
  deleting,
  inNamespace,
  SHA_A,
  servedBy,
  verified,
  withCredentialsSecret,
  withDeletionPolicy,
  withFinalizer,
  withUri,
} from '../../gen/model-version.ts';
import { RecordingClient } from '../recording-client.ts';

const OPERATOR_NS = 'bosun-system';
const NOW = new Date('2026-01-10T00:00:00Z');
const RETRY_MS = 300_000;

class FakeStore implements ArtifactStoreAccess {
  readonly removed: string[] = [];
  readonly looked: string[] = [];
  readonly bucket: string;
  readonly keys: Record<string, number>;
  readonly config: StoreConfig | undefined;
  constructor(bucket: string, keys: Record<string, number> = {}, config?: StoreConfig) {
    this.bucket = bucket;
    this.keys = keys;
    this.config = config;
  }
  async stat(key: string) {
    this.looked.push(key);
    const size = this.keys[key];
    return size === undefined ? undefined : { size };
  }
  async presignedGet(key: string, expirySeconds: number) {
    return `http://store.test/${this.bucket}/${key}?X-Amz-Expires=${expirySeconds}&X-Amz-Signature=sig`;
  }
  async remove(keys: string[]) {
    this.removed.push(...keys);
  }
}

/** The reconciler under test with the fakes every case shares; a case overrides what it looks at. */
function makeReconciler(
  options: Partial<ModelVersionReconcilerOptions> & Pick<ModelVersionReconcilerOptions, 'modelVersions'>,
): ModelVersionReconciler {
  return new ModelVersionReconciler({
    jobs: new ObjectCache<V1Job>(),
    pods: new ObjectCache<V1Pod>(),
    events: { record: () => undefined },
    store: new FakeStore('bosun'),
    storeFor: (config) => new FakeStore(config.bucket),
    storeDefaults: { endpoint: 'http://store.test', region: 'us-east-1' },
    job: {
      namespace: OPERATOR_NS,
      image: 'bosun/operator:test',
      imagePullPolicy: 'IfNotPresent',
      ttlSecondsAfterFinished: 3600,
    },
    verificationRetryMs: RETRY_MS,
    log: pino({ level: 'silent' }),
    now: () => NOW,
    ...options,
  });
}

const mvPath = (mv: ModelVersion) =>
  `/apis/bosun.dev/v1alpha1/namespaces/${mv.metadata.namespace}/modelversions/${mv.metadata.name}`;
const jobPath = (name: string) => `/apis/batch/v1/namespaces/${OPERATOR_NS}/jobs/${name}`;

/** The verification Job of `mv`, as the controller names and labels it. */
function verificationJobOf(mv: ModelVersion, ...mods: ((job: V1Job) => void)[]): V1Job {
  const artifact = artifactOf(mv);
  return aJob(
    OPERATOR_NS,
    verificationJobName(artifact),
    withLabels({ [ARTIFACT_ID_LABEL]: artifactId(artifact) }),
    ...mods,
  );
}

interface Case {
  name: string;
  mv: ModelVersion;
  peers?: ModelVersion[];
  job?: (mv: ModelVersion) => V1Job;
  /** The Job's Pods in the API server. */
  pods?: (job: V1Job) => V1Pod[];
  /** The Job's Pods as the operator's watch has seen them. */
  watchedPods?: (job: V1Job) => V1Pod[];
  secrets?: { namespace: string; name: string; data: Record<string, string> }[];
  storeKeys?: Record<string, number>;
  foreignKeys?: Record<string, number>;
  aborted?: boolean;
  expect: {
    /** Every write, as `METHOD last-path-segments`. */
    writes: string[];
    ready?: [string, string];
    events?: string[];
    removed?: string[];
    outcome?: ReconcileOutcome['type'];
    /** Text the Ready message must not contain (no digest, no other tenant's key). */
    messageHides?: string[];
  };
}

const MODEL_KEY = 'models/team-a/fraud/3/model.onnx';
const base = (...mods: Parameters<typeof aModelVersion>[1][]) =>
  aModelVersion('fraud-v3', withFinalizer, ...mods);
const writeOf = (method: string, path: string) => `${method} ${path.split('/').slice(-2).join('/')}`;

const cases: Case[] = [
  {
    name: 'a new ModelVersion gets the finalizer and one verification Job, and is Verifying',
    mv: aModelVersion('fraud-v3'),
    storeKeys: { [MODEL_KEY]: 1234 },
    expect: {
      writes: [
        'PATCH modelversions/fraud-v3',
        'POST namespaces/bosun-system/jobs',
        'PATCH fraud-v3/status',
      ].map((w) => w.replace('namespaces/bosun-system/jobs', 'bosun-system/jobs')),
      ready: ['Unknown', 'Verifying'],
      outcome: 'WaitForChange',
    },
  },
  ...[
    ['a model of another namespace', 's3://bosun/models/team-b/fraud/3/model.onnx'],
    ["another namespace's content-addressed blob", `s3://bosun/objects/team-b/sha256/aa/${SHA_A}`],
    ["another namespace's snapshot manifest", 's3://bosun/datasets/team-b/pets/snapshots/1/full.jsonl.gz'],
    ['a key outside every namespace', 's3://bosun/gold/pets/model.onnx'],
  ].map(
    ([what, uri]): Case => ({
      name: `${what} is refused: no store request, no Job`,
      mv: base(withUri(uri as string)),
      storeKeys: { [(uri as string).slice('s3://bosun/'.length)]: 10 },
      expect: {
        writes: ['PATCH fraud-v3/status'],
        ready: ['False', 'ArtifactOutsideNamespace'],
        events: ['ArtifactOutsideNamespace'],
        messageHides: ['team-b/', SHA_A, 'exist'],
      },
    }),
  ),
  ...[
    ['a ".." segment', 's3://bosun/models/team-a/../team-b/fraud/3/model.onnx'],
    ['an encoded ".."', 's3://bosun/models/team-a/%2e%2e/team-b/fraud/3/model.onnx'],
    ['an encoded slash', 's3://bosun/models/team-a%2f..%2fteam-b/model.onnx'],
  ].map(
    ([what, uri]): Case => ({
      name: `a URI with ${what} is refused as invalid: no Job`,
      mv: base(withUri(uri as string)),
      expect: {
        writes: ['PATCH fraud-v3/status'],
        ready: ['False', 'InvalidArtifactUri'],
        events: ['InvalidArtifactUri'],
      },
    }),
  ),
  {
    name: 'another bucket without a credentials Secret is refused',
    mv: base(withUri('s3://partner/models/fraud.onnx')),
    expect: { writes: ['PATCH fraud-v3/status'], ready: ['False', 'ArtifactOutsideNamespace'] },
  },
  {
    name: 'another bucket whose credentials Secret is missing says so',
    mv: base(withUri('s3://partner/models/fraud.onnx'), withCredentialsSecret('partner-store')),
    expect: {
      writes: ['PATCH fraud-v3/status'],
      ready: ['False', 'CredentialsSecretInvalid'],
      outcome: 'RequeueAfter',
    },
  },
  {
    name: "another bucket is read with the namespace's own Secret",
    mv: base(withUri('s3://partner/models/fraud.onnx'), withCredentialsSecret('partner-store')),
    secrets: [
      { namespace: 'team-a', name: 'partner-store', data: { accessKeyId: 'AK', secretAccessKey: 'SK' } },
    ],
    foreignKeys: { 'models/fraud.onnx': 99 },
    expect: { writes: ['POST bosun-system/jobs', 'PATCH fraud-v3/status'], ready: ['Unknown', 'Verifying'] },
  },
  {
    name: 'a missing artifact is reported without a Job, and retried later',
    mv: base(),
    expect: {
      writes: ['PATCH fraud-v3/status'],
      ready: ['False', 'ArtifactNotFound'],
      outcome: 'RequeueAfter',
    },
  },
  {
    name: 'a running Job: nothing to do until it changes',
    mv: base(),
    job: (mv) => verificationJobOf(mv),
    expect: { writes: ['PATCH fraud-v3/status'], ready: ['Unknown', 'Verifying'], outcome: 'WaitForChange' },
  },
  {
    name: 'a running Job whose Pod exited verified settles the version before the Job is marked done',
    mv: base(),
    job: (mv) => verificationJobOf(mv),
    watchedPods: (job) => [aTerminatedPod(job, 'verify', 0, encodeVerified(A_VERIFIED_RESULT))],
    expect: { writes: ['PATCH fraud-v3/status'], ready: ['True', 'Verified'], events: ['Verified'] },
  },
  {
    name: 'a running Job whose Pod failed waits for the Job, which may retry it',
    mv: base(),
    job: (mv) => verificationJobOf(mv),
    watchedPods: (job) => [
      aTerminatedPod(job, 'verify', 2, encodeFailure('VerificationError', 'the store did not answer')),
    ],
    expect: { writes: ['PATCH fraud-v3/status'], ready: ['Unknown', 'Verifying'], outcome: 'WaitForChange' },
  },
  {
    name: "a Pod left by an earlier Job of the same name is not this Job's result",
    mv: base(),
    job: (mv) => verificationJobOf(mv),
    watchedPods: (job) => [
      aTerminatedPod(
        { ...job, metadata: { ...job.metadata, uid: 'uid-earlier' } },
        'verify',
        0,
        encodeVerified(A_VERIFIED_RESULT),
      ),
    ],
    expect: { writes: ['PATCH fraud-v3/status'], ready: ['Unknown', 'Verifying'], outcome: 'WaitForChange' },
  },
  {
    name: "a finished Job's verdict becomes the status, with a Verified Event",
    mv: base(),
    job: (mv) => verificationJobOf(mv, finished('Complete')),
    pods: (job) => [aTerminatedPod(job, 'verify', 0, encodeVerified(A_VERIFIED_RESULT))],
    expect: { writes: ['PATCH fraud-v3/status'], ready: ['True', 'Verified'], events: ['Verified'] },
  },
  {
    name: 'a bad artifact is reported with the reason the verifier gave, and retried later',
    mv: base(),
    job: (mv) => verificationJobOf(mv, finished('Failed')),
    pods: (job) => [
      aTerminatedPod(job, 'verify', 1, encodeFailure('DigestMismatch', 'the bytes do not match')),
    ],
    expect: {
      writes: ['PATCH fraud-v3/status'],
      ready: ['False', 'DigestMismatch'],
      outcome: 'RequeueAfter',
    },
  },
  {
    name: 'a completed Job whose Pod was garbage-collected runs again',
    mv: base(),
    job: (mv) => verificationJobOf(mv, finished('Complete')),
    pods: () => [],
    expect: {
      writes: ['DELETE jobs/JOB', 'PATCH fraud-v3/status'],
      ready: ['Unknown', 'Verifying'],
      outcome: 'Backoff',
    },
  },
  {
    name: 'a Job whose links expired is replaced, not reported',
    mv: base(),
    job: (mv) => verificationJobOf(mv, finished('Failed')),
    pods: (job) => [
      aTerminatedPod(job, 'verify', 2, encodeFailure('ArtifactLinkExpired', 'the download link expired')),
    ],
    expect: {
      writes: ['DELETE jobs/JOB', 'PATCH fraud-v3/status'],
      ready: ['Unknown', 'Verifying'],
      outcome: 'Backoff',
    },
  },
  {
    name: 'a settled ModelVersion costs no write',
    mv: base(verified),
    expect: { writes: [], ready: ['True', 'Verified'] },
  },
  {
    name: 'a verified peer of the same artifact in the namespace is copied: no Job',
    mv: base(),
    peers: [aModelVersion('fraud-v9', withFinalizer, withUri(`s3://bosun/${MODEL_KEY}`), verified)],
    expect: { writes: ['PATCH fraud-v3/status'], ready: ['True', 'Verified'] },
  },
  {
    name: "another namespace's verified ModelVersion of the same URI and digest is not trusted",
    mv: base(withUri('s3://bosun/models/team-a/fraud/3/model.onnx')),
    peers: [
      aModelVersion(
        'fraud-v3',
        withFinalizer,
        inNamespace('team-b'),
        withUri(`s3://bosun/${MODEL_KEY}`),
        verified,
      ),
    ],
    storeKeys: { [MODEL_KEY]: 1234 },
    expect: { writes: ['POST bosun-system/jobs', 'PATCH fraud-v3/status'], ready: ['Unknown', 'Verifying'] },
  },
  {
    name: "deleting with deletionPolicy Delete removes the version's own verified model",
    mv: base(verified, withDeletionPolicy('Delete'), deleting),
    expect: { writes: ['PATCH modelversions/fraud-v3'], removed: [MODEL_KEY], events: ['ArtifactDeleted'] },
  },
  {
    name: 'Delete never removes what lies outside models/<namespace>/ (an import)',
    mv: base(
      withUri('s3://bosun/imports/team-a/fraud.onnx'),
      verified,
      withDeletionPolicy('Delete'),
      deleting,
    ),
    expect: { writes: ['PATCH modelversions/fraud-v3'], removed: [], events: ['ArtifactRetained'] },
  },
  {
    name: "Delete never removes another namespace's key",
    mv: base(withUri('s3://bosun/models/team-b/fraud/3/model.onnx'), withDeletionPolicy('Delete'), deleting),
    expect: { writes: ['PATCH modelversions/fraud-v3'], removed: [], events: ['ArtifactRetained'] },
  },
  {
    name: 'Delete keeps an artifact that was never verified',
    mv: base(withDeletionPolicy('Delete'), deleting),
    expect: { writes: ['PATCH modelversions/fraud-v3'], removed: [], events: ['ArtifactRetained'] },
  },
  {
    name: "a peer's Retain is honoured even while that peer is being deleted",
    mv: base(verified, withDeletionPolicy('Delete'), deleting),
    peers: [aModelVersion('fraud-v4', withFinalizer, withUri(`s3://bosun/${MODEL_KEY}`), deleting)],
    expect: { writes: ['PATCH modelversions/fraud-v3'], removed: [], events: ['ArtifactRetained'] },
  },
  {
    name: 'peers that are all being deleted with Delete do not keep it',
    mv: base(verified, withDeletionPolicy('Delete'), deleting),
    peers: [
      aModelVersion(
        'fraud-v4',
        withFinalizer,
        withUri(`s3://bosun/${MODEL_KEY}`),
        withDeletionPolicy('Delete'),
        deleting,
      ),
    ],
    expect: { writes: ['PATCH modelversions/fraud-v3'], removed: [MODEL_KEY] },
  },
  {
    name: "another namespace cannot keep (or make delete) this namespace's artifact",
    mv: base(verified, withDeletionPolicy('Delete'), deleting),
    peers: [
      aModelVersion('fraud-v3', withFinalizer, inNamespace('team-b'), withUri(`s3://bosun/${MODEL_KEY}`)),
    ],
    expect: { writes: ['PATCH modelversions/fraud-v3'], removed: [MODEL_KEY] },
  },
  {
    name: 'deletion waits while an InferenceService serves the version',
    mv: base(verified, withDeletionPolicy('Delete'), deleting, servedBy('fraud-api')),
    expect: { writes: [], removed: [], events: ['DeletionBlocked'], outcome: 'RequeueAfter' },
  },
  {
    name: 'after the fence closed (leadership lost), nothing is deleted from the store',
    mv: base(verified, withDeletionPolicy('Delete'), deleting),
    aborted: true,
    expect: { writes: [], removed: [] },
  },
];

describe('reconciling a ModelVersion', () => {
  it.each(cases)('$name', async (c) => {
    const mvs = new ObjectCache<ModelVersion>();
    const jobs = new ObjectCache<V1Job>();
    const pods = new ObjectCache<V1Pod>();
    const objects: { path: string; object: KubeObject }[] = [];
    for (const mv of [c.mv, ...(c.peers ?? [])]) {
      mvs.set(structuredClone(mv));
      objects.push({ path: mvPath(mv), object: mv });
    }
    const job = c.job?.(c.mv);
    if (job) {
      jobs.set(structuredClone(job));
      objects.push({ path: jobPath(job.metadata?.name as string), object: job });
      for (const pod of c.pods?.(job) ?? [])
        objects.push({ path: `/api/v1/namespaces/${OPERATOR_NS}/pods/${pod.metadata?.name}`, object: pod });
      for (const pod of c.watchedPods?.(job) ?? []) pods.set(structuredClone(pod));
    }
    for (const s of c.secrets ?? [])
      objects.push({
        path: `/api/v1/namespaces/${s.namespace}/secrets/${s.name}`,
        object: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: s.name, namespace: s.namespace },
          data: Object.fromEntries(
            Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
        } as KubeObject,
      });
    const client = new RecordingClient(objects);
    const store = new FakeStore('bosun', c.storeKeys ?? {});
    const foreign: FakeStore[] = [];
    const events: { name: string | undefined; event: EventRecord }[] = [];
    const reconciler = makeReconciler({
      modelVersions: mvs,
      jobs,
      pods,
      events: { record: (o, event) => events.push({ name: o.metadata?.name, event }) },
      store,
      storeFor: (config) => {
        const s = new FakeStore(config.bucket, c.foreignKeys ?? {}, config);
        foreign.push(s);
        return s;
      },
    });
    const signal = AbortSignal.abort();
    const outcome = await reconciler.reconcile(`${c.mv.metadata.namespace}/${c.mv.metadata.name}`, {
      client,
      signal: c.aborted ? signal : new AbortController().signal,
    });

    const jobName = job?.metadata?.name ?? '';
    expect(client.writes.map((r) => writeOf(r.method, r.path))).toEqual(
      c.expect.writes.map((w) => w.replace('JOB', jobName)),
    );
    const written = client.get(mvPath(c.mv)) as unknown as ModelVersion | undefined;
    if (c.expect.ready) {
      const ready = written?.status?.conditions?.find((x) => x.type === 'Ready');
      expect([ready?.status, ready?.reason]).toEqual(c.expect.ready);
      for (const hidden of c.expect.messageHides ?? []) expect(ready?.message).not.toContain(hidden);
    }
    if (c.expect.events) expect(events.map((e) => e.event.reason)).toEqual(c.expect.events);
    if (c.expect.removed) expect(store.removed).toEqual(c.expect.removed);
    if (c.expect.outcome) expect(outcome.type).toBe(c.expect.outcome);
    // Whatever happened, no store request was made for a refused artifact, and no Job carries a
    // store credential.
    if (c.expect.ready?.[1] === 'ArtifactOutsideNamespace' || c.expect.ready?.[1] === 'InvalidArtifactUri')
      expect([...store.looked, ...foreign.flatMap((f) => f.looked)]).toEqual([]);
    for (const post of client.writes.filter((r) => r.method === 'POST')) {
      const created = post.body as V1Job;
      const container = created.spec?.template.spec?.containers[0];
      const env = container?.env ?? [];
      expect(env.map((e) => e.name).sort()).toEqual(
        [
          'BOSUN_ARTIFACT_SHA256',
          'BOSUN_ARTIFACT_SIZE',
          'BOSUN_ARTIFACT_URL',
          'BOSUN_METRICS_URL',
          'BOSUN_WORK_DIR',
        ].sort(),
      );
      expect(env.some((e) => e.valueFrom)).toBe(false);
      expect(created.spec?.template.spec?.volumes?.every((v) => v.emptyDir)).toBe(true);
    }
    if (c.foreignKeys)
      expect(foreign[0]?.config).toMatchObject({ bucket: 'partner', accessKey: 'AK', secretKey: 'SK' });
  });

  it('looks at a credentials Secret again once it exists, instead of remembering its absence', async () => {
    const mv = aModelVersion(
      'ext-v1',
      withFinalizer,
      withUri('s3://partner/m.onnx'),
      withCredentialsSecret('creds'),
    );
    const client = new RecordingClient([{ path: mvPath(mv), object: mv }]);
    const mvs = new ObjectCache<ModelVersion>();
    mvs.set(structuredClone(mv));
    const reconciler = makeReconciler({
      modelVersions: mvs,
      storeFor: (config) => new FakeStore(config.bucket, { 'm.onnx': 5 }),
    });
    const ctx = { client, signal: new AbortController().signal };
    const first = await reconciler.reconcile('team-a/ext-v1', ctx);
    expect(first).toEqual({ type: 'RequeueAfter', ms: 30_000 });
    await client.request('POST', '/api/v1/namespaces/team-a/secrets', {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds' },
        data: {
          accessKeyId: Buffer.from('AK').toString('base64'),
          secretAccessKey: Buffer.from('SK').toString('base64'),
        },
      },
    });
    mvs.set(structuredClone(client.get(mvPath(mv)) as unknown as ModelVersion));
    await reconciler.reconcile('team-a/ext-v1', ctx);
    expect(client.writes.filter((w) => w.method === 'POST' && w.path.endsWith('/jobs'))).toHaveLength(1);
  });

  it('never starts a second Job for one artifact across reconciles and restarts', async () => {
    const mv = aModelVersion('fraud-v3', withFinalizer);
    const client = new RecordingClient([{ path: mvPath(mv), object: mv }]);
    const make = () => {
      const mvs = new ObjectCache<ModelVersion>();
      mvs.set(structuredClone(client.get(mvPath(mv)) as unknown as ModelVersion));
      return makeReconciler({ modelVersions: mvs, store: new FakeStore('bosun', { [MODEL_KEY]: 5 }) });
    };
    const ctx = { client, signal: new AbortController().signal };
    // A restart before the Job reached the cache: the create meets AlreadyExists and is fine.
    await make().reconcile('team-a/fraud-v3', ctx);
    await make().reconcile('team-a/fraud-v3', ctx);
    const posts = client.writes.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(new Set(posts.map((p) => (p.body as V1Job).metadata?.name)).size).toBe(1);
  });
});
