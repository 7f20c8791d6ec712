// The example custom trainer (test/e2e/images/example-trainer, no Bosun code) run as its Job runs
// it, against the real MinIO: a tabular snapshot in, a model that onnxruntime loads and that
// classifies rows as the metrics say, and user errors ending with exit 1 and their reason.
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type SyntheticRow, syntheticRows, toCsv, toJsonl } from '../../unit/trainer/synthetic.ts';
import { type BucketFixture, freshBucket } from '../clients.ts';
import { runEntryPoint } from '../entry-point.ts';
import { publishDataset } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../e2e/images/example-trainer/main.ts', import.meta.url));
// score would give the class away; city is text, which this trainer leaves out.
const COLUMNS: (keyof SyntheticRow)[] = ['x1', 'x2', 'city', 'cls'];
const ROWS = syntheticRows(600, 11);

async function tabularSnapshot(t: BucketFixture) {
  return publishDataset(t, 'table', [
    { path: 'rows/part-1.csv', data: toCsv(ROWS.slice(0, 300), COLUMNS) },
    { path: 'rows/part-2.jsonl', data: toJsonl(ROWS.slice(300), COLUMNS) },
  ]);
}

function run(t: BucketFixture, env: Record<string, string>, args: string[] = []) {
  return runEntryPoint(MAIN, args, {
    ...t.env,
    BOSUN_NAMESPACE: 'default',
    BOSUN_OUTPUT_PREFIX: `s3://${t.bucket}/runs/default/r1/`,
    ...env,
  });
}

const logLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const column = (values: (number | null)[]) =>
  new ort.Tensor(
    'float32',
    Float32Array.from(values, (v) => v ?? Number.NaN),
    [values.length, 1],
  );

describe('the example custom trainer', () => {
  it('trains on a tabular snapshot and writes a model that classifies rows as its metrics say', async () => {
    const t = await freshBucket('example-trainer');
    const snapshot = await tabularSnapshot(t);
    const env = {
      BOSUN_INPUT_MANIFEST: snapshot.uri,
      BOSUN_INPUT_MANIFEST_SHA256: snapshot.sha256,
      BOSUN_HYPERPARAMETERS: JSON.stringify({ target: 'cls' }),
    };
    const first = await run(t, env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = logLines(first.stdout);
    expect(lines.find((l) => l.msg === 'manifest read')).toMatchObject({ items: 2, sha256: snapshot.sha256 });
    expect(lines.find((l) => l.msg === 'training')).toMatchObject({ iteration: 1, features: 2, classes: 3 });
    expect(lines.filter((l) => l.msg === 'uploaded').map((l) => l.key)).toEqual([
      'runs/default/r1/model.onnx',
      'runs/default/r1/signature.json',
      'runs/default/r1/metrics.json',
    ]);

    const metrics = JSON.parse((await t.store.getObject('runs/default/r1/metrics.json')).toString());
    expect(metrics).toEqual({ accuracy: expect.any(Number), train_items: 600, classes: 3 });
    expect(metrics.accuracy).toBeGreaterThan(0.7);
    const signature = JSON.parse((await t.store.getObject('runs/default/r1/signature.json')).toString());
    expect(signature).toMatchObject({
      format: 'onnx',
      task: 'tabular-classification',
      target: 'cls',
      labels: ['high', 'low', 'mid'],
      inputs: [
        { name: 'x1', type: 'float', shape: ['N', 1] },
        { name: 'x2', type: 'float', shape: ['N', 1] },
      ],
      outputs: [
        { name: 'probabilities', type: 'float', shape: ['N', 3] },
        { name: 'label', type: 'string', shape: ['N'] },
      ],
    });

    const session = await ort.InferenceSession.create(await t.store.getObject('runs/default/r1/model.onnx'));
    expect([...session.inputNames].sort()).toEqual(['x1', 'x2']);
    // Far along the rule 3·x1 − 2·x2 that made the classes, and a row with a missing value.
    const out = await session.run({ x1: column([1.8, -1.8, 0, null]), x2: column([-1.8, 1.8, 0, 0]) });
    expect(Array.from(out.label?.data as string[]).slice(0, 3)).toEqual(['high', 'low', 'mid']);
    const p = out.probabilities?.data as Float32Array;
    for (let i = 0; i < 4; i++)
      expect(p.subarray(3 * i, 3 * i + 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

    const all = await session.run({ x1: column(ROWS.map((r) => r.x1)), x2: column(ROWS.map((r) => r.x2)) });
    const labels = all.label?.data as string[];
    const right = ROWS.filter((r, i) => labels[i] === r.cls).length;
    expect(right / ROWS.length).toBe(metrics.accuracy);

    // A retried Pod finds its outputs in place with the same bytes and finishes without writing.
    const again = await run(t, env);
    expect(again.code).toBe(0);
    expect(logLines(again.stdout).filter((l) => l.msg === 'already uploaded')).toHaveLength(3);
  });

  it('fails with exit 1 and the reason when the target column does not exist', async () => {
    const t = await freshBucket('example-trainer');
    const snapshot = await tabularSnapshot(t);
    const result = await run(t, { BOSUN_INPUT_MANIFEST: snapshot.uri }, [
      '--hyperparameters',
      JSON.stringify({ target: 'species' }),
    ]);
    const message = 'unknown target column "species"; the columns are "x1", "x2", "city", "cls"';
    expect(result.code).toBe(1);
    expect(result.message).toBe(`DatasetInvalid: ${message}`);
    expect(result.stderr).toBe(`error: ${message}\n`);
    expect(logLines(result.stdout).at(-1)).toMatchObject({
      level: 50,
      reason: 'DatasetInvalid',
      msg: message,
    });
    expect(await t.store.list('runs/')).toEqual([]);
  });

  it('refuses a manifest that changed after the run pinned it, before reading any item', async () => {
    const t = await freshBucket('example-trainer');
    const snapshot = await tabularSnapshot(t);
    const result = await run(t, {
      BOSUN_INPUT_MANIFEST: snapshot.uri,
      BOSUN_INPUT_MANIFEST_SHA256: '0'.repeat(64),
    });
    expect(result.code).toBe(1);
    expect(result.message).toMatch(/^ManifestInvalid: manifest sha256 is [0-9a-f]{64}, expected 0{64}/);
    expect(logLines(result.stdout).some((l) => l.msg === 'reading')).toBe(false);
    expect(await t.store.list('runs/')).toEqual([]);
  });
});
