// The chart's whole life on the real test cluster and node, with the pinned helm: a wrong value
// refused at install; install (operator image built from this tree) → operator Ready and one
// replica leader → a sample ModelVersion Ready; an upgrade to a new chart version with changed
// values while ModelVersions keep arriving → the operator rolled and every one of them Ready;
// `helm test` failing for a broken store Secret and passing for the right one; uninstall → what is
// left counted. The operator watches a namespace of its own, so it reconciles no other test's
// objects; the release adopts the CRDs every test file installs (the chart's are the same), and
// uninstall keeps them.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { crdFileName, crdName } from '../../../operator/api/crd.ts';
import { API_VERSION } from '../../../operator/api/group.ts';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import { resourceDefinitions } from '../../../operator/api/resources.ts';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';
import { imageRef } from '../../cluster/local-images.ts';
import { repoRoot } from '../../cluster/paths.ts';
import { restrictedNamespaceLabels } from '../../e2e/pod-security.ts';
import {
  adminClient,
  cleanup,
  condition,
  eventually,
  installCrds,
  kubectl,
  minio,
  modelVersionPath,
  onnxModel,
  settledModelVersion,
  sha256,
  sleep,
  upload,
} from '../operator/harness.ts';
import { CHART_DIR, helm, helmOk, type KubeObject, parseObjects } from './helm.ts';

const env = inject('environment');
const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const release = `bosun-${suffix}`;
const operatorName = `${release}-operator`;
const releaseNs = `helm-op-${suffix}`;
const watched = `helm-${suffix}`;
const bucket = `helm-${suffix}`;
const kubeconfig = env.controlPlane.kubeconfig;
let client: KubeClient;

// The images the node has: localhost/bosun/<name>:local, as image.registry and image.tag.
const [registry] = imageRef('operator').split('/');
const tag = imageRef('operator').split(':').at(-1);
const values = [
  `watchNamespace=${watched}`,
  `image.registry=${registry}`,
  `image.tag=${tag}`,
  'image.pullPolicy=Never',
  `store.endpoint=${env.minio.endpoint}`,
  `store.bucket=${bucket}`,
  'store.existingSecret=bosun-store',
];
const setArgs = (list: string[]) => list.flatMap((v) => ['--set', v]);

interface PodList {
  items: {
    metadata: { name: string; labels: Record<string, string> };
    spec: { containers: { args?: string[] }[] };
    status: { conditions?: { type: string; status: string }[] };
  }[];
}

const operatorPods = async () =>
  (
    await client.request<PodList>('GET', `/api/v1/namespaces/${releaseNs}/pods`, {
      query: { labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/component=operator` },
    })
  ).items;
const leaseHolder = async () =>
  (
    await client.request<{ spec: { holderIdentity?: string } }>(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${releaseNs}/leases/${operatorName}`,
    )
  ).spec.holderIdentity;
const storeSecret = (secretAccessKey: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'bosun-store' },
  stringData: { accessKeyId: env.minio.accessKey, secretAccessKey },
});

async function createModelVersion(body: Record<string, unknown>): Promise<void> {
  await client.request('POST', `/apis/${API_VERSION}/namespaces/${watched}/modelversions`, { body });
}

async function readyModelVersion(name: string): Promise<ModelVersion> {
  const mv = await settledModelVersion(client, watched, name, 150_000);
  expect(condition(mv, 'Ready'), name).toMatchObject({ status: 'True' });
  return mv;
}

/** A ModelVersion of one shared artifact: verified by one Job, then known to every replica. */
let artifact: { uri: string; sha256: string };
const rolloutVersion = (version: number) => ({
  apiVersion: API_VERSION,
  kind: 'ModelVersion',
  metadata: { name: `rollout-v${version}`, namespace: watched },
  spec: { model: 'rollout', version, artifact: { ...artifact, format: 'onnx' }, stage: 'none' },
});

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the Helm install tests need a node for the operator's Pods: ${noNode}`);
  client = adminClient(env);
  await installCrds(env);
  for (const name of [releaseNs, watched])
    await client.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: restrictedNamespaceLabels } },
    });
  await minio(env).makeBucket(bucket);
  await client.request('POST', `/api/v1/namespaces/${releaseNs}/secrets`, {
    body: storeSecret(env.minio.secretKey),
  });
  const model = onnxModel(11);
  artifact = {
    uri: await upload(env, bucket, `imports/${watched}/models/rollout/model.onnx`, model),
    sha256: sha256(model),
  };
});

afterAll(async () => {
  if (!client) return;
  await helm(['uninstall', release, '-n', releaseNs, '--wait'], { kubeconfig });
  await cleanup(env, { operator: releaseNs, watched, bucket, kubeconfig: '' });
});

describe('helm install', () => {
  it('refuses a wrong value with the schema message and creates nothing', async () => {
    const result = await helm(
      ['install', release, CHART_DIR, '-n', releaseNs, ...setArgs([...values, 'replicas=-1'])],
      { kubeconfig },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain("at '/replicas': minimum: got -1, want 0");
    expect((await helm(['status', release, '-n', releaseNs], { kubeconfig })).stderr).toContain(
      'release: not found',
    );
    const deployments = await client.request<{ items: unknown[] }>(
      'GET',
      `/apis/apps/v1/namespaces/${releaseNs}/deployments`,
    );
    expect(deployments.items).toEqual([]);
  });

  it('installs: both replicas Ready under Pod Security restricted, one of them the leader', async () => {
    // The CRDs exist already (every test file applies them): the release adopts them, as a user
    // who applied them with kubectl does before moving to the chart (docs/install.md).
    for (const definition of resourceDefinitions) {
      const crd = `crd/${crdName(definition)}`;
      for (const [verb, pair] of [
        ['label', 'app.kubernetes.io/managed-by=Helm'],
        ['annotate', `meta.helm.sh/release-name=${release}`],
        ['annotate', `meta.helm.sh/release-namespace=${releaseNs}`],
      ] as const) {
        const r = await kubectl(env, [verb, '--overwrite', crd, pair]);
        expect(r.stderr).toBe('');
      }
    }
    const out = await helmOk(
      ['install', release, CHART_DIR, '-n', releaseNs, '--wait', '--timeout', '4m', ...setArgs(values)],
      { kubeconfig, timeoutMs: 280_000 },
    );
    expect(out).toContain('STATUS: deployed');
    expect(out).toContain(`It watches namespace ${watched} only.`);
    const pods = await operatorPods();
    expect(pods).toHaveLength(2);
    for (const pod of pods)
      expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status, pod.metadata.name).toBe('True');
    const holder = await eventually(async () => {
      const h = await leaseHolder();
      expect(pods.map((p) => p.metadata.name)).toContain(h);
      return h;
    }, 30_000);
    console.log(`installed ${release}: leader ${holder}`);
    // The release's CRDs are the ones the tests install, kept on uninstall.
    const manifest = parseObjects(
      await helmOk(['get', 'manifest', release, '-n', releaseNs], { kubeconfig }),
    );
    const crds = manifest.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(resourceDefinitions.map(crdName).sort());
    for (const definition of resourceDefinitions) {
      const installed = parse(
        readFileSync(join(repoRoot, 'crds', crdFileName(definition)), 'utf8'),
      ) as KubeObject;
      const released = crds.find((c) => c.metadata.name === crdName(definition)) as KubeObject;
      expect(released.spec).toEqual(installed.spec);
      expect(released.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    }
  }, 300_000);

  it('reconciles: the sample ModelVersion becomes Ready', async () => {
    const sample = parse(
      readFileSync(join(repoRoot, 'config/samples/modelversion-iris-v1.yaml'), 'utf8'),
    ) as {
      metadata: Record<string, unknown>;
      spec: { artifact: { uri: string; sha256: string } };
    };
    const model = onnxModel(12);
    sample.metadata.namespace = watched;
    sample.spec.artifact.uri = await upload(
      env,
      bucket,
      `imports/${watched}/models/iris/1/model.onnx`,
      model,
    );
    sample.spec.artifact.sha256 = sha256(model);
    await createModelVersion(sample);
    const mv = await readyModelVersion('iris-v1');
    expect(mv.status?.signature?.inputs?.[0]?.name).toBe('features');
    expect(mv.status?.history?.map((h) => h.stage)).toEqual(['production']);
  }, 180_000);
});

describe('helm upgrade', () => {
  it('to a new chart version with changed values rolls the operator and loses no reconcile', async () => {
    const before = new Set((await operatorPods()).map((p) => p.metadata.name));
    const chart = join(mkdtempSync(join(tmpdir(), 'bosun-chart-')), 'bosun');
    cpSync(CHART_DIR, chart, { recursive: true });
    const chartYaml = join(chart, 'Chart.yaml');
    writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace(/^version: .*$/m, 'version: 0.1.1'));
    let upgraded = false;
    const upgrade = helmOk(
      [
        'upgrade',
        release,
        chart,
        '-n',
        releaseNs,
        '--wait',
        '--timeout',
        '4m',
        ...setArgs([...values, 'logLevel=debug', 'concurrency=4']),
      ],
      { kubeconfig, timeoutMs: 280_000 },
    ).finally(() => {
      upgraded = true;
    });
    // ModelVersions keep arriving until the upgrade is done and a new Pod leads: some meet the
    // old leader, some the hand-over, some the new leader.
    const holders: (string | undefined)[] = [];
    let version = 0;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const holder = await leaseHolder();
      const newLeader = holder !== undefined && holder !== '' && !before.has(holder);
      if ((upgraded && newLeader) || Date.now() > deadline) break;
      await createModelVersion(rolloutVersion(++version));
      holders.push(holder);
      await sleep(1500);
    }
    const out = await upgrade;
    expect(out).toContain('STATUS: deployed');
    expect(out).toContain('REVISION: 2');
    const [listed] = JSON.parse(
      await helmOk(['list', '-n', releaseNs, '--filter', release, '-o', 'json'], { kubeconfig }),
    ) as { chart: string; revision: string }[];
    expect(listed).toMatchObject({ chart: 'bosun-0.1.1', revision: '2' });
    // Rolled: new Pods with the new flags, one of them the leader.
    const after = await eventually(async () => {
      const pods = await operatorPods();
      expect(pods.map((p) => p.metadata.name).filter((n) => before.has(n))).toEqual([]);
      expect(pods).toHaveLength(2);
      return pods;
    }, 60_000);
    for (const pod of after) expect(pod.spec.containers[0]?.args).toContain('--log-level=debug');
    expect(after.map((p) => p.metadata.name)).toContain(await leaseHolder());
    // Every ModelVersion created on the way was reconciled.
    expect(version).toBeGreaterThanOrEqual(3);
    expect(holders.some((h) => h !== undefined && before.has(h))).toBe(true);
    for (let v = 1; v <= version; v++) await readyModelVersion(`rollout-v${v}`);
    console.log(
      `upgrade: ${version} ModelVersions created while the operator rolled (${holders.filter((h) => h && before.has(h)).length} under the old leader), all Ready`,
    );
  }, 420_000);
});

describe('helm test', () => {
  it('fails naming the store and the Secret when the credentials are wrong', async () => {
    await client.request('PUT', `/api/v1/namespaces/${releaseNs}/secrets/bosun-store`, {
      body: storeSecret('not-the-secret-key'),
    });
    try {
      const result = await helm(['test', release, '-n', releaseNs, '--timeout', '2m'], { kubeconfig });
      expect(result.code).not.toBe(0);
      expect(result.stdout).toContain('Phase:          Failed');
      const log = await client.request<string>(
        'GET',
        `/api/v1/namespaces/${releaseNs}/pods/${release}-install-check/log`,
      );
      expect(log).toMatch(/^ok operator: http:\/\/[\d.]+:8081\/readyz answered 200$/m);
      expect(log).toContain(
        `FAIL store: cannot list bucket ${bucket} at ${env.minio.endpoint} with the credentials of Secret bosun-store: SignatureDoesNotMatch`,
      );
      expect(log).not.toContain('not-the-secret-key');
    } finally {
      await client.request('PUT', `/api/v1/namespaces/${releaseNs}/secrets/bosun-store`, {
        body: storeSecret(env.minio.secretKey),
      });
    }
  }, 180_000);

  it('passes: the operator answers /readyz and the store is reachable; the test Pod is gone', async () => {
    const result = await helm(['test', release, '-n', releaseNs, '--timeout', '2m'], { kubeconfig });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`TEST SUITE:     ${release}-install-check`);
    expect(result.stdout).toContain('Phase:          Succeeded');
    const pod = await client
      .request('GET', `/api/v1/namespaces/${releaseNs}/pods/${release}-install-check`)
      .then(
        () => 'exists',
        (error: { code?: number }) => error.code,
      );
    expect(pod).toBe(404);
  }, 180_000);
});

describe('helm uninstall', () => {
  it('leaves the CRDs and the custom resources, and of the operator only its Lease and finished Jobs', async () => {
    const out = await helmOk(['uninstall', release, '-n', releaseNs, '--wait', '--timeout', '2m'], {
      kubeconfig,
    });
    expect(out).toContain(`release "${release}" uninstalled`);
    expect(out).toContain('These resources were kept due to the resource policy:');
    await eventually(async () => expect(await operatorPods()).toEqual([]), 60_000);
    type List = { items: KubeObject[] };
    const list = async (path: string) => (await client.request<List>('GET', path)).items;
    const names = (items: KubeObject[]) => items.map((o) => o.metadata.name).sort();
    const core = (kind: string) => list(`/api/v1/namespaces/${releaseNs}/${kind}`);

    // Nothing of the chart anywhere.
    const selector = { query: { labelSelector: `app.kubernetes.io/instance=${release}` } };
    for (const path of [
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    ])
      expect((await client.request<List>('GET', path, selector)).items, path).toEqual([]);
    expect(await list(`/apis/rbac.authorization.k8s.io/v1/namespaces/${watched}/rolebindings`)).toEqual([]);
    const leftInRelease: Record<string, string[]> = {};
    for (const [kind, path] of [
      ['Deployment', `/apis/apps/v1/namespaces/${releaseNs}/deployments`],
      ['ReplicaSet', `/apis/apps/v1/namespaces/${releaseNs}/replicasets`],
      ['Service', `/api/v1/namespaces/${releaseNs}/services`],
      ['Role', `/apis/rbac.authorization.k8s.io/v1/namespaces/${releaseNs}/roles`],
      ['RoleBinding', `/apis/rbac.authorization.k8s.io/v1/namespaces/${releaseNs}/rolebindings`],
    ] as const)
      leftInRelease[kind] = names(await list(path));
    leftInRelease.ServiceAccount = names(await core('serviceaccounts')).filter((n) => n !== 'default');
    leftInRelease.ConfigMap = names(await core('configmaps')).filter((n) => n !== 'kube-root-ca.crt');
    // The store Secret is this test's own (store.existingSecret); Helm's release records are gone.
    leftInRelease.Secret = names(await core('secrets')).filter((n) => n !== 'bosun-store');
    expect(leftInRelease).toEqual({
      Deployment: [],
      ReplicaSet: [],
      Service: [],
      Role: [],
      RoleBinding: [],
      ServiceAccount: [],
      ConfigMap: [],
      Secret: [],
    });

    // What the operator itself made in its namespace stays: its Lease (Helm deletes the Role
    // while the Pods shut down, so the last leader may not be allowed to release it), and the
    // finished verification Jobs (with their Pods) until their TTL deletes them.
    const leases = await list(`/apis/coordination.k8s.io/v1/namespaces/${releaseNs}/leases`);
    expect(names(leases)).toEqual([operatorName]);
    const jobs = (await list(`/apis/batch/v1/namespaces/${releaseNs}/jobs`)) as (KubeObject & {
      spec: { ttlSecondsAfterFinished?: number };
    })[];
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    for (const job of jobs) {
      expect(job.metadata.name).toMatch(/^verify-/);
      expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    }
    const pods = await core('pods');
    for (const pod of pods) expect(names(jobs)).toContain(pod.metadata.labels?.['job-name']);

    // The CRDs stay, served, and so does every Bosun object.
    for (const definition of resourceDefinitions) {
      const crd = await client.request<
        KubeObject & { status: { conditions: { type: string; status: string }[] } }
      >('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName(definition)}`);
      expect(crd.status.conditions.find((c) => c.type === 'Established')?.status).toBe('True');
    }
    const modelVersions = await list(`/apis/${API_VERSION}/namespaces/${watched}/modelversions`);
    expect(names(modelVersions)).toContain('iris-v1');
    expect(modelVersions.length).toBeGreaterThanOrEqual(4);
    await client.request('GET', modelVersionPath(watched, 'iris-v1'));
    console.log(
      `left after helm uninstall: ${resourceDefinitions.length} CRDs, ${modelVersions.length} ModelVersions; in ${releaseNs} the Lease and ${jobs.length} verification Job(s) with ${pods.length} Pod(s); nothing of the chart`,
    );
  }, 180_000);
});
