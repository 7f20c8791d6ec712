// The chart as `helm lint` and `helm template` see it, without a cluster: what each value renders,
// and the message a wrong value fails with (values.schema.json, and the chart's own checks).
import { describe, expect, it } from 'vitest';
import { resourceDefinitions } from '../../../operator/api/resources.ts';
import { CHART_DIR, findObject, helm, helmOk, type KubeObject, objectKey, renderChart } from './helm.ts';

interface PodSpec {
  containers: { name: string; image: string; args?: string[]; env?: { name: string; value?: string }[] }[];
}

const podSpecOf = (o: KubeObject) =>
  o.kind === 'Pod' ? (o.spec as PodSpec) : (o.spec as { template: { spec: PodSpec } }).template.spec;
/** The container of the chart's one Deployment. */
const operatorContainer = (objects: KubeObject[]) => {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  expect(deployments).toHaveLength(1);
  const container = podSpecOf(deployments[0] as KubeObject).containers[0];
  if (!container) throw new Error('the Deployment has no container');
  return container;
};
const envOf = (c: PodSpec['containers'][number]) =>
  Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));

/** helm template with these values must fail; its message. */
async function refusal(values: string[]): Promise<string> {
  const result = await helm(['template', 'bosun', CHART_DIR, ...values.flatMap((v) => ['--set', v])]);
  expect(result.code, 'helm template should have failed').not.toBe(0);
  return result.stderr;
}

describe('helm lint', () => {
  it('passes, strictly', async () => {
    const out = await helmOk(['lint', '--strict', CHART_DIR]);
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
  });
});

describe('values.schema.json refuses a wrong value with its path', () => {
  it.each([
    [['replicas=-1'], "at '/replicas': minimum: got -1, want 0"],
    [['replica=2'], "additional properties 'replica' not allowed"],
    [
      ['image.pullPolicy=Sometimes'],
      "at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'",
    ],
    [['store.endpoint=minio:9000'], "at '/store/endpoint'"],
    [['store.bucket=Bosun_Models'], "at '/store/bucket'"],
    [['concurrency=0'], "at '/concurrency': minimum: got 0, want 1"],
    [['leaderElection.leaseDuration=15'], "at '/leaderElection/leaseDuration'"],
    [['logLevel=verbose'], "at '/logLevel'"],
    [['watchNamespace=Team_A'], "at '/watchNamespace'"],
    [['image.digest=latest'], "at '/image/digest'"],
    [['crds.enabled=yes'], "at '/crds/enabled': got string, want boolean"],
    [['store.sts.role=x'], "additional properties 'role' not allowed"],
  ])('%s', async (values, message) => {
    const stderr = await refusal(values);
    expect(stderr).toContain("values don't meet the specifications of the schema");
    expect(stderr).toContain(message);
  });

  it('and the chart refuses store credentials that contradict each other', async () => {
    expect(await refusal(['store.accessKeyId=a', 'store.secretAccessKey=b'])).toContain(
      'store: set either store.existingSecret or (for evaluation only) store.accessKeyId and store.secretAccessKey',
    );
    expect(await refusal(['store.existingSecret=', 'store.accessKeyId=a'])).toContain(
      'store: store.existingSecret is empty, so store.accessKeyId and store.secretAccessKey are both required',
    );
  });
});

describe('helm template', () => {
  it('renders every kind of object it has with all options on, and each parses', async () => {
    const objects = await renderChart(
      [
        'prometheus.servicemonitor.enabled=true',
        'podDisruptionBudget.enabled=true',
        'store.existingSecret=',
        'store.accessKeyId=evaluation',
        'store.secretAccessKey=evaluation-secret',
      ],
      { withTests: true },
    );
    expect([...new Set(objects.map((o) => o.kind))].sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'Deployment',
      'Pod',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'Secret',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    for (const o of objects) {
      expect(o.metadata.labels?.['app.kubernetes.io/instance'], objectKey(o)).toBe('bosun');
      expect(o.metadata.labels?.['helm.sh/chart'], objectKey(o)).toBe('bosun-0.1.0');
    }
  });

  it('gives every image the appVersion, image.tag or its own tag, a registry and a digest', async () => {
    const byDefault = envOf(operatorContainer(await renderChart()));
    expect(byDefault).toMatchObject({
      BOSUN_OPERATOR_IMAGE: 'bosun/operator:0.1.0',
      BOSUN_INFERENCE_SERVER_IMAGE: 'bosun/inference-server:0.1.0',
      BOSUN_DATA_JOBS_IMAGE: 'bosun/data-jobs:0.1.0',
      BOSUN_TRAINER_IMAGE: 'bosun/trainer:0.1.0',
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    const objects = await renderChart([
      'image.registry=registry.example.com:5000/ml',
      'image.tag=0.2.0',
      'trainer.image.tag=0.2.1-gpu',
      `dataJobs.image.digest=${digest}`,
      'image.pullPolicy=Always',
    ]);
    const operator = operatorContainer(objects);
    expect(operator.image).toBe('registry.example.com:5000/ml/bosun/operator:0.2.0');
    expect(envOf(operator)).toMatchObject({
      BOSUN_OPERATOR_IMAGE: 'registry.example.com:5000/ml/bosun/operator:0.2.0',
      BOSUN_INFERENCE_SERVER_IMAGE: 'registry.example.com:5000/ml/bosun/inference-server:0.2.0',
      BOSUN_DATA_JOBS_IMAGE: `registry.example.com:5000/ml/bosun/data-jobs@${digest}`,
      BOSUN_TRAINER_IMAGE: 'registry.example.com:5000/ml/bosun/trainer:0.2.1-gpu',
    });
    // The Pods the operator creates pull as the operator's own Pod does.
    expect(operator.args).toContain('--image-pull-policy=Always');
  });

  it('binds the operator in the watched namespace only when watchNamespace is set', async () => {
    const objects = await renderChart(['watchNamespace=team-a'], { release: 'ml', namespace: 'ml-system' });
    expect(objects.filter((o) => o.kind === 'ClusterRoleBinding')).toEqual([]);
    const bindings = (namespace: string) =>
      objects.filter((o) => o.kind === 'RoleBinding' && o.metadata.namespace === namespace);
    const watched = bindings('team-a');
    expect(watched).toHaveLength(1);
    expect(watched[0]).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'ml-bosun-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'ml-bosun-operator', namespace: 'ml-system' }],
    });
    // The other RoleBinding is the operator namespace's, to its Role.
    expect(bindings('ml-system')).toMatchObject([{ roleRef: { kind: 'Role', name: 'ml-bosun-operator' } }]);
    expect(operatorContainer(objects).args).toContain('--watch-namespace=team-a');
    expect(operatorContainer(objects).args).toContain('--leader-election-id=ml-bosun-operator');
  });

  it('creates the store Secret from values only for evaluation, and says so', async () => {
    const objects = await renderChart([
      'store.existingSecret=',
      'store.accessKeyId=minio',
      'store.secretAccessKey=minio-secret',
    ]);
    const secret = findObject(objects, 'Secret', 'bosun-store');
    expect(secret.metadata.annotations).toEqual({ 'bosun.dev/evaluation-only': 'true' });
    expect(secret.stringData).toEqual({ accessKeyId: 'minio', secretAccessKey: 'minio-secret' });
    expect(operatorContainer(objects).args).toContain('--store-credentials-secret=bosun-store');
    const own = await renderChart(['store.existingSecret=ml-store']);
    expect(own.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(operatorContainer(own).args).toContain('--store-credentials-secret=ml-store');
  });

  it('leaves the CRDs out with crds.enabled=false, and stops keeping them with crds.keep=false', async () => {
    expect(
      (await renderChart(['crds.enabled=false'])).filter((o) => o.kind === 'CustomResourceDefinition'),
    ).toEqual([]);
    const kept = (await renderChart()).filter((o) => o.kind === 'CustomResourceDefinition');
    expect(kept).toHaveLength(resourceDefinitions.length);
    for (const crd of kept) expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    for (const crd of (await renderChart(['crds.keep=false'])).filter(
      (o) => o.kind === 'CustomResourceDefinition',
    ))
      expect(crd.metadata.annotations).toBeUndefined();
  });

  it('gives the aggregated roles every kind, and each role the rights of the one before it', async () => {
    const objects = await renderChart();
    type Rule = { resources: string[]; verbs: string[] };
    const rights = (name: string) =>
      new Set(
        ((findObject(objects, 'ClusterRole', name).rules as Rule[]) ?? []).flatMap((r) =>
          r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`)),
        ),
      );
    const view = rights('bosun-view');
    const edit = rights('bosun-edit');
    const admin = rights('bosun-admin');
    for (const { plural } of resourceDefinitions) {
      for (const verb of ['get', 'list', 'watch']) expect(view).toContain(`${plural}:${verb}`);
      expect(edit).toContain(`${plural}:create`);
      expect(admin).toContain(`${plural}:delete`);
    }
    for (const right of view) expect(edit).toContain(right);
    for (const right of edit) expect(admin).toContain(right);
    // Status is the operator's; a registry entry is deleted by an admin only.
    expect([...admin].filter((r) => r.includes('/status:') && !/:(get|list|watch)$/.test(r))).toEqual([]);
    expect(edit).not.toContain('modelversions:delete');
    expect(findObject(objects, 'ClusterRole', 'bosun-edit').metadata.labels).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
    });
  });

  it("gives the helm test Pod the Service's address, the store and no ServiceAccount token", async () => {
    const objects = await renderChart([], { release: 'ml', namespace: 'ml-system', withTests: true });
    const pod = findObject(objects, 'Pod', 'ml-bosun-install-check');
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    expect(pod.spec).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false });
    const [container] = podSpecOf(pod).containers;
    expect(container?.image).toBe(operatorContainer(objects).image);
    expect(envOf(container as PodSpec['containers'][number])).toMatchObject({
      BOSUN_OPERATOR_READYZ_URL:
        'http://$(ML_BOSUN_OPERATOR_SERVICE_HOST):$(ML_BOSUN_OPERATOR_SERVICE_PORT_PROBES)/readyz',
      BOSUN_STORE_ENDPOINT: 'http://minio.bosun-system:9000',
      BOSUN_STORE_BUCKET: 'bosun',
    });
    findObject(objects, 'Service', 'ml-bosun-operator');
  });
});
