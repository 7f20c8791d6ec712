// Store tenancy on the real control plane, node and MinIO: namespace A's ModelVersions may read
// and delete only A's own prefixes of the operator's bucket. Namespace B's models, blobs and
// manifests lie in the same bucket; A naming them, or escaping its prefix, verifies nothing and
// deletes nothing, and the verification Job that does run holds no store credentials.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';
import {
  adminClient,
  cleanup,
  condition,
  createModelVersion,
  eventually,
  installCrds,
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
/** Namespace B: a real namespace whose data lies in the same bucket. */
let other: string;

const mvPath = (name: string) => modelVersionPath(ns.watched, name);
const read = (name: string) => client.request<ModelVersion>('GET', mvPath(name));
const settled = (name: string, timeoutMs?: number) =>
  settledModelVersion(client, ns.watched, name, timeoutMs);
const exists = (key: string) =>
  minio(env)
    .statObject(ns.bucket, key)
    .then(
      () => true,
      (e: { code?: string }) => (e.code === 'NotFound' ? false : Promise.reject(e)),
    );

async function verificationJobs(): Promise<V1Job[]> {
  return (
    await client.request<{ items: V1Job[] }>('GET', `/apis/batch/v1/namespaces/${ns.operator}/jobs`, {
      query: { labelSelector: 'app.kubernetes.io/component=artifact-verification' },
    })
  ).items;
}

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the tenancy tests need a node for the verification Jobs: ${noNode}`);
  client = adminClient(env);
  await installCrds(env);
  ns = await prepareOperator(env, 'tenant');
  other = `${ns.watched}-b`;
  await client.request('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } },
  });
  operator = await startOperator(env, ns);
  await eventually(async () => expect(await operator.probe('/readyz')).toBe(200), 60_000);
});

afterAll(async () => {
  operator?.kill('SIGTERM');
  await operator?.exited;
  if (ns) await cleanup(env, ns);
  if (other) await client.request('DELETE', `/api/v1/namespaces/${other}`).catch(() => undefined);
});

describe('store tenancy', () => {
  it("refuses a ModelVersion naming namespace B's model, blob or manifest: no Job, nothing deleted", async () => {
    const model = onnxModel(21);
    const digest = sha256(model);
    const keys = {
      model: `models/${other}/fraud/1/model.onnx`,
      blob: `objects/${other}/sha256/${digest.slice(0, 2)}/${digest}`,
      manifest: `datasets/${other}/pets/snapshots/20260101-000000/full.jsonl.gz`,
    };
    for (const key of Object.values(keys)) await upload(env, ns.bucket, key, model);
    const jobsBefore = (await verificationJobs()).length;
    for (const [i, key] of Object.values(keys).entries())
      await createModelVersion(
        client,
        modelVersionBody(
          ns.watched,
          'steal',
          i + 1,
          { uri: `s3://${ns.bucket}/${key}`, sha256: digest },
          { deletionPolicy: 'Delete' },
        ),
      );
    for (const i of [1, 2, 3]) {
      const mv = await settled(`steal-v${i}`);
      const ready = condition(mv, 'Ready');
      expect(ready).toMatchObject({ status: 'False', reason: 'ArtifactOutsideNamespace' });
      expect(ready?.message).toContain(`models/${ns.watched}/`);
      // Nothing about B's objects: not their namespace, not their digest, not whether they exist.
      expect(ready?.message).not.toContain(other);
      expect(ready?.message).not.toContain(digest);
      expect(mv.status?.signature).toBeUndefined();
    }
    expect(await verificationJobs()).toHaveLength(jobsBefore);
    for (const i of [1, 2, 3]) await client.request('DELETE', mvPath(`steal-v${i}`));
    for (const i of [1, 2, 3])
      await eventually(async () => {
        const gone = await read(`steal-v${i}`).then(
          () => false,
          (e: { code?: number }) => e.code === 404,
        );
        expect(gone).toBe(true);
      }, 30_000);
    for (const key of Object.values(keys)) expect(await exists(key)).toBe(true);
  });

  it('refuses a traversal: ".." at the API server, an encoded one in the controller', async () => {
    const plain = await client
      .request('POST', `/apis/bosun.dev/v1alpha1/namespaces/${ns.watched}/modelversions`, {
        body: modelVersionBody(ns.watched, 'dots', 1, {
          uri: `s3://${ns.bucket}/models/${ns.watched}/../${other}/fraud/1/model.onnx`,
          sha256: 'a'.repeat(64),
        }),
      })
      .then(
        () => undefined,
        (e: { code?: number; message?: string }) => e,
      );
    expect(plain?.code).toBe(422);
    expect(plain?.message).toContain('must not contain "." or ".." path segments');

    await createModelVersion(
      client,
      modelVersionBody(ns.watched, 'encoded', 1, {
        uri: `s3://${ns.bucket}/models/${ns.watched}/%2e%2e/${other}/fraud/1/model.onnx`,
        sha256: 'a'.repeat(64),
      }),
    );
    const mv = await settled('encoded-v1');
    expect(condition(mv, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidArtifactUri' });
  });

  it("verifies A's own model with a Job that holds no store credentials, and Delete removes only A's artifact", async () => {
    const model = onnxModel(22);
    const digest = sha256(model);
    const mine = `models/${ns.watched}/fraud/7/model.onnx`;
    const theirs = `models/${other}/fraud/7/model.onnx`;
    const uri = await upload(env, ns.bucket, mine, model);
    await upload(env, ns.bucket, theirs, model);
    await createModelVersion(
      client,
      modelVersionBody(ns.watched, 'fraud', 7, { uri, sha256: digest }, { deletionPolicy: 'Delete' }),
    );
    const mv = await settled('fraud-v7');
    expect(condition(mv, 'Ready')).toMatchObject({ status: 'True', reason: 'Verified' });

    // The verification Pod, read back from the API server: no Secret anywhere in it.
    const job = (await verificationJobs()).find(
      (j) => j.metadata?.annotations?.['bosun.dev/artifact-uri'] === uri,
    );
    expect(job).toBeDefined();
    const pods = await client.request<{ items: V1Pod[] }>('GET', `/api/v1/namespaces/${ns.operator}/pods`, {
      query: { labelSelector: `batch.kubernetes.io/job-name=${job?.metadata?.name}` },
    });
    expect(pods.items.length).toBeGreaterThan(0);
    for (const pod of pods.items) {
      const spec = pod.spec;
      expect(spec?.automountServiceAccountToken).toBe(false);
      expect(spec?.volumes?.every((v) => v.emptyDir !== undefined)).toBe(true);
      for (const container of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
        expect(container.envFrom).toBeUndefined();
        expect(container.env?.some((e) => e.valueFrom !== undefined)).toBe(false);
        const names = (container.env ?? []).map((e) => e.name);
        expect(names.filter((n) => /ACCESS_KEY|SECRET|TOKEN|PASSWORD/.test(n))).toEqual([]);
        // The links it gets are signed for exactly the two keys it reads.
        const links = (container.env ?? [])
          .filter((e) => e.name.endsWith('_URL'))
          .map((e) => new URL(e.value ?? ''));
        expect(links.map((l) => l.pathname)).toEqual([
          `/${ns.bucket}/${mine}`,
          `/${ns.bucket}/models/${ns.watched}/fraud/7/metrics.json`,
        ]);
      }
    }

    await client.request('DELETE', mvPath('fraud-v7'));
    await eventually(async () => expect(await exists(mine)).toBe(false), 30_000);
    expect(await exists(theirs)).toBe(true);
  });

  it("reads an artifact in another bucket only with a Secret of the namespace, signed with that Secret's credentials", async () => {
    const bucket = `${ns.bucket}-ext`.slice(0, 63);
    await minio(env).makeBucket(bucket);
    const model = onnxModel(23);
    const uri = await upload(env, bucket, 'exports/fraud.onnx', model);
    await createModelVersion(client, modelVersionBody(ns.watched, 'ext', 1, { uri, sha256: sha256(model) }));
    expect(condition(await settled('ext-v1'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ArtifactOutsideNamespace',
    });

    const withSecret = modelVersionBody(ns.watched, 'ext', 2, { uri, sha256: sha256(model) });
    (withSecret.spec.artifact as Record<string, unknown>).credentialsSecret = { name: 'partner-store' };
    await createModelVersion(client, withSecret);
    expect(condition(await settled('ext-v2'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'CredentialsSecretInvalid',
    });
    await client.request('POST', `/api/v1/namespaces/${ns.watched}/secrets`, {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'partner-store' },
        stringData: { accessKeyId: env.minio.accessKey, secretAccessKey: env.minio.secretKey },
      },
    });
    const withSecret3 = modelVersionBody(ns.watched, 'ext', 3, { uri, sha256: sha256(model) });
    (withSecret3.spec.artifact as Record<string, unknown>).credentialsSecret = { name: 'partner-store' };
    await createModelVersion(client, withSecret3);
    expect(condition(await settled('ext-v3'), 'Ready')).toMatchObject({ status: 'True', reason: 'Verified' });
  });
});
