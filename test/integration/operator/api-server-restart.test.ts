// The operator survives an API server restart without a restart of its own: its watches back off
// and resume, and work created after the outage is picked up. A private control plane (no node),
// so no other test file sees the outage; verification Jobs are created but never run here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';
import {
  type EnvironmentState,
  restartComponent,
  startEnvironment,
  stopEnvironment,
} from '../../cluster/environment.ts';
import {
  adminClient,
  cleanup,
  condition,
  createModelVersion,
  eventually,
  installCrds,
  listModelVersions,
  metricValue,
  modelVersionBody,
  type OperatorNamespaces,
  onnxModel,
  prepareOperator,
  type RunningOperator,
  sha256,
  startOperator,
  upload,
} from './harness.ts';

let env: EnvironmentState;
let client: KubeClient;
let ns: OperatorNamespaces;
let operator: RunningOperator;

beforeAll(async () => {
  env = await startEnvironment();
  client = adminClient(env);
  await installCrds(env);
  ns = await prepareOperator(env, 'restart');
  operator = await startOperator(env, ns);
  await eventually(async () => expect(await operator.probe('/readyz')).toBe(200), 60_000);
});

afterAll(async () => {
  operator?.kill('SIGTERM');
  await operator?.exited;
  if (ns) await cleanup(env, ns).catch(() => undefined);
  if (env) await stopEnvironment(env);
});

/** Taken up by the operator: finalizer added, a Verifying status written, a Job applied. */
async function pickedUp(names: string[]): Promise<ModelVersion[]> {
  return eventually(async () => {
    const all = await listModelVersions(client, ns.watched);
    const mine = all.filter((mv) => names.includes(mv.metadata.name as string));
    expect(mine).toHaveLength(names.length);
    for (const mv of mine) {
      expect(mv.metadata.finalizers).toContain('bosun.dev/model-version');
      expect(condition(mv, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Verifying' });
    }
    return mine;
  }, 60_000);
}

describe('an API server restart', () => {
  it('is survived by the running operator, which then handles new and changed objects', async () => {
    const model = onnxModel(7);
    const uri = await upload(env, ns.bucket, `models/${ns.watched}/m/model.onnx`, model);
    const artifact = { uri, sha256: sha256(model) };
    const before = Array.from({ length: 5 }, (_, i) =>
      modelVersionBody(ns.watched, 'before', i + 1, artifact),
    );
    for (const body of before) await createModelVersion(client, body);
    await pickedUp(before.map((b) => b.metadata.name));

    await restartComponent(env, 'kube-apiserver');
    await eventually(() => client.request('GET', '/readyz'), 60_000);

    const after = Array.from({ length: 5 }, (_, i) => modelVersionBody(ns.watched, 'after', i + 1, artifact));
    for (const body of after) await createModelVersion(client, body);
    await pickedUp(after.map((b) => b.metadata.name));
    // A promotion made after the outage is recorded too.
    await client.request(
      'PATCH',
      `/apis/bosun.dev/v1alpha1/namespaces/${ns.watched}/modelversions/before-v1`,
      {
        body: { spec: { stage: 'dev' } },
        contentType: 'application/merge-patch+json',
      },
    );
    await eventually(async () => {
      const mv = await client.request<ModelVersion>(
        'GET',
        `/apis/bosun.dev/v1alpha1/namespaces/${ns.watched}/modelversions/before-v1`,
      );
      expect(mv.status?.history?.map((h) => h.stage)).toEqual(['none', 'dev']);
    }, 30_000);

    // The same process did all of it, and reports itself healthy and ready.
    const exited = await Promise.race([
      operator.exited,
      new Promise((r) => setTimeout(() => r('running'), 100)),
    ]);
    expect(exited).toBe('running');
    expect(await operator.probe('/healthz')).toBe(200);
    expect(await operator.probe('/readyz')).toBe(200);
    // All ten versions share one artifact, so one verification Job.
    const jobs = await client.request<{ items: unknown[] }>(
      'GET',
      `/apis/batch/v1/namespaces/${ns.operator}/jobs`,
    );
    expect(jobs.items).toHaveLength(1);
    expect(metricValue(await operator.metrics(), 'leader_election_master_status')).toBe(1);
  });
});
