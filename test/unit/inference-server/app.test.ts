// The HTTP layer's own rules, on the app with a model whose runs the test holds: Content-Types a
// route does not take get 415, the time limit answers 504, and feedback and predictions have
// separate concurrency caps, so neither can use up the other's.
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, MAX_FEEDBACK_IN_FLIGHT } from '../../../images/inference-server/app.ts';
import { Batcher } from '../../../images/inference-server/batcher.ts';
import type { HostTensor } from '../../../images/inference-server/datatypes.ts';
import { Metrics } from '../../../images/inference-server/metrics.ts';
import type { Model, TensorSpec } from '../../../images/inference-server/model.ts';
import type { PredictionLog } from '../../../images/inference-server/prediction-log.ts';
import type { ServingState } from '../../../images/inference-server/serving-state.ts';

const X: TensorSpec = { name: 'x', datatype: 'FP32', shape: ['N', 2] };
const Y: TensorSpec = { name: 'y', datatype: 'FP32', shape: ['N', 2] };
const PREDICTION_ID = '00000000-0000-4000-8000-000000000000';

/** Held work: every call waits until the test releases it. */
function held<T>(value: T) {
  const waiting: (() => void)[] = [];
  return {
    call: () => new Promise<T>((resolve) => waiting.push(() => resolve(value))),
    get count() {
      return waiting.length;
    },
    release: () => {
      for (const go of waiting.splice(0)) go();
    },
  };
}

/** An identity model x → y whose runs the test holds when `hold` is given. */
function fakeModel(hold?: ReturnType<typeof held<void>>): Model {
  return {
    inputs: [X],
    outputs: [Y],
    batchable: true,
    input: (name: string) => (name === 'x' ? X : undefined),
    output: (name: string) => (name === 'y' ? Y : undefined),
    run: async (feeds: Record<string, HostTensor>) => {
      await hold?.call();
      return { y: feeds.x as HostTensor };
    },
  } as unknown as Model;
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(
  options: { hold?: ReturnType<typeof held<void>>; timeoutMs?: number; maxConcurrency?: number } = {},
  predictionLog?: PredictionLog,
) {
  const model = fakeModel(options.hold);
  const state: ServingState = {
    name: 'm',
    version: '1',
    draining: false,
    maxTensorElements: 1000,
    timeoutMs: options.timeoutMs ?? 60_000,
    served: {
      model,
      batcher: new Batcher(model, { maxBatchSize: 1, windowMs: 0 }),
      signature: {},
      sha256: 'a'.repeat(64),
    },
  };
  const metrics = new Metrics('m');
  app = await buildApp({
    state,
    log: pino({ level: 'silent' }),
    metrics,
    maxRequestBytes: 65_536,
    maxConcurrency: options.maxConcurrency ?? 64,
    ...(predictionLog ? { predictionLog } : {}),
  });
  return { app, metrics, state };
}

const INFER = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] });
const infer = (a: FastifyInstance, contentType?: string) =>
  a.inject({
    method: 'POST',
    url: '/v2/models/m/infer',
    payload: INFER,
    headers: contentType ? { 'content-type': contentType } : {},
  });
const feedback = (a: FastifyInstance, contentType = 'application/json') =>
  a.inject({
    method: 'POST',
    url: `/v2/models/m/predictions/${PREDICTION_ID}/feedback`,
    payload: JSON.stringify({ label: 'cat' }),
    headers: { 'content-type': contentType },
  });

describe('Content-Type', () => {
  it('answers 415 with a JSON error for a type the route does not take', async () => {
    const { app } = await start();
    for (const [url, type, takes] of [
      ['/v2/models/m/infer', 'text/plain;charset=UTF-8', 'application/json, application/octet-stream'],
      ['/v2/models/m/infer', 'application/x-www-form-urlencoded', 'application/json'],
      ['/v2/models/m/classify', 'multipart/form-data; boundary=x', 'image/jpeg, image/png, image/webp'],
      ['/v2/models/m/classify', 'image/gif', 'image/jpeg'],
      [`/v2/models/m/predictions/${PREDICTION_ID}/feedback`, 'text/plain', 'application/json'],
    ] as const) {
      const answer = await app.inject({
        method: 'POST',
        url,
        payload: 'x',
        headers: { 'content-type': type },
      });
      expect(answer.statusCode, `${url} ${type}`).toBe(415);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      const body = answer.json() as { error: string };
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toContain(
        `Content-Type ${type.split(';')[0]?.toLowerCase()} is not accepted here; send`,
      );
      expect(body.error).toContain(takes);
    }
  });

  it('takes the route’s types with parameters in any case, and a body without a Content-Type', async () => {
    const { app } = await start();
    for (const type of [
      'application/json',
      'Application/JSON; charset=utf-8',
      'application/octet-stream',
      undefined,
    ])
      expect((await infer(app, type)).statusCode, String(type)).toBe(200);
  });
});

describe('limits', () => {
  it('answers 504 when the model does not answer within the time limit, and counts it', async () => {
    const hold = held<void>(undefined);
    const { app, metrics } = await start({ hold, timeoutMs: 50 });
    const answer = await infer(app, 'application/json');
    expect(answer.statusCode).toBe(504);
    expect(answer.json()).toEqual({
      error: "the request did not finish within 0.05 s, the server's time limit",
    });
    expect(await metrics.registry.getSingleMetricAsString('bosun_inference_rejected_total')).toMatch(
      /reason="timeout"\} 1/,
    );
    hold.release();
  });

  it('keeps answering feedback while predictions fill their cap', async () => {
    const hold = held<void>(undefined);
    const { app } = await start({ hold, maxConcurrency: 2 });
    const inFlight = [infer(app), infer(app)];
    while (hold.count < 2) await new Promise((r) => setImmediate(r));
    const refused = await infer(app);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json().error).toMatch(/limit of 2 requests in flight/);
    // Not a prediction: it reaches its route (which has no prediction log here) and is answered.
    const answer = await feedback(app);
    expect(answer.statusCode).toBe(404);
    expect(answer.json().error).toMatch(/needs the prediction log/);
    hold.release();
    for (const a of await Promise.all(inFlight)) expect(a.statusCode).toBe(200);
  });

  it('caps feedback calls on their own, without taking prediction slots', async () => {
    const pending = held<undefined>(undefined);
    const log = { feedback: () => pending.call(), record: () => true } as unknown as PredictionLog;
    const { app, metrics } = await start({ maxConcurrency: 1 }, log);
    const calls = Array.from({ length: MAX_FEEDBACK_IN_FLIGHT }, () => feedback(app));
    while (pending.count < MAX_FEEDBACK_IN_FLIGHT) await new Promise((r) => setImmediate(r));
    const refused = await feedback(app);
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatch(
      new RegExp(`limit of ${MAX_FEEDBACK_IN_FLIGHT} feedback calls in flight`),
    );
    // The one prediction slot is still free.
    expect((await infer(app)).statusCode).toBe(200);
    expect(await metrics.registry.getSingleMetricAsString('bosun_inference_rejected_total')).toMatch(
      /reason="feedback_concurrency"\} 1/,
    );
    pending.release();
    for (const a of await Promise.all(calls)) expect(a.statusCode).toBe(404);
    // Their slots are free again.
    const again = feedback(app);
    while (pending.count < 1) await new Promise((r) => setImmediate(r));
    pending.release();
    expect((await again).statusCode).toBe(404);
  });
});

describe('draining', () => {
  it('still answers while draining, but ends each connection so keep-alive clients move on', async () => {
    const { app, state } = await start();
    expect((await infer(app)).headers.connection).not.toBe('close');
    state.draining = true;
    const answer = await infer(app);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers.connection).toBe('close');
  });
});
