// A canary on the real node, by replica ratio behind the one Service: 4 replicas with a 25% canary
// are 3 primary Pods and 1 canary Pod, and 2,000 new connections from a client Pod split within
// ±5 points of 25% (kube-proxy picks an endpoint per connection, once its rules list all four).
// Removing the canary prunes its Deployment and gives the primary every replica back; `kubectl
// scale` (the scale subresource) changes the number of serving Pods.
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { InferenceService } from '../../../operator/api/inference-service.ts';
import { SERVICE_PORT } from '../../../operator/controllers/inference-service/service.ts';
import { MODEL_VERSION_LABEL } from '../../../operator/controllers/inference-service/serving-names.ts';
import { isNotFound } from '../../../operator/runtime/kube-client.ts';
import { natRules, routedEndpoints } from '../../cluster/kube-proxy-rules.ts';
import { eventually, kubectl } from '../../integration/operator/harness.ts';
import {
  createInferenceService,
  lastLine,
  patchInferenceService,
  readInferenceService,
  readyInferenceService,
  type ServingFixture,
  startClient,
  startServing,
  stopServing,
  TABULAR_REQUEST,
  trainedModelVersion,
} from './serving.ts';

const env = inject('environment');
let f: ServingFixture;

const NAME = 'fraud';
/** New connections of the split; at 25% one standard deviation of the share is about 1 point. */
const CONNECTIONS = 2000;
const PERCENT = 25;
const TOLERANCE_POINTS = 5;
/** Four Pods (five while one rolls) beside other tests' on two cores: a small CPU request each. */
const SERVER = { resources: { requests: { cpu: '100m' } } };

beforeAll(async () => {
  f = await startServing(env, 'canary');
  await trainedModelVersion(f, NAME, 1);
  await trainedModelVersion(f, NAME, 2);
}, 400_000);

afterAll(async () => {
  await stopServing(env, f);
});

const deploymentPath = (role: string) =>
  `/apis/apps/v1/namespaces/${f.ns.watched}/deployments/${NAME}-${role}`;

const readDeployment = (role: string) => f.client.request<V1Deployment>('GET', deploymentPath(role));

/** The serving Pods of the InferenceService that are not on their way out, by the version they run. */
async function servingPods(isvc: InferenceService): Promise<Record<string, number>> {
  const pods = await f.client.request<{ items: V1Pod[] }>('GET', `/api/v1/namespaces/${f.ns.watched}/pods`, {
    query: { labelSelector: isvc.status?.selector as string },
  });
  const byVersion: Record<string, number> = {};
  for (const pod of pods.items) {
    if (pod.metadata?.deletionTimestamp) continue;
    const v = pod.metadata?.labels?.[MODEL_VERSION_LABEL] ?? '?';
    byVersion[v] = (byVersion[v] ?? 0) + 1;
  }
  return byVersion;
}

/**
 * Waits until the Service's EndpointSlices list exactly `count` ready endpoints and kube-proxy routes
 * new connections to exactly those: the InferenceService is Ready once its Pods are, the endpoints
 * follow a moment later and kube-proxy's rules a sync after that (seconds on a loaded machine; a
 * split measured on the old rules sent a quarter of the connections to three endpoints).
 */
async function routedToReadyEndpoints(count: number): Promise<void> {
  await eventually(async () => {
    const slices = await f.client.request<{
      items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[];
    }>('GET', `/apis/discovery.k8s.io/v1/namespaces/${f.ns.watched}/endpointslices`, {
      query: { labelSelector: `kubernetes.io/service-name=${NAME}` },
    });
    const ready = slices.items
      .flatMap((s) => s.endpoints ?? [])
      .filter((e) => e.conditions?.ready)
      .map((e) => `${e.addresses[0]}:${SERVICE_PORT}`)
      .sort();
    expect(ready).toHaveLength(count);
    expect(routedEndpoints(await natRules(), f.ns.watched, NAME, 'http')).toEqual(ready);
  }, 60_000);
}

interface ConnectionsResult {
  versions: Record<string, number>;
  failed: number;
  errors: Record<string, number>;
}

/** `count` requests from a client Pod, each on a new connection through the Service. */
async function connections(isvc: InferenceService, count: number): Promise<ConnectionsResult> {
  const client = await startClient(f, [
    'connections',
    `${isvc.status?.url}/v2/models/${NAME}/infer`,
    '--json',
    TABULAR_REQUEST,
    '--count',
    String(count),
  ]);
  return lastLine<ConnectionsResult>(await client.finished());
}

it('splits 2,000 new connections within 5 points of a 25% canary on 3 + 1 replicas', {
  timeout: 300_000,
}, async () => {
  await createInferenceService(f, NAME, {
    model: { name: NAME, version: 1 },
    canary: { version: 2, percent: PERCENT },
    replicas: 4,
    server: SERVER,
  });
  const isvc = await readyInferenceService(f, NAME, 1);
  expect(isvc.status?.canary).toMatchObject({ modelVersion: `${NAME}-v2`, version: 2, percent: PERCENT });
  expect(isvc.status?.replicas).toBe(4);
  expect(isvc.status?.readyReplicas).toBe(4);
  expect((await readDeployment('primary')).spec?.replicas).toBe(3);
  expect((await readDeployment('canary')).spec?.replicas).toBe(1);
  expect(await servingPods(isvc)).toEqual({ [`${NAME}-v1`]: 3, [`${NAME}-v2`]: 1 });
  await routedToReadyEndpoints(4);

  const split = await connections(isvc, CONNECTIONS);
  expect(split.failed, `failed connections by error: ${JSON.stringify(split.errors)}`).toBe(0);
  expect((split.versions['1'] ?? 0) + (split.versions['2'] ?? 0)).toBe(CONNECTIONS);
  const canaryShare = (100 * (split.versions['2'] ?? 0)) / CONNECTIONS;
  expect(Math.abs(canaryShare - PERCENT), `canary share ${canaryShare}%`).toBeLessThanOrEqual(
    TOLERANCE_POINTS,
  );
});

it('prunes the canary when it is removed and gives the primary every replica', {
  timeout: 240_000,
}, async () => {
  await patchInferenceService(f, NAME, { canary: null });
  const isvc = await eventually(async () => {
    const current = await readyInferenceService(f, NAME, 1);
    if (current.status?.canary || current.status?.readyReplicas !== 4)
      throw new Error(`still a canary or not 4 ready: ${JSON.stringify(current.status)}`);
    return current;
  }, 180_000);
  expect(isvc.status?.replicas).toBe(4);
  await eventually(async () => {
    const gone = await readDeployment('canary').then(() => false, isNotFound);
    if (!gone) throw new Error(`${NAME}-canary still exists`);
  }, 60_000);
  expect((await readDeployment('primary')).spec?.replicas).toBe(4);
  await eventually(async () => expect(await servingPods(isvc)).toEqual({ [`${NAME}-v1`]: 4 }), 60_000);
  await routedToReadyEndpoints(4);
  const answers = await connections(isvc, 40);
  expect(answers).toEqual({ versions: { 1: 40 }, failed: 0, errors: {} });
});

it('scales the serving Pods with kubectl scale', { timeout: 240_000 }, async () => {
  const scaled = await kubectl(env, ['scale', '-n', f.ns.watched, `bisvc/${NAME}`, '--replicas=2']);
  expect(scaled.stderr).toBe('');
  expect(scaled.code).toBe(0);
  expect((await readInferenceService(f, NAME)).spec.replicas).toBe(2);
  const isvc = await eventually(async () => {
    const current = await readyInferenceService(f, NAME, 1);
    if (current.status?.replicas !== 2) throw new Error(`status.replicas is ${current.status?.replicas}`);
    return current;
  }, 180_000);
  expect(isvc.status?.readyReplicas).toBe(2);
  expect((await readDeployment('primary')).spec?.replicas).toBe(2);
  await eventually(async () => expect(await servingPods(isvc)).toEqual({ [`${NAME}-v1`]: 2 }), 120_000);

  // The scale subresource reads back what was set, with the Pods' selector.
  const scale = await kubectl(env, [
    'get',
    '-n',
    f.ns.watched,
    `bisvc/${NAME}`,
    '--subresource=scale',
    '-o',
    'json',
  ]);
  expect(scale.code).toBe(0);
  const body = JSON.parse(scale.stdout) as {
    spec: { replicas: number };
    status: { replicas: number; selector: string };
  };
  expect(body.spec.replicas).toBe(2);
  expect(body.status).toEqual({ replicas: 2, selector: isvc.status?.selector });
});
