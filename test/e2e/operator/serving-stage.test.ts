// An InferenceService that follows the production stage, on the real node: it rolls over to a
// better version when that one is promoted and back when it is archived. After each rollout every
// answer through the Service (new connections from a client Pod) comes from the resolved version;
// status.history records who served when, Events tell of each rollout, and status.servedBy on the
// ModelVersions names the service exactly where Pods of theirs serve.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { InferenceService } from '../../../operator/api/inference-service.ts';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import { eventually, modelVersionPath } from '../../integration/operator/harness.ts';
import {
  createInferenceService,
  lastLine,
  readyInferenceService,
  type ServingFixture,
  servingEvents,
  setStage,
  startClient,
  startServing,
  stopServing,
  TABULAR_REQUEST,
  trainedModelVersion,
} from './serving.ts';

const env = inject('environment');
let f: ServingFixture;

/** New connections per check: enough that a Pod of another version left behind would be met. */
const CONNECTIONS = 40;

beforeAll(async () => {
  f = await startServing(env, 'stage');
}, 300_000);

afterAll(async () => {
  await stopServing(env, f);
});

/** The versions that answered `CONNECTIONS` requests, each on a new connection through the Service. */
async function answeringVersions(isvc: InferenceService) {
  const client = await startClient(f, [
    'connections',
    `${isvc.status?.url}/v2/models/churn/infer`,
    '--json',
    TABULAR_REQUEST,
    '--count',
    String(CONNECTIONS),
  ]);
  return lastLine<{ versions: Record<string, number>; failed: number; errors: Record<string, number> }>(
    await client.finished(),
  );
}

const servedBy = async (name: string) =>
  (await f.client.request<ModelVersion>('GET', modelVersionPath(f.ns.watched, name))).status?.servedBy;

/** Waits for servedBy of both versions to be as given (the controller writes it after the rollout). */
async function expectServedBy(v1: string[] | undefined, v2: string[] | undefined) {
  await eventually(async () => {
    expect(await servedBy('churn-v1')).toEqual(v1);
    expect(await servedBy('churn-v2')).toEqual(v2);
  }, 60_000);
}

it('rolls over to a promoted version and back to the previous one when it is archived', {
  timeout: 300_000,
}, async () => {
  await trainedModelVersion(f, 'churn', 1, { stage: 'production' });
  await createInferenceService(f, 'churn', { model: { name: 'churn', stage: 'production' } });
  const first = await readyInferenceService(f, 'churn', 1);
  expect(first.status?.history).toEqual([
    { modelVersion: 'churn-v1', version: 1, role: 'primary', from: expect.any(String) },
  ]);

  // A better version, registered outside the stage, then promoted.
  const v2 = await trainedModelVersion(f, 'churn', 2);
  await setStage(f, 'churn-v2', 'production');
  const promoted = await readyInferenceService(f, 'churn', 2);
  expect(promoted.status?.primary).toEqual({
    modelVersion: 'churn-v2',
    version: 2,
    sha256: v2.spec.artifact.sha256,
  });
  expect(await answeringVersions(promoted)).toEqual({ versions: { 2: CONNECTIONS }, failed: 0, errors: {} });
  const [v1Period, v2Period] = promoted.status?.history ?? [];
  expect(promoted.status?.history).toHaveLength(2);
  expect(v1Period).toMatchObject({ modelVersion: 'churn-v1', version: 1, role: 'primary' });
  expect(v2Period).toMatchObject({ modelVersion: 'churn-v2', version: 2, role: 'primary' });
  expect(v2Period?.to).toBeUndefined();
  // v1 served until v2 had taken every replica, so the two periods meet in the rollout.
  const at = (t: string | undefined) => Date.parse(t ?? '');
  expect(at(v1Period?.from)).toBeLessThanOrEqual(at(v2Period?.from));
  expect(at(v2Period?.from)).toBeLessThanOrEqual(at(v1Period?.to));
  await expectServedBy(undefined, ['churn']);

  // Archived, v2 leaves the stage: the highest Ready version in production is v1 again.
  await setStage(f, 'churn-v2', 'archived');
  const back = await readyInferenceService(f, 'churn', 1);
  expect(back.status?.primary?.modelVersion).toBe('churn-v1');
  expect(await answeringVersions(back)).toEqual({ versions: { 1: CONNECTIONS }, failed: 0, errors: {} });
  const history = back.status?.history ?? [];
  expect(history.map((h) => [h.modelVersion, h.to === undefined])).toEqual([
    ['churn-v1', false],
    ['churn-v2', false],
    ['churn-v1', true],
  ]);
  expect(history[0]).toEqual(v1Period);
  expect(history[1]?.from).toBe(v2Period?.from);
  expect(at(history[1]?.to)).toBeGreaterThanOrEqual(at(history[2]?.from));
  await expectServedBy(['churn'], undefined);

  const events = await servingEvents(f, 'churn');
  const started = events.filter((e) => e.reason === 'RolloutStarted').map((e) => e.note);
  expect(started).toEqual([
    'Rolling out churn-v1 to the primary',
    'Rolling out churn-v2 to the primary, replacing churn-v1',
    'Rolling out churn-v1 to the primary, replacing churn-v2',
  ]);
  // The second "churn-v1 serves" is the same Event again within minutes: a series of 2.
  const finished = events
    .filter((e) => e.reason === 'RolloutFinished')
    .map((e) => [e.note, e.series?.count ?? 1]);
  expect(finished).toEqual([
    ['Rollout finished: churn-v1 serves on 1 replica', 2],
    ['Rollout finished: churn-v2 serves on 1 replica', 1],
  ]);
});
