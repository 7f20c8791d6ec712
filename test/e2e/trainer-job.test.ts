// The built-in trainer image as a real Job on the node, exactly as a TrainingRun will run it:
// restricted pod, read-only root filesystem with an emptyDir for scratch space, store credentials
// from a Secret, everything else from BOSUN_* variables (docs/workload-contract.md).
import { BatchV1Api, CoreV1Api, type V1EnvVar } from '@kubernetes/client-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { imageRef } from '../cluster/local-images.ts';
import { type BucketFixture, freshBucket, kubeConfig, uniqueName } from '../integration/clients.ts';
import { publishDataset } from '../integration/trainer/helpers.ts';
import { syntheticRows, toCsv } from '../unit/trainer/synthetic.ts';
import { stripeImages } from '../unit/trainer/synthetic-images.ts';
import { restrictedNamespaceLabels, restrictedSecurityContext } from './pod-security.ts';

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const namespace = uniqueName('e2e-trainer');
let store: BucketFixture;

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`end-to-end tests need a node: ${noNode}`);
  await core.createNamespace({
    body: { metadata: { name: namespace, labels: restrictedNamespaceLabels } },
  });
  store = await freshBucket('trainer');
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'store' },
      stringData: {
        accessKey: store.env.BOSUN_STORE_ACCESS_KEY ?? '',
        secretKey: store.env.BOSUN_STORE_SECRET_KEY ?? '',
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

async function runTrainingJob(name: string, env: V1EnvVar[]): Promise<'Complete' | 'Failed'> {
  const secret = (key: string) => ({ secretKeyRef: { name: 'store', key } });
  await batch.createNamespacedJob({
    namespace,
    body: {
      metadata: { name },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            volumes: [{ name: 'work', emptyDir: {} }],
            containers: [
              {
                name: 'trainer',
                image: imageRef('trainer'),
                imagePullPolicy: 'Never',
                env: [
                  // As the operator sets it: the Job's own namespace, from the downward API.
                  { name: 'BOSUN_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'BOSUN_STORE_ENDPOINT', value: store.env.BOSUN_STORE_ENDPOINT },
                  { name: 'BOSUN_STORE_BUCKET', value: store.bucket },
                  { name: 'BOSUN_STORE_ACCESS_KEY', valueFrom: secret('accessKey') },
                  { name: 'BOSUN_STORE_SECRET_KEY', valueFrom: secret('secretKey') },
                  ...env,
                ],
                volumeMounts: [{ name: 'work', mountPath: '/tmp' }],
                securityContext: restrictedSecurityContext,
              },
            ],
          },
        },
      },
    },
  });
  return vi.waitFor(
    async () => {
      const job = await batch.readNamespacedJobStatus({ name, namespace });
      const done = job.status?.conditions?.find(
        (c) => ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
      );
      if (!done) throw new Error(`job ${name} still running`);
      return done.type as 'Complete' | 'Failed';
    },
    { timeout: 120_000, interval: 1000 },
  );
}

async function terminationMessage(job: string): Promise<string> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
  return pods.items[0]?.status?.containerStatuses?.[0]?.state?.terminated?.message ?? '';
}

describe('the trainer image as a Job on the node', () => {
  it('trains a tabular classifier and uploads model, metrics, signature and plots', {
    timeout: 240_000,
  }, async () => {
    const rows = syntheticRows(1500, 11, 3);
    const manifest = await publishDataset(
      store,
      'table',
      [{ path: 'rows.csv', data: toCsv(rows, ['x1', 'x2', 'city', 'cls', 'score']) }],
      namespace,
    );
    const outcome = await runTrainingJob('train-logistic', [
      { name: 'BOSUN_TASK', value: 'tabular-classification' },
      { name: 'BOSUN_ALGORITHM', value: 'logistic' },
      { name: 'BOSUN_INPUT_MANIFEST', value: manifest.uri },
      { name: 'BOSUN_INPUT_MANIFEST_SHA256', value: manifest.sha256 },
      { name: 'BOSUN_OUTPUT_PREFIX', value: `s3://${store.bucket}/runs/${namespace}/train-logistic/` },
      {
        name: 'BOSUN_HYPERPARAMETERS',
        value: JSON.stringify({ target: 'cls', columns: { score: 'ignore' } }),
      },
    ]);
    expect(outcome, await terminationMessage('train-logistic')).toBe('Complete');
    const prefix = `runs/${namespace}/train-logistic/`;
    expect((await store.store.list(prefix)).sort()).toEqual(
      [
        'metrics.json',
        'model.onnx',
        'plots/confusion-matrix.png',
        'plots/training-curve.png',
        'signature.json',
      ].map((f) => prefix + f),
    );
    const metrics = JSON.parse((await store.store.getObject(`${prefix}metrics.json`)).toString());
    expect(metrics.accuracy).toBeGreaterThan(0.9);
  });

  it('trains the CNN on JPEG and PNG items with the image’s own decoders (libjpeg-turbo, sharp)', {
    timeout: 240_000,
  }, async () => {
    const jpegs = await stripeImages(40);
    // Every fourth item as a PNG, so both decoding paths run inside the image.
    const items = await Promise.all(
      jpegs.map(async (item, i) =>
        i % 4 === 0
          ? {
              ...item,
              path: item.path.replace(/\.jpg$/, '.png'),
              data: await sharp(item.data).png().toBuffer(),
            }
          : item,
      ),
    );
    const manifest = await publishDataset(store, 'photos', items, namespace);
    const outcome = await runTrainingJob('train-cnn', [
      { name: 'BOSUN_TASK', value: 'image-classification' },
      { name: 'BOSUN_ALGORITHM', value: 'cnn' },
      { name: 'BOSUN_INPUT_MANIFEST', value: manifest.uri },
      { name: 'BOSUN_OUTPUT_PREFIX', value: `s3://${store.bucket}/runs/${namespace}/train-cnn/` },
      { name: 'BOSUN_HYPERPARAMETERS', value: JSON.stringify({ imageSize: 16, epochs: 3 }) },
    ]);
    expect(outcome, await terminationMessage('train-cnn')).toBe('Complete');
    const signature = JSON.parse(
      (await store.store.getObject(`runs/${namespace}/train-cnn/signature.json`)).toString(),
    );
    expect(signature.labels).toEqual(['diagonal', 'horizontal', 'vertical']);
  });

  it('fails a one-class dataset with a reason in the termination message and uploads nothing', {
    timeout: 240_000,
  }, async () => {
    const rows = syntheticRows(200, 3, 3).map((r) => ({ ...r, cls: 'only' }));
    const manifest = await publishDataset(
      store,
      'one-class',
      [{ path: 'rows.csv', data: toCsv(rows, ['x1', 'x2', 'city', 'cls', 'score']) }],
      namespace,
    );
    const outcome = await runTrainingJob('train-one-class', [
      { name: 'BOSUN_TASK', value: 'tabular-classification' },
      { name: 'BOSUN_ALGORITHM', value: 'logistic' },
      { name: 'BOSUN_INPUT_MANIFEST', value: manifest.uri },
      { name: 'BOSUN_OUTPUT_PREFIX', value: `s3://${store.bucket}/runs/${namespace}/train-one-class/` },
      { name: 'BOSUN_HYPERPARAMETERS', value: JSON.stringify({ target: 'cls' }) },
    ]);
    expect(outcome).toBe('Failed');
    expect(await terminationMessage('train-one-class')).toMatch(/^DatasetInvalid: .*class/);
    expect(await store.store.list(`runs/${namespace}/train-one-class/`)).toEqual([]);
  });
});
