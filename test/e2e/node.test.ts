// End to end on a real node: locally built images run as pods under Pod Security "restricted",
// Services route through kube-proxy, and pods reach the host-side MinIO.
import { AppsV1Api, BatchV1Api, CoreV1Api, type V1Container, type V1PodSpec } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { imageRef } from '../cluster/local-images.ts';
import { kubeConfig, minioClient, rejection, uniqueName } from '../integration/clients.ts';
import { restrictedNamespaceLabels, restrictedSecurityContext } from './pod-security.ts';

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const namespace = uniqueName('e2e');
const image = imageRef('e2e-echo');

const restrictedContainer = {
  imagePullPolicy: 'Never',
  securityContext: restrictedSecurityContext,
} satisfies Partial<V1Container>;

function jobSpec(args: string[], env: V1Container['env'] = []): V1PodSpec {
  return {
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    containers: [{ name: 'main', image, args, env, ...restrictedContainer }],
  };
}

async function waitForJob(name: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const job = await batch.readNamespacedJobStatus({ name, namespace });
      if (job.status?.failed) throw new Error(`job ${name} failed: ${await podLogs(name)}`);
      expect(job.status?.succeeded).toBe(1);
    },
    { timeout: 120_000, interval: 500 },
  );
}

async function podLogs(jobName: string): Promise<string> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${jobName}` });
  const pod = pods.items[0]?.metadata?.name;
  return pod ? core.readNamespacedPodLog({ name: pod, namespace }) : '(no pod)';
}

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`end-to-end tests need a node: ${noNode}`);
  await core.createNamespace({
    body: {
      metadata: {
        name: namespace,
        labels: restrictedNamespaceLabels,
      },
    },
  });
  await vi.waitFor(() => core.readNamespacedServiceAccount({ name: 'default', namespace }), {
    timeout: 30_000,
    interval: 200,
  });
});

afterAll(async () => {
  if (!inject('noNodeReason')) await core.deleteNamespace({ name: namespace });
});

describe('a node running locally built images', () => {
  it('rejects a pod that breaks Pod Security "restricted"', async () => {
    const { code, message } = await rejection(
      core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'privileged' },
          spec: { containers: [{ name: 'main', image, securityContext: { privileged: true } }] },
        },
      }),
    );
    expect(code).toBe(403);
    expect(message).toMatch(/violates PodSecurity "restricted:latest": privileged/);
  });

  // Pods start slowly while the rest of the suite loads the node: generous waits, bounded.
  it('serves a Deployment that another pod reaches through its Service ClusterIP', {
    timeout: 300_000,
  }, async () => {
    const labels = { app: 'echo' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'echo' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              containers: [
                {
                  name: 'main',
                  image,
                  args: ['serve'],
                  ports: [{ containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1 },
                  ...restrictedContainer,
                },
              ],
            },
          },
        },
      },
    });
    const service = await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'echo' },
        spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    await vi.waitFor(
      async () => {
        const deployment = await apps.readNamespacedDeploymentStatus({ name: 'echo', namespace });
        const available = deployment.status?.conditions?.find((c) => c.type === 'Available');
        expect(available?.status).toBe('True');
      },
      { timeout: 120_000, interval: 500 },
    );

    const clusterIp = service.spec?.clusterIP;
    expect(clusterIp).toMatch(/^10\.96\.0\.\d+$/);
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'client' },
        spec: {
          backoffLimit: 0,
          template: { spec: jobSpec(['get', `http://${clusterIp}/through-the-service`]) },
        },
      },
    });
    await waitForJob('client');
    // The answer is the last line; retries of a not-yet-routed connection may come before it.
    const lastLine = (await podLogs('client')).trim().split('\n').pop() ?? '';
    const answer = JSON.parse(lastLine) as { pod: string; path: string; uid: number };
    expect(answer.path).toBe('/through-the-service');
    expect(answer.pod).toMatch(/^echo-/);
    expect(answer.uid).toBe(65532);
  });

  it("runs a Job whose pod writes an object to the host's MinIO", { timeout: 180_000 }, async () => {
    const { minio } = inject('environment');
    const bucket = uniqueName('e2e');
    await minioClient().makeBucket(bucket);
    // Credentials reach the pod only through a Secret.
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'store' },
        stringData: { accessKey: minio.accessKey, secretKey: minio.secretKey },
      },
    });
    const fromSecret = (name: string, key: string) => ({
      name,
      valueFrom: { secretKeyRef: { name: 'store', key } },
    });
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'writer' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: jobSpec(
              ['put-object'],
              [
                { name: 'STORE_ENDPOINT', value: minio.endpoint },
                fromSecret('STORE_ACCESS_KEY', 'accessKey'),
                fromSecret('STORE_SECRET_KEY', 'secretKey'),
                { name: 'BUCKET', value: bucket },
                { name: 'OBJECT_KEY', value: 'from-a-pod/hello.txt' },
                { name: 'OBJECT_BODY', value: 'written by a Job' },
              ],
            ),
          },
        },
      },
    });
    await waitForJob('writer');
    const chunks: Buffer[] = [];
    for await (const chunk of await minioClient().getObject(bucket, 'from-a-pod/hello.txt'))
      chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('written by a Job');
  });
});
