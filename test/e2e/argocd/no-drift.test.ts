// GitOps without drift, in the form issue 18 allows while Argo CD itself is not built here
// (docs/argocd.md says why): the manifests of a Git repository — the samples of config/samples and
// a team's two Datasets, three TrainingRuns and two InferenceServices — are applied server-side with Argo CD's field
// manager, the operator reconciles them on the real cluster and node, and then
// - `kubectl diff --server-side` of the same manifests shows nothing: defaults come from the schema
//   and the operator writes only status (and its finalizers), so Argo CD would show the
//   Application Synced;
// - every object has the health Argo CD would show (test/argocd-health: Argo CD's settings manager,
//   gitops-engine and Lua VM reading argocd/argocd-cm.yaml), the failed TrainingRun Degraded with its
//   reason, and the Application the health of its least healthy object.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { API_VERSION, SNAPSHOT_REQUESTED_ANNOTATION } from '../../../operator/api/group.ts';
import { resourceDefinitions } from '../../../operator/api/resources.ts';
import { repoRoot } from '../../cluster/paths.ts';
import { kubectl, kubectlOk } from '../../integration/api/kubectl.ts';
import {
  applicationHealth,
  argocdHealth,
  buildHealthRunner,
  HEALTH_RUNNER_BUILD_TIMEOUT_MS,
  type HealthStatus,
} from '../../integration/argocd/health-runner.ts';
import { eventually } from '../../integration/operator/harness.ts';
import { syntheticRows, toCsv } from '../../unit/trainer/synthetic.ts';
import { stripeImages } from '../../unit/trainer/synthetic-images.ts';
import type { DatasetFixture } from '../operator/datasets.ts';
import { readyInferenceService, SERVING_ARGS, stopServing, TABULAR_COLUMNS } from '../operator/serving.ts';
import { finishedRun, startTraining, tabularRunSpec } from '../operator/training.ts';

/** The field manager of Argo CD's server-side apply and server-side diff. */
const ARGOCD_FIELD_MANAGER = 'argocd-controller';
const SAMPLES_NAMESPACE = 'default';
const SAMPLES_BUCKET = 'bosun';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

interface Live extends Manifest {
  metadata: Manifest['metadata'] & {
    generation: number;
    managedFields?: { manager: string; operation: string; subresource?: string; fieldsV1?: object }[];
  };
  status?: { observedGeneration?: number; conditions?: { type: string; reason: string; message: string }[] };
}

const env = inject('environment');
let f: DatasetFixture;
let manifests: Manifest[];
let manifestFile: string;
let live: Live[];

const plural = (kind: string) => resourceDefinitions.find((d) => d.kind === kind)?.plural as string;
const readLive = (m: Manifest) =>
  f.client.request<Live>(
    'GET',
    `/apis/${API_VERSION}/namespaces/${f.ns.watched}/${plural(m.kind)}/${m.metadata.name}`,
  );

/** config/samples as kustomize renders them, moved to the test's namespace and bucket. */
async function sampleManifests(): Promise<Manifest[]> {
  const rendered = await kubectlOk(['kustomize', join(repoRoot, 'config', 'samples')]);
  const moved = rendered
    .replaceAll(`s3://${SAMPLES_BUCKET}/`, `s3://${f.ns.bucket}/`)
    .replaceAll(`/${SAMPLES_NAMESPACE}/`, `/${f.ns.watched}/`);
  return parseAllDocuments(moved).map((d) => d.toJSON() as Manifest);
}

/** A team's own objects: two Datasets snapshotted on request, three runs, two services. */
function teamManifests(): Manifest[] {
  const object = (
    kind: string,
    name: string,
    spec: Record<string, unknown>,
    annotations?: Record<string, string>,
  ) => ({
    apiVersion: API_VERSION,
    kind,
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec,
  });
  return [
    object(
      'Dataset',
      'table',
      {
        format: 'tabular',
        tabular: { labelColumn: 'cls' },
        gold: { uri: `s3://${f.ns.bucket}/imports/${f.ns.watched}/gold/table/` },
        snapshot: { variants: ['verified', 'full'] },
      },
      { [SNAPSHOT_REQUESTED_ANNOTATION]: 'first' },
    ),
    // Its only snapshot fails the quality gate: kept for inspection, never trained on.
    object(
      'Dataset',
      'stripes',
      {
        format: 'imagefolder',
        gold: { uri: `s3://${f.ns.bucket}/imports/${f.ns.watched}/gold/stripes/` },
        quality: { minItemsPerLabel: 1000 },
      },
      { [SNAPSHOT_REQUESTED_ANNOTATION]: 'first' },
    ),
    // Fails: the trainer finds no such column, and says so.
    object('TrainingRun', 'table-wrong-target', {
      ...tabularRunSpec('table', 'table'),
      trainer: { builtin: { task: 'tabular-classification', hyperparameters: { target: 'no_such_column' } } },
    }),
    // Waits: its Dataset is not in the repository yet.
    object('TrainingRun', 'table-next', tabularRunSpec('table-next', 'table')),
    // Succeeds and registers table-v1, which the two services below pin before it exists.
    object('TrainingRun', 'table-first', tabularRunSpec('table', 'table')),
    // Autoscales on requests in flight, which needs a custom metrics adapter this operator was not
    // told about: it serves at minReplicas and says so in its Autoscaling condition.
    object('InferenceService', 'table', {
      model: { name: 'table', version: 1 },
      autoscaling: { minReplicas: 1, maxReplicas: 2, targetConcurrency: 4 },
    }),
    object('InferenceService', 'table-standby', { model: { name: 'table', version: 1 }, replicas: 0 }),
  ];
}

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the GitOps test needs a node for the operator's Jobs: ${noNode}`);
  // Built first: a cold build takes minutes and must not eat the reconcile timeouts below.
  await buildHealthRunner();
  f = await startTraining(env, 'gitops', SERVING_ARGS);
  await f.bucket.store.putObject(
    `imports/${f.ns.watched}/gold/table/part-1.csv`,
    toCsv(syntheticRows(300, 1, 3), [...TABULAR_COLUMNS]),
  );
  for (const file of await stripeImages(4, 2))
    await f.bucket.store.putObject(`imports/${f.ns.watched}/gold/stripes/${file.path}`, file.data);
  manifests = [...(await sampleManifests()), ...teamManifests()];
  manifestFile = join(mkdtempSync(join(tmpdir(), 'bosun-gitops-')), 'manifests.yaml');
  writeFileSync(manifestFile, manifests.map((m) => stringify(m)).join('---\n'));
  await kubectlOk([
    'apply',
    '--server-side',
    `--field-manager=${ARGOCD_FIELD_MANAGER}`,
    '-n',
    f.ns.watched,
    '-f',
    manifestFile,
  ]);
  // Reconciled: the runs have finished, the service serves the version the successful one
  // registered, the strict Dataset's snapshot was rejected, and every status speaks for its generation.
  await finishedRun(f, 'table-wrong-target');
  await finishedRun(f, 'table-first');
  await readyInferenceService(f, 'table', 1);
  await eventually(async () => {
    const stripes = await readLive(manifests.find((m) => m.metadata.name === 'stripes') as Manifest);
    const snapshots = stripes.status?.conditions?.find((c) => c.type === 'SnapshotsHealthy');
    if (snapshots?.reason !== 'SnapshotRejected') throw new Error(`stripes: ${JSON.stringify(snapshots)}`);
  }, 180_000);
  live = await eventually(
    async () => {
      const objects = await Promise.all(manifests.map(readLive));
      const behind = objects.filter((o) => o.status?.observedGeneration !== o.metadata.generation);
      if (behind.length > 0)
        throw new Error(`not reconciled yet: ${behind.map((o) => o.metadata.name).join(', ')}`);
      return objects;
    },
    120_000,
    1000,
  );
}, HEALTH_RUNNER_BUILD_TIMEOUT_MS + 600_000);

afterAll(async () => {
  await stopServing(env, f);
});

describe('the manifests of a GitOps repository, once the operator has reconciled them', () => {
  it('show no drift: kubectl diff --server-side with Argo CD field manager finds nothing', async () => {
    const diff = await kubectl([
      'diff',
      '--server-side',
      `--field-manager=${ARGOCD_FIELD_MANAGER}`,
      '-n',
      f.ns.watched,
      '-f',
      manifestFile,
    ]);
    expect({ code: diff.code, diff: diff.stdout, stderr: diff.stderr }).toEqual({
      code: 0,
      diff: '',
      stderr: '',
    });
  });

  it('leave every field outside status to the manifests (the operator owns only status and its finalizers)', () => {
    const foreign = live.flatMap((o) =>
      (o.metadata.managedFields ?? [])
        .filter((m) => m.manager !== ARGOCD_FIELD_MANAGER && m.subresource !== 'status')
        .filter((m) => !onlyFinalizers(m.fieldsV1))
        .map(
          (m) => `${o.kind} ${o.metadata.name}: ${m.manager} ${m.operation} ${JSON.stringify(m.fieldsV1)}`,
        ),
    );
    expect(foreign).toEqual([]);
  });

  it('have the health Argo CD shows, the failed TrainingRun Degraded with its reason', async () => {
    const health = new Map<string, HealthStatus>();
    for (const o of await Promise.all(manifests.map(readLive)))
      health.set(`${o.kind}/${o.metadata.name}`, await argocdHealth(o));
    const statuses = Object.fromEntries([...health].map(([k, h]) => [k, h.status]));
    expect(statuses).toEqual({
      // No snapshot yet: iris is built on request only, pets on the 1st of the month.
      'Dataset/iris': 'Progressing',
      'Dataset/pets': 'Progressing',
      // Waiting for those snapshots.
      'TrainingRun/pets-2025-06': 'Progressing',
      'TrainingRun/iris-xgboost-1': 'Progressing',
      // The sample's artifact was never uploaded here.
      'ModelVersion/iris-v1': 'Degraded',
      // Their Secrets (bearer tokens, the prediction log's database) are not in the repository.
      'InferenceService/iris': 'Degraded',
      'InferenceService/pets': 'Degraded',
      'Dataset/table': 'Healthy',
      'Dataset/stripes': 'Degraded',
      'TrainingRun/table-wrong-target': 'Degraded',
      'TrainingRun/table-next': 'Progressing',
      'TrainingRun/table-first': 'Healthy',
      'InferenceService/table': 'Healthy',
      // replicas: 0 on purpose.
      'InferenceService/table-standby': 'Suspended',
    });
    const failed = health.get('TrainingRun/table-wrong-target') as HealthStatus;
    expect(failed.message).toMatch(/^JobFailed: the trainer failed \(exit code 1\): .*no_such_column/);
    expect(health.get('TrainingRun/table-next')?.message).toMatch(/^DatasetNotFound: /);
    expect(health.get('Dataset/stripes')?.message).toMatch(
      /^AwaitingSnapshot: no snapshot passed its quality gates yet: /,
    );
    expect(health.get('InferenceService/table')?.message).toBe(
      'table-v1 serves on 1 replica; Autoscaling False: ConcurrencyMetricUnavailable',
    );
    expect(applicationHealth(Object.values(statuses))).toBe('Degraded');
  });
});

/** Whether a managedFields entry holds metadata.finalizers and nothing else. */
function onlyFinalizers(fields: object | undefined): boolean {
  const top = (fields ?? {}) as Record<string, object>;
  const keys = (o: object | undefined) => JSON.stringify(Object.keys(o ?? {}));
  return keys(top) === '["f:metadata"]' && keys(top['f:metadata']) === '["f:finalizers"]';
}
