// Proves the control plane is real: the API server stores custom resources, and the real
// controller-manager runs Jobs, Deployments, CronJobs and garbage collection.
import {
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1Job,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { kubeConfig, uniqueName } from '../clients.ts';

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const namespace = uniqueName('smoke');

const podSpec = {
  restartPolicy: 'Never',
  containers: [{ name: 'main', image: 'localhost/bosun-smoke:none', command: ['true'] }],
};

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  // Pods are admitted only once the namespace's default ServiceAccount exists.
  await vi.waitFor(() => core.readNamespacedServiceAccount({ name: 'default', namespace }), {
    timeout: 30_000,
    interval: 200,
  });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace });
});

describe('kube-apiserver', () => {
  it('round-trips a custom resource through a CRD', async () => {
    const group = `${uniqueName('smoke')}.example.com`;
    const extensions = kc.makeApiClient(ApiextensionsV1Api);
    const crdName = `widgets.${group}`;
    await extensions.createCustomResourceDefinition({
      body: {
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['size'],
                      properties: { size: { type: 'integer', minimum: 1 } },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    });
    try {
      await vi.waitFor(
        async () => {
          const crd = await extensions.readCustomResourceDefinition({ name: crdName });
          const established = crd.status?.conditions?.find((c) => c.type === 'Established');
          expect(established?.status).toBe('True');
        },
        { timeout: 30_000, interval: 200 },
      );
      const custom = kc.makeApiClient(CustomObjectsApi);
      const ref = { group, version: 'v1', namespace, plural: 'widgets' };
      // Discovery of a new group can lag the Established condition by a moment.
      await vi.waitFor(
        () =>
          custom.createNamespacedCustomObject({
            ...ref,
            body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } },
          }),
        { timeout: 30_000, interval: 200 },
      );
      const read = (await custom.getNamespacedCustomObject({ ...ref, name: 'w1' })) as {
        spec: { size: number };
      };
      expect(read.spec.size).toBe(3);
      await expect(
        custom.createNamespacedCustomObject({
          ...ref,
          body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 0 } },
        }),
      ).rejects.toThrow(
        /spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1/,
      );
    } finally {
      await extensions.deleteCustomResourceDefinition({ name: crdName });
    }
  });
});

describe('kube-controller-manager', () => {
  it('the Job controller creates a Pod for a Job', async () => {
    const name = 'job-creates-pod';
    await batch.createNamespacedJob({
      namespace,
      body: { metadata: { name }, spec: { backoffLimit: 0, template: { spec: podSpec } } },
    });
    await vi.waitFor(
      async () => {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
        expect(pods.items).toHaveLength(1);
        expect(pods.items[0]?.metadata?.ownerReferences?.[0]?.kind).toBe('Job');
      },
      { timeout: 30_000, interval: 250 },
    );
  });

  it('a Deployment creates a ReplicaSet', async () => {
    const labels = { app: 'deployment-smoke' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'deployment-smoke' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { ...podSpec, restartPolicy: 'Always' } },
        },
      },
    });
    await vi.waitFor(
      async () => {
        const sets = await apps.listNamespacedReplicaSet({
          namespace,
          labelSelector: 'app=deployment-smoke',
        });
        expect(sets.items).toHaveLength(1);
        expect(sets.items[0]?.metadata?.ownerReferences?.[0]?.name).toBe('deployment-smoke');
      },
      { timeout: 30_000, interval: 250 },
    );
  });

  it('a CronJob with a one-minute schedule creates a Job', async () => {
    await batch.createNamespacedCronJob({
      namespace,
      body: {
        metadata: { name: 'every-minute' },
        spec: {
          schedule: '* * * * *',
          concurrencyPolicy: 'Forbid',
          jobTemplate: { spec: { backoffLimit: 0, template: { spec: podSpec } } },
        },
      },
    });
    // The next minute boundary is at most 60 s away.
    await vi.waitFor(
      async () => {
        const jobs = await batch.listNamespacedJob({ namespace });
        const fromCron = jobs.items.filter(
          (j: V1Job) => j.metadata?.ownerReferences?.[0]?.name === 'every-minute',
        );
        expect(fromCron.length).toBeGreaterThanOrEqual(1);
      },
      { timeout: 90_000, interval: 1000 },
    );
  });

  it('garbage-collects a child when its owner is deleted', async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'gc-owner' } },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'gc-child',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'gc-owner', uid: owner.metadata?.uid ?? '' },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'gc-owner', namespace });
    await vi.waitFor(
      async () => {
        const maps = await core.listNamespacedConfigMap({ namespace });
        expect(maps.items.map((m) => m.metadata?.name)).not.toContain('gc-child');
      },
      { timeout: 30_000, interval: 250 },
    );
  });
});
