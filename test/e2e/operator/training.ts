// Shared steps for the TrainingRun end-to-end tests: the operator with the data-jobs and trainer
// images, gold data uploaded for a tabular or an image Dataset, a snapshot of it published by the
// Dataset controller, and TrainingRuns.

import { rng, shuffle } from '../../../images/trainer/data/random.ts';
import { API_VERSION } from '../../../operator/api/group.ts';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import type { TrainingRun } from '../../../operator/api/training-run.ts';
import { imageRef } from '../../cluster/local-images.ts';
import { eventually, modelVersionPath } from '../../integration/operator/harness.ts';
import { type SyntheticRow, syntheticRows, toCsv } from '../../unit/trainer/synthetic.ts';
import { stripeImages } from '../../unit/trainer/synthetic-images.ts';
import {
  createDataset,
  type DatasetFixture,
  requestSnapshot,
  snapshotPublished,
  startDatasets,
} from './datasets.ts';
import { type ServingEnv, servingEvents, TABULAR_COLUMNS } from './serving.ts';

/** The arguments every training test gives the operator: the locally built trainer image. */
export const TRAINER_ARGS = [`--trainer-image=${imageRef('trainer')}`];

export function startTraining(
  env: ServingEnv,
  prefix: string,
  extraArgs: string[] = [],
): Promise<DatasetFixture> {
  return startDatasets(env, prefix, [...TRAINER_ARGS, ...extraArgs]);
}

const goldPrefix = (f: DatasetFixture, name: string) => `imports/${f.ns.watched}/gold/${name}/`;
/** The one gold file of a tabular Dataset made by tabularDataset. */
const tabularGoldKey = (f: DatasetFixture, name: string) => `${goldPrefix(f, name)}part-1.csv`;

/**
 * A Dataset whose gold is `rows` synthetic table rows (columns x1, x2, city, cls, score), with a
 * published snapshot; resolves with the snapshot's version.
 */
export async function tabularDataset(
  f: DatasetFixture,
  name: string,
  options: { rows?: number; seed?: number } = {},
): Promise<string> {
  const rows = syntheticRows(options.rows ?? 600, options.seed ?? 1, 3);
  await f.bucket.store.putObject(tabularGoldKey(f, name), toCsv(rows, [...TABULAR_COLUMNS]));
  await createDataset(f, name, {
    format: 'tabular',
    tabular: { labelColumn: 'cls' },
    gold: { uri: `s3://${f.ns.bucket}/${goldPrefix(f, name)}` },
    snapshot: { variants: ['verified', 'full'] },
  });
  await requestSnapshot(f, name, 'first');
  return (await snapshotPublished(f, name)).status?.latestSnapshot?.version as string;
}

/** An imagefolder Dataset whose gold is striped images of a few classes, with a published snapshot. */
export async function imageDataset(f: DatasetFixture, name: string, perClass = 20): Promise<string> {
  const prefix = goldPrefix(f, name);
  for (const file of await stripeImages(perClass, 3))
    await f.bucket.store.putObject(`${prefix}${file.path}`, file.data);
  await createDataset(f, name, { format: 'imagefolder', gold: { uri: `s3://${f.ns.bucket}/${prefix}` } });
  await requestSnapshot(f, name, 'first');
  return (await snapshotPublished(f, name)).status?.latestSnapshot?.version as string;
}

export const trainingRunPath = (namespace: string, name: string) =>
  `/apis/${API_VERSION}/namespaces/${namespace}/trainingruns/${name}`;

export function createTrainingRun(
  f: DatasetFixture,
  name: string,
  spec: Record<string, unknown>,
): Promise<TrainingRun> {
  return f.client.request<TrainingRun>(
    'POST',
    `/apis/${API_VERSION}/namespaces/${f.ns.watched}/trainingruns`,
    {
      body: { apiVersion: API_VERSION, kind: 'TrainingRun', metadata: { name }, spec },
    },
  );
}

export const readTrainingRun = (f: DatasetFixture, name: string) =>
  f.client.request<TrainingRun>('GET', trainingRunPath(f.ns.watched, name));

export function runCondition(run: TrainingRun) {
  return run.status?.conditions?.find((c) => c.type === 'Succeeded');
}

/** The run once its Succeeded condition is True or False with a terminal reason. */
export function finishedRun(f: DatasetFixture, name: string, timeoutMs = 300_000): Promise<TrainingRun> {
  return eventually(
    async () => {
      const run = await readTrainingRun(f, name);
      const c = runCondition(run);
      if (
        !c ||
        c.status === 'Unknown' ||
        !['Succeeded', 'JobFailed', 'DeadlineExceeded', 'ArtifactInvalid'].includes(c.reason)
      )
        throw new Error(`${name} has not finished: ${JSON.stringify(run.status?.conditions)}`);
      return run;
    },
    timeoutMs,
    500,
  );
}

/** A built-in tabular classification run of `model` on Dataset `dataset`. */
export function tabularRunSpec(
  dataset: string,
  model: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    dataset: { name: dataset, snapshot: 'latest', variant: 'full' },
    trainer: {
      builtin: {
        task: 'tabular-classification',
        algorithm: 'logistic',
        hyperparameters: { target: 'cls', columns: { score: 'ignore' } },
      },
    },
    model: { name: model },
    ...extra,
  };
}

export const trainingRunEvents = (f: DatasetFixture, name: string) => servingEvents(f, name, 'TrainingRun');

/**
 * `rows` with the labels of about `share` of them (picked by `seed`) shuffled among themselves:
 * the class counts stay, and with a share of 1 the columns say nothing about the class.
 */
export function withShuffledLabels(rows: SyntheticRow[], share: number, seed: number): SyntheticRow[] {
  const random = rng(seed);
  const picked = rows.flatMap((_, i) => (random() < share ? [i] : []));
  const order = shuffle(Uint32Array.from(picked), random);
  const shuffled = rows.map((row) => ({ ...row }));
  picked.forEach((i, k) => {
    (shuffled[i] as SyntheticRow).cls = (rows[order[k] as number] as SyntheticRow).cls;
  });
  return shuffled;
}

/**
 * Replaces the gold of a Dataset made by tabularDataset with `rows` and publishes a snapshot newer
 * than `after`; resolves with its version. Earlier versions keep the gold they were built from.
 */
export async function tabularSnapshot(
  f: DatasetFixture,
  name: string,
  rows: SyntheticRow[],
  after: string,
): Promise<string> {
  await f.bucket.store.putObject(tabularGoldKey(f, name), toCsv(rows, [...TABULAR_COLUMNS]));
  await requestSnapshot(f, name, `after-${after}`);
  return (await snapshotPublished(f, name, after)).status?.latestSnapshot?.version as string;
}

export const readModelVersion = (f: DatasetFixture, name: string) =>
  f.client.request<ModelVersion>('GET', modelVersionPath(f.ns.watched, name));
