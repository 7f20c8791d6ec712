// Shared steps for the Dataset end-to-end tests: the operator as a host process with the locally
// built data-jobs image, a prediction log in the real PostgreSQL shaped like the inference
// server's (one table per test) whose images are blobs in the real MinIO, Datasets and their
// on-demand snapshot requests, and what the store holds for a Dataset.
import type { V1CronJob } from '@kubernetes/client-node';
import pg from 'pg';
import { createTableStatements } from '../../../images/inference-server/prediction-table.ts';
import { batchesPrefix, snapshotsPrefix } from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import type { Dataset } from '../../../operator/api/dataset.ts';
import { API_VERSION, SNAPSHOT_REQUESTED_ANNOTATION } from '../../../operator/api/group.ts';
import { imageRef } from '../../cluster/local-images.ts';
import { jpeg } from '../../integration/data-jobs/helpers.ts';
import { eventually, startOperator } from '../../integration/operator/harness.ts';
import {
  SERVING_ARGS,
  type ServingEnv,
  type ServingFixture,
  servingEvents,
  startServing,
} from './serving.ts';

/** The arguments every Dataset test gives the operator: the locally built data-jobs image. */
export const DATA_JOBS_ARGS = [`--data-jobs-image=${imageRef('data-jobs')}`];

export type DatasetFixture = ServingFixture;

export function startDatasets(
  env: ServingEnv,
  prefix: string,
  extraArgs: string[] = [],
): Promise<DatasetFixture> {
  return startServing(env, prefix, [...DATA_JOBS_ARGS, ...extraArgs]);
}

export const datasetPath = (namespace: string, name: string) =>
  `/apis/${API_VERSION}/namespaces/${namespace}/datasets/${name}`;

export async function createDataset(
  f: DatasetFixture,
  name: string,
  spec: Record<string, unknown>,
): Promise<Dataset> {
  return f.client.request<Dataset>('POST', `/apis/${API_VERSION}/namespaces/${f.ns.watched}/datasets`, {
    body: { apiVersion: API_VERSION, kind: 'Dataset', metadata: { name }, spec },
  });
}

export const readDataset = (f: DatasetFixture, name: string) =>
  f.client.request<Dataset>('GET', datasetPath(f.ns.watched, name));

export async function patchDataset(
  f: DatasetFixture,
  name: string,
  patch: Record<string, unknown>,
): Promise<Dataset> {
  return f.client.request<Dataset>('PATCH', datasetPath(f.ns.watched, name), {
    body: patch,
    contentType: 'application/merge-patch+json',
  });
}

/** Sets bosun.dev/snapshot-requested to `value`. */
export function requestSnapshot(f: DatasetFixture, name: string, value: string): Promise<Dataset> {
  return patchDataset(f, name, { metadata: { annotations: { [SNAPSHOT_REQUESTED_ANNOTATION]: value } } });
}

export function datasetCondition(ds: Dataset, type: string) {
  return ds.status?.conditions?.find((c) => c.type === type);
}

/** Polls the Dataset until `test` holds (it throws to say why not yet). */
export function datasetWhen(
  f: DatasetFixture,
  name: string,
  test: (ds: Dataset) => void,
  timeoutMs = 180_000,
): Promise<Dataset> {
  return eventually(async () => {
    const ds = await readDataset(f, name);
    test(ds);
    return ds;
  }, timeoutMs);
}

/** The Dataset once Ready=True for its current generation with a snapshot newer than `after`. */
export function snapshotPublished(
  f: DatasetFixture,
  name: string,
  after = '',
  timeoutMs = 180_000,
): Promise<Dataset> {
  return datasetWhen(
    f,
    name,
    (ds) => {
      const ready = datasetCondition(ds, 'Ready');
      const latest = ds.status?.latestSnapshot?.version ?? '';
      if (ready?.status !== 'True' || ready.observedGeneration !== ds.metadata.generation || latest <= after)
        throw new Error(
          `${name}: no snapshot after ${after || 'none'} yet: ${JSON.stringify(ds.status?.conditions)}`,
        );
    },
    timeoutMs,
  );
}

export const datasetEvents = (f: DatasetFixture, name: string) => servingEvents(f, name, 'Dataset');

export interface DatasetJob {
  name: string;
  component: string;
  request?: string;
  succeeded: boolean;
  failed: number;
}

/** The Jobs of the Dataset `name` (CronJob runs and on-demand snapshots), by their labels. */
export async function datasetJobs(f: DatasetFixture, name: string): Promise<DatasetJob[]> {
  const list = await f.client.request<{
    items: {
      metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
      status?: { succeeded?: number; failed?: number };
    }[];
  }>('GET', `/apis/batch/v1/namespaces/${f.ns.watched}/jobs`, {
    query: { labelSelector: `bosun.dev/owner-kind=dataset,app.kubernetes.io/instance=${name}` },
  });
  return list.items.map((j) => ({
    name: j.metadata.name,
    component: j.metadata.labels?.['app.kubernetes.io/component'] ?? '',
    ...(j.metadata.annotations?.['bosun.dev/snapshot-request'] === undefined
      ? {}
      : { request: j.metadata.annotations['bosun.dev/snapshot-request'] }),
    succeeded: (j.status?.succeeded ?? 0) > 0,
    failed: j.status?.failed ?? 0,
  }));
}

/** Keys under the Dataset's batches/ (window manifests and summaries), sorted. */
export async function batchKeys(f: DatasetFixture, dataset: string): Promise<string[]> {
  return (await f.bucket.store.list(batchesPrefix(f.ns.watched, dataset))).sort();
}

/** Keys under the Dataset's snapshots/, sorted. */
export async function snapshotKeys(f: DatasetFixture, dataset: string): Promise<string[]> {
  return (await f.bucket.store.list(snapshotsPrefix(f.ns.watched, dataset))).sort();
}

export async function manifestItems(f: DatasetFixture, key: string): Promise<ManifestItem[]> {
  const items: ManifestItem[] = [];
  for await (const item of f.bucket.store.readManifest(key)) items.push(item);
  return items;
}

export interface PredictionRow {
  id: string;
  /** created_at, RFC 3339. */
  at: string;
  label: string;
  verified: boolean;
  /** Object key of the image in the operator's bucket. */
  objectKey: string;
}

/** A prediction log table of the inference server's shape, in the test PostgreSQL. */
export interface PredictionLog {
  table: string;
  /** The connection URL the data jobs get through the Secret (the database's, or a proxy's). */
  url: string;
  insert(rows: PredictionRow[]): Promise<void>;
  close(): Promise<void>;
}

export async function predictionLog(
  database: { url: string },
  options: { urlForJobs?: string } = {},
): Promise<PredictionLog> {
  const table = `predictions_${Math.random().toString(36).slice(2, 10)}`;
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  for (const statement of createTableStatements(table)) await db.query(statement);
  return {
    table,
    url: options.urlForJobs ?? database.url,
    async insert(rows) {
      for (const r of rows)
        await db.query(
          `INSERT INTO ${table} (id, created_at, model, model_version, object_key, output, predicted_label, label, confidence, verified)
           VALUES ($1, $2, 'pets', '1', $3, '{}', $4, $4, 0.9, $5)`,
          [r.id, r.at, r.objectKey, r.label, r.verified],
        );
    },
    close: () => db.end(),
  };
}

/** A row whose image is a blob of the namespace, as the inference server stores an input. */
export async function imageRow(
  f: DatasetFixture,
  id: string,
  at: Date,
  label: string,
  seed: number,
  verified = false,
): Promise<PredictionRow> {
  const blob = await f.bucket.store.putBlob(f.ns.watched, await jpeg(seed));
  return { id, at: at.toISOString(), label, verified, objectKey: blob.key };
}

/** The spec of an imagefolder Dataset collecting the prediction log every minute. */
export function predictionLogSpec(
  f: DatasetFixture,
  log: PredictionLog,
  options: { since: Date; secret?: string; schedule?: string },
): Record<string, unknown> {
  return {
    format: 'imagefolder',
    sources: [
      {
        name: 'served',
        postgres: {
          connectionSecret: { name: options.secret ?? 'predictions-db' },
          query: `SELECT id, label, verified, confidence, object_key FROM ${log.table} WHERE created_at >= $1 AND created_at < $2`,
          columns: {
            id: 'id',
            label: 'label',
            verified: 'verified',
            confidence: 'confidence',
            objectKey: 'object_key',
          },
          images: { uri: `s3://${f.ns.bucket}/` },
        },
      },
    ],
    collection: {
      schedule: options.schedule ?? '* * * * *',
      timeZone: 'Etc/UTC',
      since: options.since.toISOString(),
    },
    snapshot: { variants: ['verified', 'full'] },
  };
}

/** The start of the current minute, minus `minutes`. */
export function minutesAgo(minutes: number): Date {
  const now = Date.now();
  return new Date(Math.floor(now / 60_000) * 60_000 - minutes * 60_000);
}

/** Starts the fixture's operator again after it was stopped, with the arguments startDatasets gives it. */
export async function restartOperator(
  env: ServingEnv,
  f: DatasetFixture,
  extraArgs: string[] = [],
): Promise<void> {
  f.operator = await startOperator(env, f.ns, {
    extraArgs: [...SERVING_ARGS, ...DATA_JOBS_ARGS, ...extraArgs],
  });
}

/** The CronJobs of the Dataset `name`, by their labels. */
export async function datasetCronJobs(f: DatasetFixture, name: string): Promise<V1CronJob[]> {
  const list = await f.client.request<{ items: V1CronJob[] }>(
    'GET',
    `/apis/batch/v1/namespaces/${f.ns.watched}/cronjobs`,
    { query: { labelSelector: `bosun.dev/owner-kind=dataset,app.kubernetes.io/instance=${name}` } },
  );
  return list.items;
}

/**
 * Uploads one small JPEG per entry to `<prefix><label>/<seed>.jpg` of the operator's bucket (gold
 * data or an s3 source's objects); returns the keys.
 */
export async function uploadImages(
  f: DatasetFixture,
  prefix: string,
  images: { label: string; seed: number }[],
): Promise<string[]> {
  const keys: string[] = [];
  for (const { label, seed } of images) {
    const key = `${prefix}${label}/${seed}.jpg`;
    await f.bucket.store.putObject(key, await jpeg(seed), 'image/jpeg');
    keys.push(key);
  }
  return keys;
}
