// The monthly loop of a Dataset with a training template, on the real node: each new snapshot
// creates exactly one TrainingRun `<template>-<version>`, which trains on that pinned snapshot and
// registers the next version; the template's promotion puts the first version in production.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import type { TrainingRun } from '../../../operator/api/training-run.ts';
import { eventually, modelVersionPath } from '../../integration/operator/harness.ts';
import { syntheticRows, toCsv } from '../../unit/trainer/synthetic.ts';
import {
  createDataset,
  type DatasetFixture,
  datasetEvents,
  readDataset,
  requestSnapshot,
  snapshotPublished,
} from './datasets.ts';
import { stopServing, TABULAR_COLUMNS } from './serving.ts';
import { finishedRun, runCondition, startTraining } from './training.ts';

const env = inject('environment');
let f: DatasetFixture;

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the training loop test needs a node: ${noNode}`);
  f = await startTraining(env, 'loop');
}, 120_000);

afterAll(async () => {
  await stopServing(env, f);
});

async function runsOf(dataset: string): Promise<TrainingRun[]> {
  const list = await f.client.request<{ items: TrainingRun[] }>(
    'GET',
    `/apis/bosun.dev/v1alpha1/namespaces/${f.ns.watched}/trainingruns`,
    { query: { labelSelector: `bosun.dev/dataset=${dataset}` } },
  );
  return list.items;
}

describe('a Dataset with a training template', () => {
  it('creates one TrainingRun per new snapshot, which trains on it and registers the next version', async () => {
    const gold = `imports/${f.ns.watched}/gold/churn/`;
    await f.bucket.store.putObject(
      `${gold}part-1.csv`,
      toCsv(syntheticRows(400, 5, 3), [...TABULAR_COLUMNS]),
    );
    await createDataset(f, 'churn', {
      format: 'tabular',
      tabular: { labelColumn: 'cls' },
      gold: { uri: `s3://${f.ns.bucket}/${gold}` },
      snapshot: { variants: ['verified', 'full'] },
      training: [
        {
          name: 'churn-monthly',
          variant: 'full',
          spec: {
            trainer: {
              builtin: {
                task: 'tabular-classification',
                hyperparameters: { target: 'cls', columns: { score: 'ignore' } },
              },
            },
            model: { name: 'churn' },
            promotion: { metric: 'accuracy', stage: 'production' },
          },
        },
      ],
    });
    await requestSnapshot(f, 'churn', 'june');
    const first = (await snapshotPublished(f, 'churn')).status?.latestSnapshot?.version as string;
    const name = `churn-monthly-${first}`;
    const run = await finishedRun(f, name);
    expect(runCondition(run)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(run.status?.snapshot).toMatchObject({ version: first, variant: 'full' });
    expect(run.metadata.labels).toMatchObject({
      'bosun.dev/dataset': 'churn',
      'bosun.dev/snapshot': first,
      'bosun.dev/training-template': 'churn-monthly',
    });
    expect(run.status?.promotion).toMatchObject({ promoted: true, stage: 'production' });
    const v1 = await f.client.request<ModelVersion>('GET', modelVersionPath(f.ns.watched, 'churn-v1'));
    expect(v1.spec).toMatchObject({
      stage: 'production',
      source: { trainingRun: name, dataset: { name: 'churn', snapshot: first } },
    });
    expect((await readDataset(f, 'churn')).status?.training).toEqual([
      { name: 'churn-monthly', snapshot: first, trainingRun: name },
    ]);

    // The next snapshot: one more run, the next version; still one run for the first snapshot.
    await requestSnapshot(f, 'churn', 'july');
    const second = (await snapshotPublished(f, 'churn', first)).status?.latestSnapshot?.version as string;
    const next = await finishedRun(f, `churn-monthly-${second}`);
    expect(next.status?.modelVersion).toEqual({ name: 'churn-v2', version: 2 });
    const runs = await eventually(async () => {
      const list = await runsOf('churn');
      if (list.length !== 2) throw new Error(`${list.length} runs`);
      return list;
    }, 10_000);
    expect(runs.map((r) => r.metadata.name).sort()).toEqual(
      [`churn-monthly-${first}`, `churn-monthly-${second}`].sort(),
    );
    const created = (await datasetEvents(f, 'churn')).filter((e) => e.reason === 'TrainingRunCreated');
    expect(created).toHaveLength(2);
  }, 600_000);
});
