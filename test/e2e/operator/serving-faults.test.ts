// Fault test of the InferenceService controller on the real control plane and node: an
// InferenceService that follows `production` while three versions take turns in the stage, 20
// promotions in quick succession, and the operator SIGKILLed at random moments during them (between
// a promotion's two patches, mid-rollout, while it writes status or servedBy) and started again.
// Whatever a kill interrupted, the end state is exact: the last promotion serves on every replica,
// the Deployments are exactly those the InferenceService desires (each owned by it), every
// ModelVersion's servedBy says whether a Pod of it serves, and Ready is for the current generation.
// The operator's log of the whole run holds no secret and no stack trace.
import { readFileSync } from 'node:fs';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { API_VERSION } from '../../../operator/api/group.ts';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import {
  MODEL_VERSION_LABEL,
  podSelectorLabels,
  selectorString,
} from '../../../operator/controllers/inference-service/serving-names.ts';
import {
  cleanup,
  eventually,
  listModelVersions,
  type RunningOperator,
  sleep,
  startOperator,
} from '../../integration/operator/harness.ts';
import { seeded } from '../../unit/inference-server/test-models.ts';
import {
  createInferenceService,
  isvcCondition,
  lastLine,
  readyInferenceService,
  SERVING_ARGS,
  type ServingFixture,
  setStage,
  startClient,
  startServing,
  TABULAR_REQUEST,
  trainedModelVersion,
} from './serving.ts';

const env = inject('environment');
let f: ServingFixture;
/** The operator running now (the fixture's first one, then each restarted one). */
let operator: RunningOperator;

const MODEL = 'fraud';
const VERSIONS = [1, 2, 3] as const;
const PROMOTIONS = 20;
/** A kill lands this long after its promotion began: before, between or after its two patches. */
const MAX_KILL_DELAY_MS = 2500;
/** The pause before the next promotion: some rollouts finish, others are overtaken. */
const MAX_PAUSE_MS = 2500;
/** New connections through the Service at the end: a Pod of another version left would be met. */
const CONNECTIONS = 20;

beforeAll(async () => {
  f = await startServing(env, 'svfault');
  operator = f.operator;
}, 300_000);

afterAll(async () => {
  operator?.kill('SIGTERM');
  await operator?.exited;
  if (f) await cleanup(env, f.ns);
});

const mvName = (version: number) => `${MODEL}-v${version}`;

/**
 * SIGKILLs the operator and starts it again as the kubelet restarts a killed container: the same
 * identity (so it takes its unreleased Lease back at once), the same namespaces and arguments.
 * Resolves once the new one's caches are synced, so the next kill meets an operator at work.
 */
async function killAndRestart(): Promise<void> {
  operator.kill('SIGKILL');
  expect((await operator.exited).signal).toBe('SIGKILL');
  operator = await startOperator(env, f.ns, { identity: operator.identity, extraArgs: SERVING_ARGS });
  await eventually(async () => expect(await operator.probe('/readyz')).toBe(200), 60_000, 200);
}

it('serves the last of 20 promotions with the operator SIGKILLed during them, with no orphan and servedBy exact', {
  timeout: 420_000,
}, async () => {
  await Promise.all(
    VERSIONS.map((v) => trainedModelVersion(f, MODEL, v, { stage: v === 1 ? 'production' : 'none' })),
  );
  await createInferenceService(f, MODEL, { model: { name: MODEL, stage: 'production' }, replicas: 1 });
  await readyInferenceService(f, MODEL, 1);

  const seed = Date.now() % 100_000;
  const random = seeded(seed);
  const schedule: string[] = [];
  let holder: number = VERSIONS[0];
  let kills = 0;
  for (let i = 0; i < PROMOTIONS; i++) {
    const target = VERSIONS[(i + 1) % VERSIONS.length] as number;
    // Every other promotion, plus a few more, is interrupted by a kill.
    const killDelay = i % 2 === 0 || random() < 0.25 ? Math.floor(random() * MAX_KILL_DELAY_MS) : undefined;
    const killed = killDelay === undefined ? undefined : sleep(killDelay).then(killAndRestart);
    // A promotion as a user makes it: the new version into the stage, the previous holder out.
    await setStage(f, mvName(target), 'production');
    await setStage(f, mvName(holder), 'archived');
    holder = target;
    if (killed) {
      await killed;
      kills++;
    }
    const pause = Math.floor(random() * MAX_PAUSE_MS);
    schedule.push(
      `${mvName(target)}${killDelay === undefined ? '' : ` kill+${killDelay}ms`} pause ${pause}ms`,
    );
    await sleep(pause);
  }
  console.log(`seed ${seed}, ${kills} kills: ${schedule.join('; ')}`);
  expect(kills).toBeGreaterThanOrEqual(PROMOTIONS / 2);

  const last = mvName(holder);
  const isvc = await readyInferenceService(f, MODEL, holder, 180_000);
  expect(isvc.status?.primary?.modelVersion).toBe(last);
  expect(isvcCondition(isvc, 'ModelResolved')).toMatchObject({ status: 'True', reason: 'Resolved' });
  expect(isvcCondition(isvc, 'Progressing')).toMatchObject({
    status: 'False',
    reason: 'RolloutFinished',
    observedGeneration: isvc.metadata.generation,
  });
  // One period is open, the last promotion's; every other one ended, none before it began.
  const history = isvc.status?.history ?? [];
  expect(history.filter((h) => h.to === undefined)).toEqual([
    { modelVersion: last, version: holder, role: 'primary', from: expect.any(String) },
  ]);
  for (const h of history.filter((p) => p.to !== undefined))
    expect(Date.parse(h.to as string)).toBeGreaterThanOrEqual(Date.parse(h.from));

  // Exactly the Deployments the InferenceService desires: its primary, controlled by it.
  const namespace = f.ns.watched;
  const owner = {
    apiVersion: API_VERSION,
    kind: 'InferenceService',
    name: MODEL,
    uid: isvc.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  const deployments = await f.client.request<{ items: V1Deployment[] }>(
    'GET',
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
  );
  expect(deployments.items.map((d) => d.metadata?.name)).toEqual([`${MODEL}-primary`]);
  const [primary] = deployments.items;
  expect(primary?.metadata?.ownerReferences).toEqual([owner]);
  expect(primary?.spec?.replicas).toBe(1);
  expect(primary?.spec?.template.metadata?.labels?.[MODEL_VERSION_LABEL]).toBe(last);
  const services = await f.client.request<{
    items: { metadata: { name: string; ownerReferences?: unknown } }[];
  }>('GET', `/api/v1/namespaces/${namespace}/services`);
  expect(services.items.map((s) => [s.metadata.name, s.metadata.ownerReferences])).toEqual([
    [MODEL, [owner]],
  ]);
  const pods = await f.client.request<{ items: V1Pod[] }>('GET', `/api/v1/namespaces/${namespace}/pods`, {
    query: { labelSelector: selectorString(podSelectorLabels(isvc)) },
  });
  // One replica of the last promotion; Pods of its earlier rollouts may still be draining. A Pod
  // of another version may still be on its way out of the API server, but none of them runs:
  // Ready waits until their containers have stopped (rollout-state.ts, withDrainingPods).
  const version = (p: V1Pod) => p.metadata?.labels?.[MODEL_VERSION_LABEL];
  expect(pods.items.filter((p) => !p.metadata?.deletionTimestamp).map(version)).toEqual([last]);
  const stopped = (p: V1Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
  expect(
    pods.items
      .filter((p) => version(p) !== last && !stopped(p))
      .map((p) => `${p.metadata?.name} ${p.status?.phase}`),
  ).toEqual([]);

  // servedBy names the service on the version that serves and on no other.
  await eventually(async () => {
    const versions = await listModelVersions(f.client, namespace);
    const servedBy = Object.fromEntries(
      versions.map((mv: ModelVersion) => [mv.metadata.name, mv.status?.servedBy]),
    );
    expect(servedBy).toEqual(
      Object.fromEntries(VERSIONS.map((v) => [mvName(v), mvName(v) === last ? [MODEL] : undefined])),
    );
  }, 60_000);

  // Every new connection through the Service reaches the last promotion.
  const client = await startClient(f, [
    'connections',
    `${isvc.status?.url}/v2/models/${MODEL}/infer`,
    '--json',
    TABULAR_REQUEST,
    '--count',
    String(CONNECTIONS),
  ]);
  expect(lastLine(await client.finished())).toEqual({
    versions: { [holder]: CONNECTIONS },
    failed: 0,
    errors: {},
  });

  // The log of every run (a restart appends to the same file) has no secret and no stack trace.
  const log = readFileSync(operator.logFile, 'utf8');
  expect(log.split('\n').filter((line) => line.includes('"msg":"starting"'))).toHaveLength(kills + 1);
  expect(log).not.toContain(env.minio.secretKey);
  expect(log).not.toContain('X-Amz-Signature');
  expect(log).not.toContain('    at ');
});
