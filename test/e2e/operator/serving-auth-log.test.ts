// An InferenceService with bearer auth and a prediction log, on the real node, requests from a
// client Pod through the Service: a wrong token gets 401 with a JSON error, a right one 200, and a
// token added to the Secret later is taken by the running Pod (no restart). Every prediction is a
// row in the test's PostgreSQL, and feedback on one marks it verified with the true label.
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgresClient } from '../../integration/clients.ts';
import { eventually } from '../../integration/operator/harness.ts';
import {
  type ClientAnswer,
  createInferenceService,
  createSecret,
  isvcCondition,
  lastLine,
  readyInferenceService,
  requestFromPod,
  type ServingFixture,
  startClient,
  startServing,
  stopServing,
  TABULAR_REQUEST,
  trainedModelVersion,
} from './serving.ts';

const env = inject('environment');
let f: ServingFixture;
let url: string;
let selector: string;
/** A table of this run's own, so parallel runs and earlier ones do not meet. */
const TABLE = `e2e_predictions_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ALICE = 'alice-token-3f9c2e7d1b';
const BOB = 'bob-token-8a41d6c0e5';

beforeAll(async () => {
  f = await startServing(env, 'authlog');
  await trainedModelVersion(f, 'iris', 1);
  await createSecret(f, 'iris-tokens', { alice: ALICE });
  await createSecret(f, 'iris-predictions', { url: env.postgres.url });
  await createInferenceService(f, 'iris', {
    model: { name: 'iris', version: 1 },
    auth: { bearerTokenSecret: { name: 'iris-tokens' } },
    // A tabular model has no input images to store.
    predictionLog: { connectionSecret: { name: 'iris-predictions' }, table: TABLE, storeInputs: false },
  });
  const isvc = await readyInferenceService(f, 'iris', 1);
  expect(isvcCondition(isvc, 'PredictionLog')).toMatchObject({
    status: 'True',
    reason: 'Logging',
    message: `predictions are logged to table ${TABLE}`,
  });
  url = isvc.status?.url as string;
  selector = isvc.status?.selector as string;
}, 400_000);

afterAll(async () => {
  await stopServing(env, f);
  const db = postgresClient();
  await db.connect();
  await db.query(`DROP TABLE IF EXISTS "${TABLE}"`);
  await db.end();
});

const infer = (token?: string) =>
  requestFromPod(f, 'POST', `${url}/v2/models/iris/infer`, {
    json: TABULAR_REQUEST,
    ...(token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } }),
  });

/** The serving Pods by name, with their uid and restarts. */
async function servingPods() {
  const pods = await f.client.request<{ items: V1Pod[] }>('GET', `/api/v1/namespaces/${f.ns.watched}/pods`, {
    query: { labelSelector: selector },
  });
  return pods.items.map((p) => ({
    name: p.metadata?.name,
    uid: p.metadata?.uid,
    restarts: p.status?.containerStatuses?.[0]?.restartCount,
  }));
}

function expectUnauthorized(answer: ClientAnswer) {
  expect(answer.status).toBe(401);
  expect(answer.headers['www-authenticate']).toBe('Bearer realm="bosun"');
  expect(JSON.parse(answer.body)).toEqual({
    error: 'a valid bearer token is required: send Authorization: Bearer <token>',
  });
}

describe('bearer auth', () => {
  it('refuses a wrong or missing token with 401 and accepts a right one', { timeout: 120_000 }, async () => {
    expectUnauthorized(await infer('not-a-token'));
    expectUnauthorized(await infer());
    const answer = await infer(ALICE);
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { model_version: string }).model_version).toBe('1');
  });

  it('accepts a token added to the Secret later, without restarting the Pod', {
    timeout: 180_000,
  }, async () => {
    const before = await servingPods();
    expect(before).toHaveLength(1);
    expectUnauthorized(await infer(BOB));
    await f.client.request('PATCH', `/api/v1/namespaces/${f.ns.watched}/secrets/iris-tokens`, {
      body: { stringData: { bob: BOB } },
      contentType: 'application/merge-patch+json',
    });
    // The kubelet updates the mounted Secret, the server re-reads its tokens every 30 s.
    await eventually(async () => expect((await infer(BOB)).status).toBe(200), 120_000, 1000);
    expect((await infer(ALICE)).status).toBe(200);
    expectUnauthorized(await infer('not-a-token'));
    expect(await servingPods()).toEqual(before);
  });
});

interface PredictionRow {
  id: string;
  model: string;
  model_version: string;
  request_id: string;
  object_key: string | null;
  input: unknown;
  output: unknown;
  predicted_label: string | null;
  label: string | null;
  confidence: number | null;
  verified: boolean;
  verified_at: Date | null;
}

describe('the prediction log', () => {
  it('writes a row per prediction, and feedback marks one verified', { timeout: 180_000 }, async () => {
    const db = postgresClient();
    await db.connect();
    try {
      const rows = async () =>
        (await db.query<PredictionRow>(`SELECT * FROM "${TABLE}" ORDER BY created_at`)).rows;
      // Earlier predictions of this file (the auth tests, seconds ago) are logged too: count from here.
      const earlier = (await rows()).length;

      const answer = await infer(ALICE);
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.body) as {
        parameters: { prediction_id: string };
        outputs: { name: string; data: unknown[] }[];
      };
      const id = body.parameters.prediction_id;
      const label = body.outputs.find((o) => o.name === 'label')?.data[0] as string;
      const probabilities = body.outputs.find((o) => o.name === 'probabilities')?.data as number[];
      const row = await eventually(async () => {
        const [found] = (await db.query<PredictionRow>(`SELECT * FROM "${TABLE}" WHERE id = $1`, [id])).rows;
        expect(found).toBeDefined();
        return found as PredictionRow;
      }, 30_000);
      expect(row).toMatchObject({
        model: 'iris',
        model_version: '1',
        request_id: answer.headers['x-request-id'],
        object_key: null,
        predicted_label: label,
        label,
        verified: false,
        verified_at: null,
      });
      expect(row.input).toEqual({ x1: 1.5, x2: -1, city: 'oslo' });
      expect(row.confidence).toBeCloseTo(Math.max(...probabilities), 6);

      // Five more, each on its own connection: five more rows.
      const client = await startClient(f, [
        'connections',
        `${url}/v2/models/iris/infer`,
        '--json',
        TABULAR_REQUEST,
        '--header',
        `Authorization=Bearer ${ALICE}`,
        '--count',
        '5',
      ]);
      expect(lastLine(await client.finished())).toEqual({ versions: { 1: 5 }, failed: 0, errors: {} });
      await eventually(async () => expect((await rows()).length).toBe(earlier + 6), 30_000);

      const truth = label === 'low' ? 'mid' : 'low';
      const feedback = await requestFromPod(f, 'POST', `${url}/v2/models/iris/predictions/${id}/feedback`, {
        json: JSON.stringify({ label: truth }),
        headers: { Authorization: `Bearer ${ALICE}` },
      });
      expect(feedback.status).toBe(200);
      const given = JSON.parse(feedback.body) as Record<string, unknown>;
      expect(given).toEqual({
        id,
        label: truth,
        predicted_label: label,
        verified: true,
        verified_at: expect.any(String),
      });
      const [verified] = (await db.query<PredictionRow>(`SELECT * FROM "${TABLE}" WHERE id = $1`, [id])).rows;
      expect(verified).toMatchObject({ label: truth, predicted_label: label, verified: true });
      expect(verified?.verified_at?.toISOString()).toBe(given.verified_at);
      // Only that one: every other row is as it was logged.
      const others = (await rows()).filter((r) => r.id !== id);
      expect(others.filter((r) => r.verified || r.label !== r.predicted_label)).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
