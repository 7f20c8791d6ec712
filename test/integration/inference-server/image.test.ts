// The image endpoint: JPEG, PNG and WebP bodies are preprocessed as the image trainer decodes its
// training images and classified into top-k labels, equal to ONNX Runtime run in-process.
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../../images/trainer/data/images.ts';
import { runModel } from '../../../lib/onnx/verify.ts';
import { IMAGE_LABELS, imageClassifier, seeded } from '../../unit/inference-server/test-models.ts';
import { call, type Served, serve } from './helpers.ts';

const SIZE = 16;
const model = imageClassifier(SIZE, 4);
let s: Served;
beforeAll(async () => {
  s = await serve('pets', model);
});
afterAll(() => s?.close());

/** A noisy 40×28 photo-like picture, with an alpha channel. */
async function picture(seed: number): Promise<Sharp> {
  const random = seeded(seed);
  const w = 40;
  const h = 28;
  const pixels = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    pixels[i * 4] = (i % w) * 6 + random() * 40;
    pixels[i * 4 + 1] = Math.floor(i / w) * 9 + random() * 40;
    pixels[i * 4 + 2] = random() * 255;
    pixels[i * 4 + 3] = 128 + random() * 127;
  }
  return sharp(pixels, { raw: { width: w, height: h, channels: 4 } });
}

/** What the trainer's own decoding and ONNX Runtime say, sorted as the server sorts. */
async function expected(bytes: Buffer): Promise<{ label: string; probability: number }[]> {
  const rgb = await decodeImage('test', bytes, SIZE, 'cover');
  const plane = SIZE * SIZE;
  const chw = new Float32Array(plane * 3);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) chw[c * plane + i] = rgb[i * 3 + c] as number;
  const out = await runModel(model.bytes, { image: { dims: [1, 3, SIZE, SIZE], data: chw } }, [
    'probabilities',
  ]);
  const p = Array.from(out.probabilities as Float32Array);
  return IMAGE_LABELS.map((label, i) => ({ label, probability: p[i] as number })).sort(
    (a, b) => b.probability - a.probability,
  );
}

/**
 * Same labels in the same order, probabilities equal to float32 rounding: the server optimises the
 * graph fully (fused operators), which changes the last bits.
 */
function expectSame(got: unknown, want: { label: string; probability: number }[]): void {
  const predictions = got as { label: string; probability: number }[];
  expect(predictions.map((p) => p.label)).toEqual(want.map((p) => p.label));
  for (const [i, p] of predictions.entries())
    expect(Math.abs(p.probability - (want[i]?.probability as number))).toBeLessThan(1e-6);
}

const classify = (body: Buffer, query = '', headers: Record<string, string> = {}) =>
  call(`${s.url}/v2/models/pets/classify${query}`, { method: 'POST', body, headers });

describe('the image endpoint', () => {
  it.each(['jpeg', 'png', 'webp'] as const)(
    'classifies a %s exactly as the trainer decodes it',
    async (format) => {
      const bytes = await (await picture(3))[format]().toBuffer();
      const answer = await classify(bytes, '', { 'content-type': `image/${format}` });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toMatchObject({ model_name: 'pets', model_version: '1' });
      expectSame(answer.body.predictions, await expected(bytes));
      const total = (answer.body.predictions as { probability: number }[]).reduce(
        (a, p) => a + p.probability,
        0,
      );
      expect(total).toBeCloseTo(1, 5);
    },
  );

  it('returns the top k labels, most probable first', async () => {
    const bytes = await (await picture(5)).png().toBuffer();
    const answer = await classify(bytes, '?top_k=2');
    expectSame(answer.body.predictions, (await expected(bytes)).slice(0, 2));
  });

  it.each([
    ['?top_k=0', /top_k must be an integer from 1 to 4/],
    ['?top_k=5', /top_k must be an integer from 1 to 4/],
    ['?top_k=two', /top_k must be an integer/],
  ])('refuses %s', async (query, error) => {
    const answer = await classify(await (await picture(1)).png().toBuffer(), query);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(error);
  });

  it('refuses bodies that are not images, are empty, or cannot be decoded', async () => {
    const text = await classify(Buffer.from('hello, not an image'), '', { 'content-type': 'image/jpeg' });
    expect(text.status).toBe(415);
    expect(text.body.error).toMatch(/not a JPEG, PNG or WebP image/);
    const empty = await classify(Buffer.alloc(0));
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatch(/body is empty/);
    const jpeg = await (await picture(2)).jpeg().toBuffer();
    const truncated = await classify(Buffer.concat([jpeg.subarray(0, 40), Buffer.alloc(200, 7)]));
    expect(truncated.status).toBe(400);
    expect(truncated.body.error).toMatch(/the image cannot be decoded/);
    expect((await call(`${s.url}/v2/health/ready`)).status).toBe(200);
  });

  it('takes spec.preprocessing for a model registered without signature.json', async () => {
    const bare = { bytes: model.bytes };
    // Pixels scaled to [0, 1] and divided by 1/255 are the 0-255 values the graph expects.
    const preprocessing = {
      size: { width: SIZE, height: SIZE },
      fit: 'cover',
      mean: [0],
      std: [1 / 255],
      labels: IMAGE_LABELS,
    };
    const byHand = await serve('pets', bare, { BOSUN_PREPROCESSING: JSON.stringify(preprocessing) });
    try {
      const bytes = await (await picture(8)).jpeg().toBuffer();
      const answer = await call(`${byHand.url}/v2/models/pets/classify`, { method: 'POST', body: bytes });
      const want = await expected(bytes);
      expectSame(answer.body.predictions, want);
    } finally {
      await byHand.close();
    }
  });

  it('refuses to start when the preprocessing does not fit the model', async () => {
    const preprocessing = { size: { width: 32, height: 32 }, labels: IMAGE_LABELS };
    await expect(
      serve('pets', { bytes: model.bytes }, { BOSUN_PREPROCESSING: JSON.stringify(preprocessing) }),
    ).rejects.toThrow(
      /model's input 'image' has shape \[N, 3, 16, 16\], preprocessing makes \[1, 3, 32, 32\]/,
    );
  });
});
