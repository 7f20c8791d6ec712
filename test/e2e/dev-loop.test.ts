// The demo of `make dev` at a reduced size, on the real node, with Bosun installed as make dev
// installs it (the Helm chart, the operator in its own namespace watching one): digits-v1 serves,
// the feedback given on its predictions is collected into a batch, digits-v2 trains on a snapshot
// that holds those verified items, the metric decides the promotion, and the endpoint serves the
// winner. The steps are the demo's own (test/dev/loop.ts).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseS3Uri } from '../../lib/store/keys.ts';
import type { ManifestItem } from '../../lib/store/manifest.ts';
import type { InferenceService } from '../../operator/api/inference-service.ts';
import { imageRef } from '../cluster/local-images.ts';
import { demoTarget, ensureBucket, helmBinary } from '../dev/cli.ts';
import { execute } from '../dev/commands.ts';
import { type InstallSettings, installCommands, type Kubectl } from '../dev/install.ts';
import {
  applyDataset,
  type Classified,
  classifyHeldOut,
  DEMO_NAMES,
  type DemoData,
  type DemoTarget,
  type Feedback,
  feedbackCollected,
  firstVersion,
  giveFeedback,
  lineageOf,
  prepareData,
  readDataset,
  rolledOver,
  SMALL_DEMO,
  secondVersion,
  serve,
  type TrainedVersion,
  uploadGold,
} from '../dev/loop.ts';
import { quietProgress } from '../dev/progress.ts';
import { postgresClient } from '../integration/clients.ts';
import { kubectl as runKubectl } from '../integration/operator/harness.ts';

const env = inject('environment');
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const settings: InstallSettings = {
  release: `bosun-loop-${suffix}`,
  operatorNamespace: `loop-op-${suffix}`,
  watchNamespace: `loop-${suffix}`,
  store: {
    endpoint: env.minio.endpoint,
    bucket: `loop-${suffix}`,
    accessKey: env.minio.accessKey,
    secretKey: env.minio.secretKey,
  },
  images: {
    operator: imageRef('operator'),
    inferenceServer: imageRef('inference-server'),
    dataJobs: imageRef('data-jobs'),
    trainer: imageRef('trainer'),
  },
  imagePullPolicy: 'Never',
  imageHash: 'test',
  workloadCredentials: 'shared',
};
let t: DemoTarget;
let data: DemoData;
let first: TrainedVersion;
let second: TrainedVersion;
let feedback: Feedback;
let service: InferenceService;

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the demo's loop needs a node: ${noNode}`);
  await ensureBucket(env.minio, settings.store.bucket);
  const k: Kubectl = { program: env.kubectl, flags: ['--kubeconfig', env.controlPlane.kubeconfig] };
  for (const command of installCommands(settings, k, helmBinary())) await execute(command);
  t = {
    ...demoTarget(env, settings.watchNamespace, settings.store.bucket),
    table: `digits_predictions_${suffix}`,
  };
  data = await prepareData(SMALL_DEMO, quietProgress);
}, 300_000);

afterAll(async () => {
  if (!t) return;
  // While the operator runs, so that it lets go of its finalizers.
  await runKubectl(env, [
    '-n',
    settings.watchNamespace,
    'delete',
    'inferenceservices,modelversions,datasets',
    '--all',
    '--timeout=120s',
  ]);
  const helm = helmBinary();
  if (helm)
    await execute({
      program: helm,
      args: [
        'uninstall',
        settings.release,
        '-n',
        settings.operatorNamespace,
        '--kubeconfig',
        env.controlPlane.kubeconfig,
      ],
    }).catch(() => undefined);
  await runKubectl(env, [
    'delete',
    'namespace',
    settings.watchNamespace,
    settings.operatorNamespace,
    '--wait=false',
  ]);
  const db = postgresClient();
  await db.connect();
  await db.query(`DROP TABLE IF EXISTS ${t.table}`);
  await db.end();
}, 240_000);

describe("the demo's loop", () => {
  it('trains digits-v1 on gold, puts it in production and serves it', { timeout: 600_000 }, async () => {
    await uploadGold(t, data, quietProgress);
    await applyDataset(t, SMALL_DEMO, quietProgress);
    first = await firstVersion(t, quietProgress);
    expect(first.modelVersion.metadata.name).toBe('digits-v1');
    expect(first.modelVersion.spec.stage).toBe('production');
    expect(first.run.status?.snapshot).toMatchObject({ version: first.snapshot, variant: 'verified' });
    service = await serve(t, quietProgress);
    expect(service.status?.primary).toMatchObject({ modelVersion: 'digits-v1', version: 1 });
  });

  it('logs every held-out prediction with its image, and verifies the feedback share', {
    timeout: 300_000,
  }, async () => {
    const classified: Classified = await classifyHeldOut(t, data, service, quietProgress);
    expect(classified.sent).toBe(data.heldOut.length);
    expect(classified.versions).toEqual({ 1: data.heldOut.length });
    feedback = await giveFeedback(t, data, quietProgress);
    expect(feedback).toMatchObject({ updated: data.feedback.length, verified: data.feedback.length });
    // Given again, nothing changes: the rows are verified already.
    expect((await giveFeedback(t, data, quietProgress)).updated).toBe(0);
  });

  it('collects the feedback into a batch', { timeout: 300_000 }, async () => {
    const ds = await feedbackCollected(t, feedback, quietProgress);
    expect(ds.status?.conditions?.find((c) => c.type === 'CollectionHealthy')?.status).toBe('True');
  });

  it('trains digits-v2 on a snapshot holding the verified items, promotes by the metric, serves the winner', {
    timeout: 900_000,
  }, async () => {
    second = await secondVersion(t, first, quietProgress);
    expect(second.modelVersion.metadata.name).toBe('digits-v2');
    expect(second.snapshot > first.snapshot).toBe(true);
    // The pinned manifest has every verified feedback image, with its true label.
    const pinned = second.run.status?.snapshot;
    expect(pinned?.variant).toBe('verified');
    const items = new Map<string, ManifestItem>();
    const { key } = parseS3Uri('manifest', pinned?.manifest.uri ?? '');
    for await (const item of t.store.readManifest(key, pinned?.manifest.sha256)) items.set(item.sha256, item);
    for (const s of data.feedback)
      expect(items.get(s.sha256)).toMatchObject({ label: s.digit.label, verified: true });
    expect(items.size).toBe(data.gold.length + data.feedback.length);
    // Held-out images without feedback are not verified: they stay out of this variant.
    for (const s of data.heldOut.slice(data.feedback.length)) expect(items.has(s.sha256)).toBe(false);

    const promotion = second.run.status?.promotion;
    const v1 = first.run.status?.metrics?.accuracy as number;
    const v2 = second.run.status?.metrics?.accuracy as number;
    expect(promotion).toMatchObject({
      stage: 'production',
      champion: 'digits-v1',
      value: v2,
      championValue: v1,
    });
    expect(promotion?.promoted).toBe(v2 > v1);

    service = await rolledOver(t, first, second, quietProgress);
    expect(service.status?.primary?.modelVersion).toBe(promotion?.promoted ? 'digits-v2' : 'digits-v1');

    const lineage = await lineageOf(t, second);
    expect(lineage.batches.reduce((n, b) => n + b.verified, 0)).toBeGreaterThanOrEqual(data.feedback.length);
    expect(lineage.sources).toMatchObject({ gold: data.gold.length, feedback: data.feedback.length });
    // The template's latest run is the one on the second snapshot.
    expect((await readDataset(t)).status?.training).toEqual([
      {
        name: DEMO_NAMES.template,
        snapshot: second.snapshot,
        trainingRun: `${DEMO_NAMES.template}-${second.snapshot}`,
      },
    ]);
  });
});
