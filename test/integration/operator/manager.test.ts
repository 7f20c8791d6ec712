// The manager runs whatever controllers it is given from their declarations alone, on the real API
// server: informers for the kind a controller is for, owns and watches; a changed child or watched
// object enqueues the keys its mapper names; a status-only update is skipped; every reconcile gets
// a fenced client. The declared controller here is a test's own, over ConfigMaps and Secrets.
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../../operator/config.ts';
import { ownerKeys } from '../../../operator/controllers/shared/owner-references.ts';
import { OperatorManager } from '../../../operator/manager.ts';
import { type ReconcileContext, waitForChange } from '../../../operator/runtime/controller.ts';
import type { ControllerSetup, KindRef } from '../../../operator/runtime/controller-setup.ts';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';
import { adminClient, eventually } from './harness.ts';

const env = inject('environment');
const CONFIG_MAPS: KindRef = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', scope: 'watched' };
const SECRETS: KindRef = {
  apiVersion: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  scope: 'watched',
  labelSelector: 'test/owned=true',
};
const WATCHED: KindRef = { ...SECRETS, labelSelector: 'test/points-at' };

let client: KubeClient;
let manager: OperatorManager;
const namespace = `manager-${Date.now().toString(36)}`;
const reconciled: string[] = [];
let context: ReconcileContext | undefined;

const setup: ControllerSetup = {
  name: 'testcm',
  for: CONFIG_MAPS,
  owns: [{ kind: SECRETS, map: ownerKeys('v1', 'ConfigMap') }],
  watches: [
    { kind: WATCHED, map: (s) => [`${s.metadata?.namespace}/${s.metadata?.labels?.['test/points-at']}`] },
  ],
  build: () => async (key, ctx) => {
    if (key.startsWith(`${namespace}/`)) reconciled.push(key);
    context = ctx;
    return waitForChange();
  },
};

const cmPath = (name: string) => `/api/v1/namespaces/${namespace}/configmaps/${name}`;
const count = (key: string) => reconciled.filter((k) => k === key).length;

beforeAll(async () => {
  client = adminClient(env);
  await client.request('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
  });
  const config = loadConfig(
    [
      `--kubeconfig=${env.controlPlane.kubeconfig}`,
      `--watch-namespace=${namespace}`,
      `--operator-namespace=${namespace}`,
      '--store-endpoint=http://127.0.0.1:1',
      '--image=unused',
      '--metrics-bind-address=0',
      '--health-probe-bind-address=0',
      '--leader-elect=false',
    ],
    { BOSUN_STORE_ACCESS_KEY: 'unused', BOSUN_STORE_SECRET_KEY: 'unused' },
  );
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.controlPlane.kubeconfig);
  manager = new OperatorManager(config, kubeConfig, pino({ level: 'silent' }), [setup]);
  await manager.start();
});

afterAll(async () => {
  await manager?.shutdown();
  await client?.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => undefined);
});

describe('the manager', () => {
  it('reconciles the kind a controller is for, and only its own spec or metadata changes', async () => {
    const created = await client.request<{ metadata: { uid: string } }>(
      'POST',
      `/api/v1/namespaces/${namespace}/configmaps`,
      {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } },
      },
    );
    expect(created.metadata.uid).toBeTruthy();
    await eventually(() => expect(count(`${namespace}/a`)).toBeGreaterThanOrEqual(1), 10_000);
    const before = count(`${namespace}/a`);
    await client.request('PATCH', cmPath('a'), {
      body: { metadata: { labels: { touched: 'yes' } } },
      contentType: 'application/merge-patch+json',
    });
    await eventually(() => expect(count(`${namespace}/a`)).toBe(before + 1), 10_000);
  });

  it("maps an owned child to its owner, and a watched object through the controller's mapper", async () => {
    const owner = await client.request<{ metadata: { uid: string } }>('GET', cmPath('a'));
    const before = count(`${namespace}/a`);
    await client.request('POST', `/api/v1/namespaces/${namespace}/secrets`, {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'child',
          labels: { 'test/owned': 'true' },
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'a', uid: owner.metadata.uid, controller: true },
          ],
        },
        stringData: { x: '1' },
      },
    });
    await eventually(() => expect(count(`${namespace}/a`)).toBeGreaterThan(before), 10_000);
    await client.request('POST', `/api/v1/namespaces/${namespace}/secrets`, {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'pointer', labels: { 'test/points-at': 'b' } },
      },
    });
    await eventually(() => expect(count(`${namespace}/b`)).toBeGreaterThanOrEqual(1), 10_000);
  });

  it('hands every reconcile a fenced client that reaches the API server', async () => {
    expect(context?.signal.aborted).toBe(false);
    const cm = await context?.client.request<{ data: { k: string } }>('GET', cmPath('a'));
    expect(cm?.data.k).toBe('v');
  });
});
