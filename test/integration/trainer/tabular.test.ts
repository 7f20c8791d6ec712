// The trainer CLI end to end on a real MinIO: tabular datasets in, a checked ONNX model, metrics,
// signature and plots out, and bad inputs ending with a clear message and nothing uploaded.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { publishManifest } from '../../../lib/store/publish.ts';
import { syntheticRows, toCsv, toJsonl } from '../../unit/trainer/synthetic.ts';
import { type BucketFixture, freshBucket } from '../clients.ts';
import { publishDataset, runTrainer } from './helpers.ts';

const COLUMNS = ['x1', 'x2', 'city', 'cls', 'score'] as const;

async function tabularDataset(t: BucketFixture, name: string, classes = 3) {
  const rows = syntheticRows(2000, 7, classes);
  return publishDataset(t, name, [
    { path: 'rows/part-1.csv', data: toCsv(rows.slice(0, 1000), [...COLUMNS]) },
    { path: 'rows/part-2.jsonl', data: toJsonl(rows.slice(1000), [...COLUMNS]) },
  ]);
}

describe('trainer CLI on tabular data', () => {
  it('trains logistic regression and publishes a model that serves raw values', async () => {
    const t = await freshBucket('trainer');
    const manifest = await tabularDataset(t, 'table');
    const run = await runTrainer(
      { ...t.env, BOSUN_HYPERPARAMETERS: JSON.stringify({ target: 'cls', columns: { score: 'ignore' } }) },
      [
        '--task',
        'tabular-classification',
        '--algorithm',
        'logistic',
        '--manifest',
        manifest.uri,
        '--manifest-sha256',
        manifest.sha256,
        '--output',
        `s3://${t.bucket}/runs/default/r1/`,
      ],
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"msg":"training"');

    const keys = (await t.store.list('runs/default/r1/')).sort();
    expect(keys).toEqual([
      'runs/default/r1/metrics.json',
      'runs/default/r1/model.onnx',
      'runs/default/r1/plots/confusion-matrix.png',
      'runs/default/r1/plots/training-curve.png',
      'runs/default/r1/signature.json',
    ]);
    const metrics = JSON.parse((await t.store.getObject('runs/default/r1/metrics.json')).toString());
    expect(metrics.accuracy).toBeGreaterThan(0.9);
    expect(metrics.macro_f1).toBeGreaterThan(0.9);
    expect(metrics['recall.high']).toBeGreaterThan(0.8);
    const signature = JSON.parse((await t.store.getObject('runs/default/r1/signature.json')).toString());
    expect(signature.labels).toEqual(['high', 'low', 'mid']);
    expect(signature.inputs.map((i: { name: string }) => i.name).sort()).toEqual(['city', 'x1', 'x2']);

    const png = await t.store.getObject('runs/default/r1/plots/confusion-matrix.png');
    expect(png.subarray(1, 4).toString()).toBe('PNG');

    const session = await ort.InferenceSession.create(await t.store.getObject('runs/default/r1/model.onnx'));
    const out = await session.run({
      x1: new ort.Tensor('float32', Float32Array.from([1.5, -1.5, Number.NaN]), [3, 1]),
      x2: new ort.Tensor('float32', Float32Array.from([-1, 1, 0]), [3, 1]),
      city: new ort.Tensor('string', ['oslo', 'lima', 'atlantis'], [3, 1]),
    });
    expect(Array.from(out.label?.data as string[]).slice(0, 2)).toEqual(['high', 'low']);
    const p = out.probabilities?.data as Float32Array;
    for (let i = 0; i < 3; i++) {
      const row = Array.from(p.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });

  it('trains gradient-boosted trees for regression', async () => {
    const t = await freshBucket('trainer');
    const manifest = await tabularDataset(t, 'reg');
    const run = await runTrainer({
      ...t.env,
      BOSUN_TASK: 'tabular-regression',
      BOSUN_ALGORITHM: 'gbdt',
      BOSUN_INPUT_MANIFEST: manifest.uri,
      BOSUN_OUTPUT_PREFIX: `s3://${t.bucket}/runs/default/r2/`,
      BOSUN_HYPERPARAMETERS: JSON.stringify({
        target: 'score',
        columns: { cls: 'ignore' },
        maxIterations: 60,
      }),
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const metrics = JSON.parse((await t.store.getObject('runs/default/r2/metrics.json')).toString());
    expect(metrics.r2).toBeGreaterThan(0.9);
    expect(metrics.rmse).toBeGreaterThan(0);
    expect(await t.store.exists('runs/default/r2/plots/predicted-vs-actual.png')).toBe(true);
  });

  const failures: [string, (t: BucketFixture) => Promise<Record<string, string>>, RegExp][] = [
    [
      'an empty dataset',
      async (t) => ({ BOSUN_INPUT_MANIFEST: (await publishDataset(t, 'empty', [])).uri }),
      /the input manifest lists no items/,
    ],
    [
      'a dataset with only a header',
      async (t) => ({
        BOSUN_INPUT_MANIFEST: (
          await publishDataset(t, 'header', [{ path: 'a.csv', data: Buffer.from('x1,cls\n') }])
        ).uri,
      }),
      /the dataset has no rows/,
    ],
    [
      'one class',
      async (t) => ({
        BOSUN_INPUT_MANIFEST: (
          await publishDataset(t, 'one', [{ path: 'a.csv', data: Buffer.from('x1,cls\n1,a\n2,a\n3,a\n') }])
        ).uri,
      }),
      /only one class \("a"\)/,
    ],
    [
      'an unknown target column',
      async (t) => ({
        BOSUN_INPUT_MANIFEST: (await tabularDataset(t, 'unknown')).uri,
        BOSUN_HYPERPARAMETERS: JSON.stringify({ target: 'species' }),
      }),
      /unknown target column "species"; the columns are "x1", "x2", "city", "cls", "score"/,
    ],
    [
      'an unknown column override',
      async (t) => ({
        BOSUN_INPUT_MANIFEST: (await tabularDataset(t, 'override')).uri,
        BOSUN_HYPERPARAMETERS: JSON.stringify({ target: 'cls', columns: { colour: 'ignore' } }),
      }),
      /unknown column "colour"/,
    ],
    [
      'a misspelt hyperparameter',
      async (t) => ({
        BOSUN_INPUT_MANIFEST: (await tabularDataset(t, 'typo')).uri,
        BOSUN_HYPERPARAMETERS: JSON.stringify({ target: 'cls', maxIteratons: 5 }),
      }),
      /invalid hyperparameters: maxIteratons: Unexpected property/,
    ],
    [
      'a manifest that changed after it was pinned',
      async (t) => ({
        BOSUN_INPUT_MANIFEST: (await tabularDataset(t, 'pinned')).uri,
        BOSUN_INPUT_MANIFEST_SHA256: '0'.repeat(64),
      }),
      /manifest sha256 is [0-9a-f]{64}, expected 0{64}/,
    ],
    [
      'a corrupt blob',
      async (t) => {
        const m = await publishDataset(t, 'corrupt', [
          { path: 'a.csv', data: Buffer.from('x1,cls\n1,a\n2,b\n') },
        ]);
        const key = (await t.store.list('objects/default/'))[0] as string;
        await t.store.putObject(key, Buffer.from('x1,cls\n1,a\n2,c\n'));
        return { BOSUN_INPUT_MANIFEST: m.uri };
      },
      /blob [0-9a-f]{64} is corrupt/,
    ],
    [
      'a manifest of another namespace',
      async (t) => ({
        BOSUN_INPUT_MANIFEST: (
          await publishDataset(
            t,
            'theirs',
            [{ path: 'a.csv', data: Buffer.from('x1,cls\n1,a\n2,b\n') }],
            'team-b',
          )
        ).uri,
      }),
      /BOSUN_INPUT_MANIFEST must lie under the namespace's own prefixes \(models\/default\//,
    ],
    [
      'an item whose blob only another namespace has',
      async (t) => {
        // The digest of another namespace's blob does not give access to its bytes.
        const blob = await t.store.putBlob('team-b', Buffer.from('x1,cls\n1,a\n2,b\n'));
        const manifestKey = 'datasets/default/borrowed/snapshots/1/full.jsonl.gz';
        await publishManifest(t.store, {
          namespace: 'default',
          manifestKey,
          summaryKey: 'datasets/default/borrowed/snapshots/1/full.json',
          items: () => [
            {
              path: 'a.csv',
              sha256: blob.sha256,
              size: blob.size,
              label: null,
              source: 'gold',
              verified: true,
              collectedAt: '2026-01-01T00:00:00Z',
              attributes: {},
            },
          ],
          summary: () => ({}),
          checkBlobs: false,
        });
        return { BOSUN_INPUT_MANIFEST: `s3://${t.bucket}/${manifestKey}` };
      },
      /objects\/default\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64} does not exist/,
    ],
    [
      'no namespace',
      async (t) => ({ BOSUN_INPUT_MANIFEST: (await tabularDataset(t, 'nons')).uri, BOSUN_NAMESPACE: '' }),
      /BOSUN_NAMESPACE is not set/,
    ],
    [
      'a missing store secret',
      async (t) => ({
        BOSUN_INPUT_MANIFEST: (await tabularDataset(t, 'secret')).uri,
        BOSUN_STORE_SECRET_KEY: '',
      }),
      /BOSUN_STORE_SECRET_KEY is not set/,
    ],
  ];

  for (const [what, prepare, message] of failures)
    it(`fails clearly on ${what} and uploads nothing`, async () => {
      const t = await freshBucket('trainer');
      const env = {
        ...t.env,
        BOSUN_TASK: 'tabular-classification',
        BOSUN_ALGORITHM: 'logistic',
        BOSUN_OUTPUT_PREFIX: `s3://${t.bucket}/runs/default/bad/`,
        BOSUN_HYPERPARAMETERS: JSON.stringify({ target: 'cls' }),
      };
      const run = await runTrainer({ ...env, ...(await prepare(t)) });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(await t.store.list('runs/')).toEqual([]);
    });
});
