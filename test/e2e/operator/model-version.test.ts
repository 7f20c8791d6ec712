// The ModelVersion controller on the real control plane and node: the operator runs as a host
// process with the ServiceAccount of config/rbac, and its verification Jobs run the operator image
// on the node, reading MinIO.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import { flags } from '../../../operator/config.ts';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';
import {
  adminClient,
  cleanup,
  condition,
  createModelVersion,
  eventually,
  installCrds,
  kubectl,
  metricValue,
  minio,
  modelVersionBody,
  modelVersionPath,
  type OperatorNamespaces,
  onnxModel,
  prepareOperator,
  type RunningOperator,
  settledModelVersion,
  sha256,
  startOperator,
  upload,
} from '../../integration/operator/harness.ts';

const env = inject('environment');
let client: KubeClient;
let ns: OperatorNamespaces;
let operator: RunningOperator;

const mvPath = (name: string) => modelVersionPath(ns.watched, name);
const read = (name: string) => client.request<ModelVersion>('GET', mvPath(name));
const settled = (name: string, timeoutMs?: number) =>
  settledModelVersion(client, ns.watched, name, timeoutMs);

interface EventItem {
  reason: string;
  type: string;
  note: string;
  regarding: { name: string };
  reportingController: string;
}

async function eventsFor(name: string): Promise<EventItem[]> {
  const list = await client.request<{ items: EventItem[] }>(
    'GET',
    `/apis/events.k8s.io/v1/namespaces/${ns.watched}/events`,
  );
  return list.items.filter((e) => e.regarding.name === name);
}

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the ModelVersion tests need a node for the verification Jobs: ${noNode}`);
  client = adminClient(env);
  await installCrds(env);
  ns = await prepareOperator(env, 'mv');
  operator = await startOperator(env, ns);
  await eventually(async () => expect(await operator.probe('/readyz')).toBe(200), 60_000);
});

afterAll(async () => {
  operator?.kill('SIGTERM');
  await operator?.exited;
  if (ns) await cleanup(env, ns);
});

describe('ModelVersion verification', () => {
  it('verifies a good artifact: kubectl wait returns, status has signature, size and metrics', async () => {
    const model = onnxModel(1);
    const uri = await upload(env, ns.bucket, `models/${ns.watched}/iris/1/model.onnx`, model);
    await upload(
      env,
      ns.bucket,
      `models/${ns.watched}/iris/1/metrics.json`,
      JSON.stringify({ accuracy: 0.96, macro_f1: 0.95 }),
    );
    await createModelVersion(client, modelVersionBody(ns.watched, 'iris', 1, { uri, sha256: sha256(model) }));
    const wait = await kubectl(env, [
      'wait',
      '--for=condition=Ready',
      '--timeout=150s',
      '-n',
      ns.watched,
      'modelversion/iris-v1',
    ]);
    expect(wait.stderr).toBe('');
    expect(wait.stdout).toContain('condition met');
    const mv = await read('iris-v1');
    expect(mv.status?.observedGeneration).toBe(mv.metadata.generation);
    expect(condition(mv, 'ArtifactVerified')).toMatchObject({ status: 'True', reason: 'Verified' });
    expect(mv.status?.artifact?.size).toBe(model.length);
    expect(mv.status?.signature).toEqual({
      inputs: [{ name: 'features', type: 'float32', shape: ['N', 4] }],
      outputs: [{ name: 'score', type: 'float32', shape: ['N', 1] }],
    });
    expect(mv.status?.metrics).toEqual({ accuracy: 0.96, macro_f1: 0.95 });
    expect(mv.status?.keyMetric).toBe('accuracy=0.96');
    expect(mv.metadata.finalizers).toContain('bosun.dev/model-version');
    expect((await eventsFor('iris-v1')).map((e) => [e.type, e.reason])).toContainEqual([
      'Normal',
      'Verified',
    ]);
  });

  it('fails for the right reasons: missing artifact, wrong digest, not a model', async () => {
    const model = onnxModel(2);
    const good = await upload(env, ns.bucket, `models/${ns.watched}/bad/2/model.onnx`, model);
    const junk = new TextEncoder().encode('this is not an ONNX model');
    const junkUri = await upload(env, ns.bucket, `models/${ns.watched}/bad/3/model.onnx`, junk);
    await createModelVersion(
      client,
      modelVersionBody(ns.watched, 'bad', 1, {
        uri: `s3://${ns.bucket}/models/${ns.watched}/bad/1/model.onnx`,
        sha256: sha256(model),
      }),
    );
    await createModelVersion(
      client,
      modelVersionBody(ns.watched, 'bad', 2, { uri: good, sha256: 'f'.repeat(64) }),
    );
    await createModelVersion(
      client,
      modelVersionBody(ns.watched, 'bad', 3, { uri: junkUri, sha256: sha256(junk) }),
    );
    const expected = { 'bad-v1': 'ArtifactNotFound', 'bad-v2': 'DigestMismatch', 'bad-v3': 'InvalidModel' };
    for (const [name, reason] of Object.entries(expected)) {
      const mv = await settled(name);
      expect(condition(mv, 'Ready')).toMatchObject({ status: 'False', reason });
      expect(condition(mv, 'ArtifactVerified')).toMatchObject({ status: 'False', reason });
      expect(mv.status?.signature).toBeUndefined();
      await eventually(
        async () =>
          expect((await eventsFor(name)).map((e) => [e.type, e.reason])).toContainEqual(['Warning', reason]),
        10_000,
      );
    }
    const mismatch = await read('bad-v2');
    // It says the bytes differ, never what digest they have (that would let one namespace learn
    // another's digests by registering a guess).
    expect(condition(mismatch, 'Ready')?.message).toContain('the bytes do not match spec.artifact.sha256');
    expect(condition(mismatch, 'Ready')?.message).not.toContain(sha256(model));
    // The operator kept running through all of it.
    expect(await operator.probe('/healthz')).toBe(200);
  });

  it('records a promotion in history and as an Event, once', async () => {
    const before = await settled('iris-v1');
    expect(before.status?.history?.map((h) => h.stage)).toEqual(['none']);
    await client.request('PATCH', mvPath('iris-v1'), {
      body: { spec: { stage: 'staging' } },
      contentType: 'application/merge-patch+json',
    });
    await client.request('PATCH', mvPath('iris-v1'), {
      body: { spec: { stage: 'production' } },
      contentType: 'application/merge-patch+json',
    });
    const after = await eventually(async () => {
      const mv = await read('iris-v1');
      expect(mv.status?.history?.at(-1)?.stage).toBe('production');
      return mv;
    }, 30_000);
    const stages = after.status?.history?.map((h) => h.stage) ?? [];
    expect(stages[0]).toBe('none');
    expect(stages.at(-1)).toBe('production');
    for (const h of after.status?.history ?? []) expect(Date.parse(h.time)).not.toBeNaN();
    const notes = await eventually(async () => {
      const promotions = (await eventsFor('iris-v1')).filter((e) => e.reason === 'StageChanged');
      expect(promotions.map((e) => e.note)).toContain(`Stage changed from ${stages.at(-2)} to production`);
      return promotions;
    }, 10_000);
    expect(notes.every((e) => e.reportingController === 'bosun.dev/operator')).toBe(true);
    // The verification is not repeated for a promotion.
    expect(after.status?.artifact).toEqual(before.status?.artifact);
    expect(condition(after, 'Ready')?.lastTransitionTime).toBe(
      condition(before, 'Ready')?.lastTransitionTime,
    );
  });

  it('runs one Job for many ModelVersions of one artifact, and never verifies it again', async () => {
    const model = onnxModel(3);
    const uri = await upload(env, ns.bucket, `models/${ns.watched}/shared/model.onnx`, model);
    for (let v = 1; v <= 6; v++)
      await createModelVersion(
        client,
        modelVersionBody(ns.watched, 'shared', v, { uri, sha256: sha256(model) }),
      );
    for (let v = 1; v <= 6; v++)
      expect(condition(await settled(`shared-v${v}`), 'Ready')?.status).toBe('True');
    const jobs = await client.request<{
      items: { metadata: { name: string; annotations: Record<string, string> } }[];
    }>('GET', `/apis/batch/v1/namespaces/${ns.operator}/jobs`);
    expect(jobs.items.filter((j) => j.metadata.annotations['bosun.dev/artifact-uri'] === uri)).toHaveLength(
      1,
    );
    // A version registered later is verified from what is known, without a Job.
    const jobsBefore = jobs.items.length;
    await createModelVersion(
      client,
      modelVersionBody(ns.watched, 'shared', 7, { uri, sha256: sha256(model) }),
    );
    expect(condition(await settled('shared-v7', 30_000), 'Ready')?.status).toBe('True');
    const after = await client.request<{ items: unknown[] }>(
      'GET',
      `/apis/batch/v1/namespaces/${ns.operator}/jobs`,
    );
    expect(after.items).toHaveLength(jobsBefore);
  });

  it('applies the retention policy when deleted: Delete removes the artifact, Retain keeps it', async () => {
    const kept = onnxModel(4);
    const gone = onnxModel(5);
    const keptUri = await upload(env, ns.bucket, `models/${ns.watched}/ret/1/model.onnx`, kept);
    const goneUri = await upload(env, ns.bucket, `models/${ns.watched}/ret/2/model.onnx`, gone);
    await createModelVersion(
      client,
      modelVersionBody(
        ns.watched,
        'ret',
        1,
        { uri: keptUri, sha256: sha256(kept) },
        { deletionPolicy: 'Retain' },
      ),
    );
    await createModelVersion(
      client,
      modelVersionBody(
        ns.watched,
        'ret',
        2,
        { uri: goneUri, sha256: sha256(gone) },
        { deletionPolicy: 'Delete' },
      ),
    );
    await settled('ret-v1');
    await settled('ret-v2');
    for (const name of ['ret-v1', 'ret-v2']) await client.request('DELETE', mvPath(name));
    for (const name of ['ret-v1', 'ret-v2'])
      await eventually(async () => {
        const error = await read(name).then(
          () => undefined,
          (e: { code?: number }) => e,
        );
        expect(error?.code).toBe(404);
      }, 30_000);
    const store = minio(env);
    await expect(store.statObject(ns.bucket, `models/${ns.watched}/ret/1/model.onnx`)).resolves.toBeDefined();
    await expect(store.statObject(ns.bucket, `models/${ns.watched}/ret/2/model.onnx`)).rejects.toMatchObject({
      code: 'NotFound',
    });
  });

  it("exposes controller-runtime's metrics and takes the lead alone", async () => {
    const text = await operator.metrics();
    expect(
      metricValue(text, 'controller_runtime_reconcile_total', { controller: 'modelversion' }),
    ).toBeGreaterThan(0);
    expect(
      metricValue(text, 'controller_runtime_max_concurrent_reconciles', { controller: 'modelversion' }),
    ).toBe(Number(flags.concurrency?.default));
    expect(metricValue(text, 'leader_election_master_status', { name: 'bosun-operator' })).toBe(1);
    expect(text).toContain('workqueue_depth{name="modelversion",controller="modelversion"}');
    expect(text).toMatch(/rest_client_requests_total\{.*method="PATCH".*\}/);
    expect(text).toContain('process_resident_memory_bytes');
  });
});
