// In-use protection and a stage that empties, on the real node. Deleting a ModelVersion that an
// InferenceService serves is held (a DeletionBlocked Event; the object stays, marked for deletion)
// while its Pods keep answering, until the InferenceService is pinned to another version; then it
// goes. An InferenceService that follows a stage whose only version is archived keeps serving that
// version (ModelResolved=False with the reason, a Warning Event) and resolves again, and rolls over,
// when another version is promoted into the stage.
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { InferenceService } from '../../../operator/api/inference-service.ts';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import { isNotFound } from '../../../operator/runtime/kube-client.ts';
import { eventually, modelVersionPath } from '../../integration/operator/harness.ts';
import {
  createInferenceService,
  isvcCondition,
  patchInferenceService,
  readInferenceService,
  readyInferenceService,
  requestFromPod,
  type ServingFixture,
  servingEvents,
  setStage,
  startServing,
  stopServing,
  TABULAR_REQUEST,
  trainedModelVersion,
} from './serving.ts';

const env = inject('environment');
let f: ServingFixture;

const MODEL = 'loans';
/** One Pod per InferenceService beside other tests' on two cores: a small CPU request. */
const SERVER = { resources: { requests: { cpu: '100m' } } };

beforeAll(async () => {
  f = await startServing(env, 'inuse');
  await trainedModelVersion(f, MODEL, 1);
  await trainedModelVersion(f, MODEL, 2);
  await trainedModelVersion(f, MODEL, 3, { stage: 'production' });
}, 400_000);

afterAll(async () => {
  await stopServing(env, f);
});

const readModelVersion = (name: string) =>
  f.client.request<ModelVersion>('GET', modelVersionPath(f.ns.watched, name));

/** Waits for the ModelVersion's status.servedBy to be `expected` (written around each rollout). */
async function expectServedBy(name: string, expected: string[] | undefined) {
  await eventually(
    async () => expect((await readModelVersion(name)).status?.servedBy).toEqual(expected),
    60_000,
  );
}

interface ModelVersionEvent {
  type: string;
  reason: string;
  note: string;
}

/** The Events about the ModelVersion `name`. */
async function modelVersionEvents(name: string): Promise<ModelVersionEvent[]> {
  const list = await f.client.request<{ items: ModelVersionEvent[] }>(
    'GET',
    `/apis/events.k8s.io/v1/namespaces/${f.ns.watched}/events`,
    { query: { fieldSelector: `regarding.kind=ModelVersion,regarding.name=${name}` } },
  );
  return list.items;
}

/** The names of the InferenceService's serving Pods that are not on their way out. */
async function servingPods(isvc: InferenceService): Promise<string[]> {
  const pods = await f.client.request<{ items: V1Pod[] }>('GET', `/api/v1/namespaces/${f.ns.watched}/pods`, {
    query: { labelSelector: isvc.status?.selector as string },
  });
  return pods.items
    .filter((p) => !p.metadata?.deletionTimestamp)
    .map((p) => p.metadata?.name as string)
    .sort();
}

/** The version that answers an infer request through the Service (a 200 is required). */
async function answeringVersion(isvc: InferenceService): Promise<string> {
  const answer = await requestFromPod(f, 'POST', `${isvc.status?.url}/v2/models/${MODEL}/infer`, {
    json: TABULAR_REQUEST,
  });
  expect(answer.status, answer.body).toBe(200);
  return (JSON.parse(answer.body) as { model_version: string }).model_version;
}

it('holds the deletion of a served ModelVersion until the InferenceService moves off it', {
  timeout: 300_000,
}, async () => {
  await createInferenceService(f, 'loans', { model: { name: MODEL, version: 1 }, server: SERVER });
  const serving = await readyInferenceService(f, 'loans', 1);
  await expectServedBy('loans-v1', ['loans']);

  await f.client.request('DELETE', modelVersionPath(f.ns.watched, 'loans-v1'));
  const blocked = await eventually(async () => {
    const event = (await modelVersionEvents('loans-v1')).find((e) => e.reason === 'DeletionBlocked');
    if (!event) throw new Error('no DeletionBlocked Event yet');
    return event;
  }, 60_000);
  expect(blocked).toMatchObject({
    type: 'Warning',
    note: 'Deletion waits until no InferenceService serves this version (served by loans)',
  });
  const held = await readModelVersion('loans-v1');
  expect(held.metadata.deletionTimestamp).toBeDefined();
  expect(held.status?.servedBy).toEqual(['loans']);

  // A version on its way out is not rolled out anew, but what runs keeps running and answering.
  const kept = await eventually(async () => {
    const isvc = await readInferenceService(f, 'loans');
    expect(isvcCondition(isvc, 'ModelResolved')).toMatchObject({
      status: 'False',
      reason: 'ModelVersionDeleting',
      message: 'primary: ModelVersion loans-v1 is being deleted; loans-v1 keeps serving',
    });
    return isvc;
  }, 60_000);
  expect(kept.status?.primary?.modelVersion).toBe('loans-v1');
  expect(await servingPods(kept)).toEqual(await servingPods(serving));
  expect(await answeringVersion(kept)).toBe('1');
  expect((await readModelVersion('loans-v1')).metadata.deletionTimestamp).toBeDefined();

  // Pinned to version 2, the service rolls over; once no Pod of version 1 is left, it is released
  // and goes at once (well within the 30 s the blocked deletion is looked at again).
  await patchInferenceService(f, 'loans', { model: { version: 2 } });
  const moved = await readyInferenceService(f, 'loans', 2);
  expect(isvcCondition(moved, 'ModelResolved')?.status).toBe('True');
  await eventually(async () => {
    const gone = await readModelVersion('loans-v1').then(() => false, isNotFound);
    if (!gone) throw new Error('loans-v1 still exists');
  }, 15_000);
  await expectServedBy('loans-v2', ['loans']);
  expect(await answeringVersion(moved)).toBe('2');
});

it('keeps serving the only version of a stage when it is archived, and resolves again on a promotion', {
  timeout: 300_000,
}, async () => {
  await createInferenceService(f, 'loans-prod', {
    model: { name: MODEL, stage: 'production' },
    server: SERVER,
  });
  const serving = await readyInferenceService(f, 'loans-prod', 3);
  const pods = await servingPods(serving);
  expect(pods).toHaveLength(1);
  await expectServedBy('loans-v3', ['loans-prod']);

  await setStage(f, 'loans-v3', 'archived');
  const emptied = await eventually(async () => {
    const isvc = await readInferenceService(f, 'loans-prod');
    expect(isvcCondition(isvc, 'ModelResolved')).toMatchObject({
      status: 'False',
      reason: 'NoReadyVersionInStage',
      message: `primary: no Ready version of model ${MODEL} is in stage production; loans-v3 keeps serving`,
      observedGeneration: isvc.metadata.generation,
    });
    return isvc;
  }, 60_000);
  expect(isvcCondition(emptied, 'Ready')).toMatchObject({ status: 'False', reason: 'ModelNotResolved' });
  expect(emptied.status?.primary?.modelVersion).toBe('loans-v3');
  expect(emptied.status?.readyReplicas).toBe(1);
  expect((await servingEvents(f, 'loans-prod')).map((e) => [e.type, e.reason, e.note])).toContainEqual([
    'Warning',
    'NoReadyVersionInStage',
    `primary: no Ready version of model ${MODEL} is in stage production; loans-v3 keeps serving`,
  ]);
  // The same Pod serves and answers; the archived version stays in use, so it cannot be deleted.
  expect(await servingPods(emptied)).toEqual(pods);
  expect(await answeringVersion(emptied)).toBe('3');
  expect((await readModelVersion('loans-v3')).status?.servedBy).toEqual(['loans-prod']);

  // Promoted into the stage, version 2 resolves and takes over; version 3 is released.
  await setStage(f, 'loans-v2', 'production');
  const resolved = await readyInferenceService(f, 'loans-prod', 2);
  expect(isvcCondition(resolved, 'ModelResolved')).toMatchObject({
    status: 'True',
    reason: 'Resolved',
    message: 'resolved to primary loans-v2',
  });
  expect(await answeringVersion(resolved)).toBe('2');
  await expectServedBy('loans-v3', undefined);
  await expectServedBy('loans-v2', ['loans', 'loans-prod']);
});
