// Fault tests on the real control plane and node. The operator is a host process, so it can be
// SIGKILLed at any point: every object must still converge, with exactly one verification Job per
// artifact. With two replicas only the leader writes, and the other takes over when it dies.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';
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
  sleep,
  startOperator,
  upload,
  writeCalls,
} from '../../integration/operator/harness.ts';
import { watchJobCreations } from './job-creations.ts';

const env = inject('environment');
let client: KubeClient;
const prepared: OperatorNamespaces[] = [];
const running: RunningOperator[] = [];

async function start(ns: OperatorNamespaces, identity?: string): Promise<RunningOperator> {
  const op = await startOperator(env, ns, identity ? { identity } : {});
  running.push(op);
  return op;
}

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the fault tests need a node for the verification Jobs: ${noNode}`);
  client = adminClient(env);
  await installCrds(env);
});

afterAll(async () => {
  for (const op of running) op.kill('SIGKILL');
  for (const ns of prepared) await cleanup(env, ns);
});

describe('an operator killed with SIGKILL during a burst', () => {
  it('converges 200 ModelVersions after five kills, with one Job per stored artifact', async () => {
    const ns = await prepareOperator(env, 'kill');
    prepared.push(ns);
    const jobs = watchJobCreations(client, ns.operator);
    // Ten artifacts: eight good, one missing, one with a wrong digest.
    const artifacts: { uri: string; sha256: string; good: boolean }[] = [];
    for (let i = 0; i < 8; i++) {
      const model = onnxModel(100 + i);
      artifacts.push({
        uri: await upload(env, ns.bucket, `models/${ns.watched}/a${i}/model.onnx`, model),
        sha256: sha256(model),
        good: true,
      });
    }
    artifacts.push({
      uri: `s3://${ns.bucket}/models/${ns.watched}/missing/model.onnx`,
      sha256: 'e'.repeat(64),
      good: false,
    });
    const other = onnxModel(200);
    artifacts.push({
      uri: await upload(env, ns.bucket, `models/${ns.watched}/wrong/model.onnx`, other),
      sha256: 'd'.repeat(64),
      good: false,
    });

    let operator = await start(ns);
    const burst = (async () => {
      for (let i = 0; i < 200; i++) {
        const a = artifacts[i % artifacts.length] as (typeof artifacts)[number];
        await createModelVersion(
          client,
          modelVersionBody(ns.watched, `m${i % 20}`, Math.floor(i / 20) + 1, a),
        );
      }
    })();
    for (let kill = 0; kill < 5; kill++) {
      await sleep(500 + Math.random() * 2500);
      operator.kill('SIGKILL');
      expect((await operator.exited).signal).toBe('SIGKILL');
      // As when the kubelet restarts a killed container: same pod name, so the same identity takes
      // its unreleased lease back at once (a new pod would wait out the 15 s lease).
      operator = await start(ns, operator.identity);
    }
    await burst;
    const all = await eventually(
      async () => {
        const list = await listModelVersions(client, ns.watched);
        expect(list).toHaveLength(200);
        const unsettled = list.filter((mv) => {
          const ready = condition(mv, 'Ready');
          return (
            !ready || ready.status === 'Unknown' || mv.status?.observedGeneration !== mv.metadata.generation
          );
        });
        expect(unsettled.map((mv) => mv.metadata.name)).toEqual([]);
        return list;
      },
      240_000,
      1000,
    );
    for (const mv of all) {
      const artifact = artifacts.find(
        (a) => a.uri === mv.spec.artifact.uri && a.sha256 === mv.spec.artifact.sha256,
      );
      const ready = condition(mv, 'Ready');
      if (artifact?.good) expect(ready).toMatchObject({ status: 'True', reason: 'Verified' });
      else expect(ready?.status).toBe('False');
      expect(mv.metadata.finalizers).toEqual(['bosun.dev/model-version']);
      expect(mv.status?.history).toHaveLength(1);
    }
    const list = await client.request<{ items: { metadata: { name: string } }[] }>(
      'GET',
      `/apis/batch/v1/namespaces/${ns.operator}/jobs`,
    );
    // One Job per stored artifact: a missing one is found missing by the operator's HEAD, no Job.
    const stored = artifacts.filter((a) => !a.uri.includes('/missing/')).length;
    expect(list.items).toHaveLength(stored);
    jobs.stop();
    expect([...jobs.created.values()].every((n) => n === 1)).toBe(true);
    expect(jobs.created.size).toBe(stored);
  });
});

describe('two replicas', () => {
  it('only the leader writes; when it is killed the other takes over within 20 s', async () => {
    const ns = await prepareOperator(env, 'ha');
    prepared.push(ns);
    const a = await start(ns, 'replica-a');
    await eventually(
      async () => expect(metricValue(await a.metrics(), 'leader_election_master_status')).toBe(1),
      30_000,
    );
    const b = await start(ns, 'replica-b');
    await eventually(async () => expect(await b.probe('/readyz')).toBe(200), 30_000);
    const model = onnxModel(300);
    const artifact = {
      uri: await upload(env, ns.bucket, `models/${ns.watched}/ha/model.onnx`, model),
      sha256: sha256(model),
    };
    for (let v = 1; v <= 10; v++)
      await createModelVersion(client, modelVersionBody(ns.watched, 'ha', v, artifact));
    await eventually(async () => {
      const list = await listModelVersions(client, ns.watched);
      expect(list.filter((mv) => condition(mv, 'Ready')?.status === 'True')).toHaveLength(10);
    }, 120_000);
    expect(writeCalls(await a.metrics())).toBeGreaterThan(0);
    const follower = await b.metrics();
    expect(metricValue(follower, 'leader_election_master_status')).toBe(0);
    expect(writeCalls(follower)).toBe(0);

    a.kill('SIGKILL');
    const killedAt = Date.now();
    await eventually(
      async () => expect(metricValue(await b.metrics(), 'leader_election_master_status')).toBe(1),
      20_000,
      200,
    );
    const takeover = (Date.now() - killedAt) / 1000;
    console.log(`takeover after ${takeover.toFixed(1)} s`);
    const lease = await client.request<{ spec: { holderIdentity: string; leaseTransitions: number } }>(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${ns.operator}/leases/bosun-operator`,
    );
    expect(lease.spec.holderIdentity).toBe('replica-b');
    expect(lease.spec.leaseTransitions).toBeGreaterThanOrEqual(1);
    // The new leader does the work now.
    await client.request('PATCH', `/apis/bosun.dev/v1alpha1/namespaces/${ns.watched}/modelversions/ha-v1`, {
      body: { spec: { stage: 'production' } },
      contentType: 'application/merge-patch+json',
    });
    await eventually(async () => {
      const mv = await client.request<{ status?: { history?: { stage: string }[] } }>(
        'GET',
        `/apis/bosun.dev/v1alpha1/namespaces/${ns.watched}/modelversions/ha-v1`,
      );
      expect(mv.status?.history?.at(-1)?.stage).toBe('production');
    }, 30_000);
    expect(writeCalls(await b.metrics())).toBeGreaterThan(0);
    // A graceful stop releases the lease at once.
    b.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
    const released = await client.request<{ spec: { holderIdentity?: string } }>(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${ns.operator}/leases/bosun-operator`,
    );
    expect(released.spec.holderIdentity).toBeUndefined();
  });
});
