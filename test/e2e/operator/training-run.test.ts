// TrainingRuns on the real node: a built-in tabular run and a built-in image run train on
// snapshots the Dataset controller published, register <model>-v1 and -v2 from their outputs
// (copied to models/ on the store's side), and reach Succeeded; `kubectl wait` returns on it; a
// run whose trainer fails ends JobFailed with the trainer's own message.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import { kubectl, modelVersionPath } from '../../integration/operator/harness.ts';
import type { DatasetFixture } from './datasets.ts';
import { stopServing } from './serving.ts';
import {
  createTrainingRun,
  finishedRun,
  imageDataset,
  runCondition,
  startTraining,
  tabularDataset,
  tabularRunSpec,
} from './training.ts';

const env = inject('environment');
let f: DatasetFixture;
let tabularVersion: string;

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the TrainingRun tests need a node: ${noNode}`);
  f = await startTraining(env, 'train');
  tabularVersion = await tabularDataset(f, 'iris');
}, 240_000);

afterAll(async () => {
  await stopServing(env, f);
});

describe('a TrainingRun', () => {
  it('trains on the pinned snapshot, registers <model>-v1 and succeeds; kubectl wait returns on it', async () => {
    await createTrainingRun(f, 'iris-1', tabularRunSpec('iris', 'iris'));
    const wait = await kubectl(env, [
      '-n',
      f.ns.watched,
      'wait',
      '--for=condition=Succeeded',
      '--timeout=300s',
      'trainingrun/iris-1',
    ]);
    expect(wait.code, wait.stderr).toBe(0);
    const run = await finishedRun(f, 'iris-1');
    expect(runCondition(run)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(run.status?.snapshot).toMatchObject({ version: tabularVersion, variant: 'full' });
    expect(run.status?.modelVersion).toEqual({ name: 'iris-v1', version: 1 });
    expect(run.status?.metrics?.accuracy).toBeGreaterThan(0.5);
    expect(run.status?.keyMetric).toMatch(/=/);
    expect(run.status?.startTime).toBeDefined();
    expect(run.status?.completionTime).toBeDefined();
    const mv = await f.client.request<ModelVersion>('GET', modelVersionPath(f.ns.watched, 'iris-v1'));
    expect(mv.spec).toMatchObject({
      model: 'iris',
      version: 1,
      artifact: { uri: `s3://${f.ns.bucket}/models/${f.ns.watched}/iris/1/model.onnx` },
      source: {
        trainingRun: 'iris-1',
        dataset: {
          name: 'iris',
          snapshot: tabularVersion,
          variant: 'full',
          manifestSha256: run.status?.snapshot?.manifest.sha256,
        },
      },
    });
    expect(mv.metadata.ownerReferences ?? []).toEqual([]);
    // Everything the run wrote is under models/, metrics.json included.
    const keys = await f.bucket.store.list(`models/${f.ns.watched}/iris/1/`);
    expect(keys.map((k) => k.split('/').slice(4).join('/'))).toEqual(
      expect.arrayContaining(['model.onnx', 'metrics.json', 'signature.json']),
    );
  }, 400_000);

  it('registers the next version for the next run, here an image model', async () => {
    await imageDataset(f, 'stripes');
    await createTrainingRun(f, 'stripes-1', {
      dataset: { name: 'stripes' },
      trainer: {
        builtin: {
          task: 'image-classification',
          algorithm: 'cnn',
          hyperparameters: { imageSize: 16, epochs: 2 },
        },
      },
      model: { name: 'iris' },
    });
    const run = await finishedRun(f, 'stripes-1');
    expect(runCondition(run)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(run.status?.modelVersion).toEqual({ name: 'iris-v2', version: 2 });
  }, 400_000);

  it("ends JobFailed with the trainer's own message when the trainer fails", async () => {
    await createTrainingRun(f, 'iris-bad', {
      ...tabularRunSpec('iris', 'iris'),
      trainer: { builtin: { task: 'tabular-classification', hyperparameters: { target: 'no_such_column' } } },
    });
    const run = await finishedRun(f, 'iris-bad');
    const c = runCondition(run);
    expect(c).toMatchObject({ status: 'False', reason: 'JobFailed' });
    expect(c?.message).toContain('no_such_column');
    expect(c?.message).not.toMatch(/\n|at .*\.ts:\d+/);
    expect(run.status?.modelVersion).toBeUndefined();
  }, 400_000);
});
