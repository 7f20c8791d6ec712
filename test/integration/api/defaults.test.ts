// Defaults live in the schema: the API server writes them into every object it stores, so what a
// user reads back is what is in effect, and they are exactly the defaults the TypeScript types
// promise the operator.
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { DatasetSpec } from '../../../operator/api/dataset.ts';
import { InferenceServiceSpec } from '../../../operator/api/inference-service.ts';
import { ModelVersionSpec } from '../../../operator/api/model-version.ts';
import { TrainingRunSpec } from '../../../operator/api/training-run.ts';
import { create, read, useNamespace } from './cluster.ts';
import { changed, dataset, inferenceService, modelVersion, trainingRun } from './minimal-objects.ts';

const namespace = useNamespace('api-defaults');

async function roundTrip(object: Parameters<typeof create>[1]) {
  await create(namespace.name, object);
  return read(namespace.name, object.kind, object.metadata.name);
}

describe('defaults', () => {
  it('fill a Dataset: collection and snapshot time zones, variants, retention', async () => {
    const object = changed(dataset('defaults'), (o) => {
      o.spec.sources = [
        {
          name: 'feedback',
          postgres: {
            connectionSecret: { name: 'db' },
            query: 'SELECT * FROM p WHERE t >= $1 AND t < $2',
            columns: { id: 'id', label: 'label', objectKey: 'key' },
            images: { uri: 's3://bosun/inputs/' },
          },
        },
        { name: 'drop', s3: { uri: 's3://bosun/drop/' } },
      ];
      o.spec.collection = { schedule: '0 2 * * *' };
    });
    const { spec } = await roundTrip(object);
    expect(spec).toMatchObject({
      collection: { schedule: '0 2 * * *', timeZone: 'Etc/UTC', suspend: false },
      snapshot: { timeZone: 'Etc/UTC', variants: ['verified', 'full'] },
      retention: { snapshots: 12 },
      sources: [
        { postgres: { connectionSecret: { name: 'db' }, columns: { objectKey: 'key' } } },
        { s3: { uri: 's3://bosun/drop/' } },
      ],
    });
    expect(spec).toEqual(Value.Default(DatasetSpec, structuredClone(object.spec)));
  });

  it('fill a TrainingRun: latest verified snapshot, one retry, promotion direction and margin', async () => {
    const object = changed(
      trainingRun('defaults'),
      (o) => (o.spec.promotion = { metric: 'accuracy', stage: 'staging' }),
    );
    const { spec } = await roundTrip(object);
    expect(spec).toMatchObject({
      dataset: { name: 'pets', snapshot: 'latest', variant: 'verified' },
      backoffLimit: 1,
      promotion: { metric: 'accuracy', stage: 'staging', direction: 'maximize', minDelta: 0 },
    });
    expect(spec).not.toHaveProperty('activeDeadlineSeconds');
    expect(spec).toEqual(Value.Default(TrainingRunSpec, structuredClone(object.spec)));
  });

  it('fill a ModelVersion: stage none, artifact kept on deletion, ONNX format', async () => {
    const object = modelVersion('defaults', 1);
    const { spec } = await roundTrip(object);
    expect(spec).toMatchObject({ stage: 'none', deletionPolicy: 'Retain', artifact: { format: 'onnx' } });
    expect(spec).toEqual(Value.Default(ModelVersionSpec, structuredClone(object.spec)));
  });

  it('fill an InferenceService: server settings, preprocessing, autoscaling and logging (no replicas beside autoscaling)', async () => {
    const object = changed(inferenceService('defaults'), (o) => {
      o.spec.autoscaling = { maxReplicas: 4, targetCPUUtilization: 80 };
      o.spec.preprocessing = { size: { width: 224, height: 224 } };
      o.spec.predictionLog = { connectionSecret: { name: 'db' } };
    });
    const { spec } = await roundTrip(object);
    expect(spec.replicas).toBeUndefined();
    expect(spec).toMatchObject({
      autoscaling: { minReplicas: 1, maxReplicas: 4 },
      preprocessing: { fit: 'cover', channelOrder: 'RGB', layout: 'NCHW', mean: [0, 0, 0], std: [1, 1, 1] },
      server: {
        batching: { maxBatchSize: 1, maxLatencyMilliseconds: 5 },
        threads: { intraOp: 1, interOp: 1 },
        maxRequestBytes: 10485760,
        maxConcurrency: 64,
        timeoutSeconds: 30,
      },
      predictionLog: { connectionSecret: { name: 'db' }, table: 'predictions', storeInputs: true },
    });
    expect(spec).toEqual(Value.Default(InferenceServiceSpec, structuredClone(object.spec)));
  });

  it('never overwrite what the user set', async () => {
    const object = changed(inferenceService('explicit'), (o) => {
      o.spec.replicas = 0;
      o.spec.server = { batching: { maxBatchSize: 16 } };
    });
    const { spec } = await roundTrip(object);
    expect(spec).toMatchObject({
      replicas: 0,
      server: { batching: { maxBatchSize: 16, maxLatencyMilliseconds: 5 } },
    });
  });
});
