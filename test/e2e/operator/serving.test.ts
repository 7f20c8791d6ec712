// The InferenceService controller on the real control plane and node, requests from a client Pod
// through the Service: a pinned InferenceService of a built-in trainer's tabular model answers OIP v2
// infer; the image model answers classify with the label and probabilities the model itself gives;
// a spec.preprocessing that does not fit the model is a ServerFailing condition with the server's
// reason while the version that served keeps serving.
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeForModel } from '../../../lib/image/decode.ts';
import type { InferenceService } from '../../../operator/api/inference-service.ts';
import { eventually } from '../../integration/operator/harness.ts';
import { STRIPE_CLASSES, stripeImages } from '../../unit/trainer/synthetic-images.ts';
import {
  createInferenceService,
  isvcCondition,
  patchInferenceService,
  readInferenceService,
  readyInferenceService,
  requestFromPod,
  type ServingFixture,
  servingEvents,
  startServing,
  stopServing,
  TABULAR_REQUEST,
  trainedModelVersion,
} from './serving.ts';

const env = inject('environment');
let f: ServingFixture;

beforeAll(async () => {
  f = await startServing(env, 'serve');
}, 300_000);

afterAll(async () => {
  await stopServing(env, f);
});

describe('a pinned InferenceService', () => {
  it('answers OIP v2 infer through its Service with the pinned version', { timeout: 400_000 }, async () => {
    const mv = await trainedModelVersion(f, 'iris', 1);
    await createInferenceService(f, 'iris', { model: { name: 'iris', version: 1 } });
    const isvc = await readyInferenceService(f, 'iris', 1);
    expect(isvc.status?.primary).toEqual({
      modelVersion: 'iris-v1',
      version: 1,
      sha256: mv.spec.artifact.sha256,
    });
    expect(isvc.status?.url).toBe(`http://iris.${f.ns.watched}.svc:8080`);
    const answer = await requestFromPod(f, 'POST', `${isvc.status?.url}/v2/models/iris/infer`, {
      json: TABULAR_REQUEST,
    });
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as {
      model_name: string;
      model_version: string;
      outputs: { name: string }[];
    };
    expect(body.model_name).toBe('iris');
    expect(body.model_version).toBe('1');
    expect(body.outputs.map((o) => o.name)).toContain('label');
  });
});

interface Classification {
  model_name: string;
  model_version: string;
  predictions: { label: string; probability: number }[];
}

/** The image models are trained at this size (serving.ts), so a PNG of it is served pixel for pixel. */
const IMAGE_SIZE = 16;

describe('the image model', () => {
  let url: string;
  let png: Buffer;
  let expected: number[];

  beforeAll(async () => {
    await trainedModelVersion(f, 'stripes', 1, { kind: 'image' });
    await createInferenceService(f, 'stripes', { model: { name: 'stripes', version: 1 } });
    const [probe] = (await stripeImages(1, 99, IMAGE_SIZE)).filter((i) => i.label === 'vertical');
    png = await sharp(probe?.data).png().toBuffer();
    // What the model itself answers for these pixels, decoded as trainer and server decode them
    // (the signature's range is [0, 255], normalisation is inside the graph).
    const rgb = await decodeForModel(png, { width: IMAGE_SIZE, height: IMAGE_SIZE, fit: 'cover' });
    const plane = IMAGE_SIZE * IMAGE_SIZE;
    const planes = new Float32Array(3 * plane);
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < 3; c++) planes[c * plane + p] = rgb[p * 3 + c] as number;
    const session = await ort.InferenceSession.create(
      await f.bucket.store.getObject(`models/${f.ns.watched}/stripes/1/model.onnx`),
    );
    const out = await session.run({
      image: new ort.Tensor('float32', planes, [1, 3, IMAGE_SIZE, IMAGE_SIZE]),
    });
    expected = Array.from(out.probabilities?.data as Float32Array);
    url = (await readyInferenceService(f, 'stripes', 1)).status?.url as string;
  }, 400_000);

  const classify = () =>
    requestFromPod(f, 'POST', `${url}/v2/models/stripes/classify?top_k=3`, {
      bodyBase64: png.toString('base64'),
      headers: { 'Content-Type': 'image/png' },
    });

  it('answers classify with the label and probabilities of the model', { timeout: 120_000 }, async () => {
    const answer = await classify();
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as Classification;
    expect(body.model_name).toBe('stripes');
    expect(body.model_version).toBe('1');
    // Every label once, most probable first, each with the model's own probability.
    expect(body.predictions.map((p) => p.label).sort()).toEqual([...STRIPE_CLASSES]);
    const probabilities = body.predictions.map((p) => p.probability);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
    for (const p of body.predictions)
      expect(p.probability).toBeCloseTo(expected[STRIPE_CLASSES.indexOf(p.label as 'vertical')] as number, 5);
    const top = expected.indexOf(Math.max(...expected));
    expect(body.predictions[0]?.label).toBe(STRIPE_CLASSES[top]);
  });

  it('reports a preprocessing that does not fit the model as ServerFailing, while version 1 keeps serving', {
    timeout: 300_000,
  }, async () => {
    const before = await readInferenceService(f, 'stripes');
    // The model takes [1, 3, 16, 16]; 32×32 cannot be fed to it, which the server refuses at start.
    await patchInferenceService(f, 'stripes', { preprocessing: { size: { width: 32, height: 32 } } });
    const failing = await eventually(async () => {
      const isvc = await readInferenceService(f, 'stripes');
      const ready = isvcCondition(isvc, 'Ready');
      if (ready?.reason !== 'ServerFailing' || ready.observedGeneration !== isvc.metadata.generation)
        throw new Error(`not ServerFailing yet: ${JSON.stringify(isvc.status?.conditions)}`);
      return isvc;
    }, 180_000);
    expect(failing.metadata.generation).toBeGreaterThan(before.metadata.generation as number);
    const ready = isvcCondition(failing, 'Ready');
    expect(ready?.status).toBe('False');
    expect(ready?.message).toContain('stripes-v1 (primary) does not start');
    expect(ready?.message).toContain('exited with code 1');
    expect(ready?.message).toContain(
      "ConfigInvalid: image preprocessing is configured, but the model's input 'image' has shape",
    );
    expect(ready?.message).toContain('preprocessing makes [1, 3, 32, 32]');
    expect(isvcCondition(failing, 'Progressing')).toMatchObject({ status: 'False', reason: 'ServerFailing' });
    expect(failing.status?.primary).toEqual(before.status?.primary);
    expect((await servingEvents(f, 'stripes')).map((e) => [e.type, e.reason])).toContainEqual([
      'Warning',
      'ServerFailing',
    ]);

    // The Pod of the working template was never stopped: it answers as before.
    const answer = await classify();
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as Classification).model_version).toBe('1');

    // Taking the preprocessing out again brings the service back to Ready.
    await patchInferenceService(f, 'stripes', { preprocessing: null });
    const back: InferenceService = await readyInferenceService(f, 'stripes', 1);
    expect(isvcCondition(back, 'Progressing')?.reason).toBe('RolloutFinished');
  });
});
