// The trainer CLI on an imagefolder snapshot in a real MinIO: a CNN that learns stripes, served
// from a raw JPEG with the preprocessing its signature describes; unreadable images fail clearly.
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { stripeImages } from '../../unit/trainer/synthetic-images.ts';
import { freshBucket } from '../clients.ts';
import { publishDataset, runTrainer } from './helpers.ts';

describe('trainer CLI on images', () => {
  it('trains a CNN whose exported model classifies a raw JPEG', async () => {
    const t = await freshBucket('trainer');
    const images = await stripeImages(80);
    const manifest = await publishDataset(t, 'photos', images);
    const run = await runTrainer({
      ...t.env,
      BOSUN_TASK: 'image-classification',
      BOSUN_ALGORITHM: 'cnn',
      BOSUN_INPUT_MANIFEST: manifest.uri,
      BOSUN_OUTPUT_PREFIX: `s3://${t.bucket}/runs/default/img/`,
      BOSUN_HYPERPARAMETERS: JSON.stringify({ imageSize: 16, epochs: 10 }),
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/"epoch":10,.*"itemsPerSecond":\d+/);
    const metrics = JSON.parse((await t.store.getObject('runs/default/img/metrics.json')).toString());
    expect(metrics.accuracy).toBeGreaterThan(0.8);
    const signature = JSON.parse((await t.store.getObject('runs/default/img/signature.json')).toString());
    expect(signature.labels).toEqual(['diagonal', 'horizontal', 'vertical']);
    expect(signature.preprocessing).toMatchObject({
      size: [16, 16],
      fit: 'cover',
      channelOrder: 'RGB',
      layout: 'NCHW',
    });

    // Serve a fresh JPEG as a server would: resize per the signature, RGB planes in 0–255.
    const [probe] = (await stripeImages(1, 99)).filter((i) => i.label === 'vertical');
    const { data } = await sharp(probe?.data)
      .removeAlpha()
      .resize(16, 16, { fit: 'cover' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const planes = new Float32Array(3 * 256);
    for (let p = 0; p < 256; p++) for (let c = 0; c < 3; c++) planes[c * 256 + p] = data[p * 3 + c] as number;
    const session = await ort.InferenceSession.create(await t.store.getObject('runs/default/img/model.onnx'));
    const out = await session.run({ image: new ort.Tensor('float32', planes, [1, 3, 16, 16]) });
    const probabilities = Array.from(out.probabilities?.data as Float32Array);
    expect(probabilities).toHaveLength(3);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(out.label?.data).toHaveLength(1);
  });

  it('fails clearly on an unreadable image and uploads nothing', async () => {
    const t = await freshBucket('trainer');
    const images = await stripeImages(3);
    const manifest = await publishDataset(t, 'broken', [
      ...images,
      { path: 'vertical/broken.jpg', label: 'vertical', data: Buffer.from('this is not a JPEG') },
    ]);
    const run = await runTrainer({
      ...t.env,
      BOSUN_TASK: 'image-classification',
      BOSUN_ALGORITHM: 'cnn',
      BOSUN_INPUT_MANIFEST: manifest.uri,
      BOSUN_OUTPUT_PREFIX: `s3://${t.bucket}/runs/default/broken/`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/item "vertical\/broken.jpg" is not a readable image/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await t.store.list('runs/')).toEqual([]);
  });

  it('fails clearly on an unknown algorithm', async () => {
    const t = await freshBucket('trainer');
    const manifest = await publishDataset(t, 'algo', await stripeImages(2));
    const run = await runTrainer({
      ...t.env,
      BOSUN_TASK: 'image-classification',
      BOSUN_ALGORITHM: 'resnet',
      BOSUN_INPUT_MANIFEST: manifest.uri,
      BOSUN_OUTPUT_PREFIX: `s3://${t.bucket}/runs/default/algo/`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: unknown algorithm "resnet" for image-classification; choose cnn\n');
  });
});
