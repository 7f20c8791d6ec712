// A TrainingRun with a custom container on the real node: the example trainer image
// (test/e2e/images/example-trainer, no Bosun code, its hyperparameters given as args) trains on a
// tabular snapshot the Dataset controller published, and the run registers <model>-v1 and reaches
// Succeeded with the example's own metrics, as a built-in run does; a container run with a target
// column the data lacks ends JobFailed with the example's one-line message, and registers nothing.
import type { V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { imageRef } from '../../cluster/local-images.ts';
import { condition, kubectl, listModelVersions, sha256 } from '../../integration/operator/harness.ts';
import type { DatasetFixture } from './datasets.ts';
import { stopServing } from './serving.ts';
import {
  createTrainingRun,
  finishedRun,
  readModelVersion,
  runCondition,
  startTraining,
  tabularDataset,
  trainingRunEvents,
} from './training.ts';

const env = inject('environment');
const IMAGE = imageRef('example-trainer');
let f: DatasetFixture;
let version: string;

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the TrainingRun tests need a node: ${noNode}`);
  f = await startTraining(env, 'train-box');
  version = await tabularDataset(f, 'table');
}, 240_000);

afterAll(async () => {
  await stopServing(env, f);
});

/** A run of the example trainer on the pinned snapshot, its hyperparameters as its args. */
function exampleRunSpec(hyperparameters: Record<string, unknown>): Record<string, unknown> {
  return {
    dataset: { name: 'table', snapshot: version, variant: 'full' },
    trainer: { container: { image: IMAGE, args: ['--hyperparameters', JSON.stringify(hyperparameters)] } },
    model: { name: 'centroid' },
  };
}

const jobOf = (run: string) =>
  f.client.request<V1Job>('GET', `/apis/batch/v1/namespaces/${f.ns.watched}/jobs/${run}-train`);

describe('a TrainingRun with the example custom trainer', () => {
  it("trains, registers <model>-v1 and succeeds with the example's metrics", async () => {
    // score would give the class away, and city is text, which this trainer leaves out.
    const hyperparameters = { target: 'cls', features: ['x1', 'x2'] };
    await createTrainingRun(f, 'centroid-1', exampleRunSpec(hyperparameters));
    const wait = await kubectl(env, [
      '-n',
      f.ns.watched,
      'wait',
      '--for=condition=Succeeded',
      '--timeout=300s',
      'trainingrun/centroid-1',
    ]);
    expect(wait.code, wait.stderr).toBe(0);
    const run = await finishedRun(f, 'centroid-1');
    expect(runCondition(run)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(run.status?.snapshot).toMatchObject({ version, variant: 'full' });
    expect(run.status?.attempts).toBe(1);
    // The example's metrics.json: accuracy on the training rows, the row count, the classes.
    expect(run.status?.metrics).toEqual({ accuracy: expect.any(Number), train_items: 600, classes: 3 });
    expect(run.status?.metrics?.accuracy).toBeGreaterThan(0.7);
    expect(run.status?.keyMetric).toBe(`accuracy=${run.status?.metrics?.accuracy}`);
    expect(run.status?.modelVersion).toEqual({ name: 'centroid-v1', version: 1 });

    // The user's image and args, the contract's environment, no built-in trainer's.
    const container = (await jobOf('centroid-1')).spec?.template.spec?.containers[0];
    expect(container?.image).toBe(IMAGE);
    expect(container?.args).toEqual(['--hyperparameters', JSON.stringify(hyperparameters)]);
    const envNames = (container?.env ?? []).map((e) => e.name);
    expect(envNames).toEqual(
      expect.arrayContaining(['BOSUN_INPUT_MANIFEST', 'BOSUN_INPUT_MANIFEST_SHA256', 'BOSUN_OUTPUT_PREFIX']),
    );
    expect(envNames).not.toContain('BOSUN_TASK');

    const mv = await readModelVersion(f, 'centroid-v1');
    const model = await f.bucket.store.getObject(`models/${f.ns.watched}/centroid/1/model.onnx`);
    expect(mv.spec).toMatchObject({
      model: 'centroid',
      version: 1,
      stage: 'none',
      artifact: {
        uri: `s3://${f.ns.bucket}/models/${f.ns.watched}/centroid/1/model.onnx`,
        sha256: sha256(model),
        format: 'onnx',
      },
      source: {
        trainingRun: 'centroid-1',
        dataset: {
          name: 'table',
          snapshot: version,
          variant: 'full',
          manifestSha256: run.status?.snapshot?.manifest.sha256,
        },
      },
    });
    expect(mv.metadata.ownerReferences ?? []).toEqual([]);
    // Verified: the ONNX graph the example encoded by hand loads, with the features as inputs.
    expect(condition(mv, 'Ready')?.status).toBe('True');
    expect(mv.status?.signature?.inputs.map((i) => i.name).sort()).toEqual(['x1', 'x2']);
    expect(mv.status?.signature?.outputs.map((o) => o.name).sort()).toEqual(['label', 'probabilities']);
    expect(mv.status?.metrics).toEqual(run.status?.metrics);
    // The run's outputs, copied whole to models/.
    const keys = await f.bucket.store.list(`models/${f.ns.watched}/centroid/1/`);
    expect(keys.map((k) => k.split('/').slice(4).join('/')).sort()).toEqual([
      'metrics.json',
      'model.onnx',
      'signature.json',
    ]);
    const reasons = (await trainingRunEvents(f, 'centroid-1')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['SnapshotPinned', 'JobCreated', 'Registered']));
  }, 400_000);

  it("ends JobFailed with the example's one-line message when the target column does not exist", async () => {
    await createTrainingRun(f, 'centroid-bad', exampleRunSpec({ target: 'species' }));
    const run = await finishedRun(f, 'centroid-bad');
    const c = runCondition(run);
    expect(c).toMatchObject({
      status: 'False',
      reason: 'JobFailed',
      message:
        'the trainer failed (exit code 1): DatasetInvalid: unknown target column "species"; the columns are "x1", "x2", "city", "cls", "score"',
    });
    // Exit 1 is the user's error: the Job fails at once instead of retrying.
    expect(run.status?.attempts).toBe(1);
    expect(run.status?.completionTime).toBeDefined();
    expect(run.status?.modelVersion).toBeUndefined();
    const failed = (await trainingRunEvents(f, 'centroid-bad')).filter((e) => e.reason === 'RunFailed');
    expect(failed).toMatchObject([{ type: 'Warning', note: `JobFailed: ${c?.message}` }]);
    expect(await f.bucket.store.list(`runs/${f.ns.watched}/centroid-bad/`)).toEqual([]);
    const versions = (await listModelVersions(f.client, f.ns.watched)).map((mv) => mv.metadata.name);
    expect(versions).toEqual(['centroid-v1']);
  }, 400_000);
});
