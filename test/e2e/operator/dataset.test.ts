// A Dataset on the real node, from nothing to Ready: a prediction log in PostgreSQL like the
// inference server's (images as blobs in MinIO, one of them corrupt), collected by the Dataset's
// one-minute CronJob into one batch per window, then an on-demand snapshot in both variants whose
// counts match the rows. Collecting the same windows again writes byte-identical batches.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BatchSummary } from '../../../images/data-jobs/collect/summary.ts';
import { eventually, kubectl } from '../../integration/operator/harness.ts';
import {
  batchKeys,
  createDataset,
  type DatasetFixture,
  datasetEvents,
  datasetJobs,
  datasetWhen,
  imageRow,
  manifestItems,
  minutesAgo,
  type PredictionLog,
  type PredictionRow,
  predictionLog,
  predictionLogSpec,
  requestSnapshot,
  snapshotPublished,
  startDatasets,
} from './datasets.ts';
import { createSecret, stopServing } from './serving.ts';

const env = inject('environment');
const NAME = 'pets';
let f: DatasetFixture;
let log: PredictionLog;
const rows: PredictionRow[] = [];
let since: Date;

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the Dataset tests need a node for the data Jobs: ${noNode}`);
  f = await startDatasets(env, 'dataset');
  log = await predictionLog(env.postgres);
  await createSecret(f, 'predictions-db', { url: log.url });
  // Two closed one-minute windows of predictions; the first collection run catches both up.
  since = minutesAgo(3);
  for (let i = 0; i < 12; i++) {
    const at = new Date(since.getTime() + 5_000 + i * 9_000);
    rows.push(await imageRow(f, `p${i}`, at, i % 3 === 0 ? 'dog' : 'cat', i, i % 2 === 0));
  }
  // One prediction whose stored input is not an image.
  const broken = await f.bucket.store.putBlob(f.ns.watched, Buffer.from('not an image at all'));
  rows.push({
    id: 'broken',
    at: new Date(since.getTime() + 50_000).toISOString(),
    label: 'cat',
    verified: true,
    objectKey: broken.key,
  });
  await log.insert(rows);
}, 120_000);

afterAll(async () => {
  await log?.close();
  await stopServing(env, f);
});

describe('a Dataset collecting a prediction log', () => {
  it('collects each window into a batch, leaving the corrupt image out and counting it', async () => {
    await createDataset(f, NAME, predictionLogSpec(f, log, { since }));
    const end = new Date(since.getTime() + 120_000).toISOString();
    const ds = await datasetWhen(
      f,
      NAME,
      (d) => {
        if ((d.status?.lastCollection?.window.end ?? '') < end)
          throw new Error(`not collected up to ${end}: ${JSON.stringify(d.status?.lastCollection)}`);
      },
      240_000,
    );
    expect(ds.status?.conditions?.find((c) => c.type === 'CollectionHealthy')).toMatchObject({
      status: 'True',
    });
    const keys = await batchKeys(f, NAME);
    const manifests = keys.filter((k) => k.endsWith('.jsonl.gz'));
    expect(manifests.length).toBeGreaterThanOrEqual(2);
    const items = (await Promise.all(manifests.map((k) => manifestItems(f, k)))).flat();
    const good = rows.filter((r) => r.id !== 'broken');
    expect(items).toHaveLength(good.length);
    expect(items.filter((i) => i.verified)).toHaveLength(good.filter((r) => r.verified).length);
    expect(new Set(items.map((i) => i.sha256)).size).toBe(good.length);
    const summaries = await Promise.all(
      keys
        .filter((k) => k.endsWith('.json'))
        .map(async (k) => JSON.parse((await f.bucket.store.getObject(k)).toString()) as BatchSummary),
    );
    expect(summaries.reduce((n, s) => n + (s.corrupt ?? 0), 0)).toBe(1);
    expect(summaries.reduce((n, s) => n + s.items, 0)).toBe(good.length);
    // Windows are contiguous, one minute each, from spec.collection.since.
    const windows = summaries.map((s) => s.window).sort((a, b) => a.start.localeCompare(b.start));
    expect(new Date(windows[0]?.start ?? '').getTime()).toBe(since.getTime());
    for (let i = 1; i < windows.length; i++) expect(windows[i]?.start).toBe(windows[i - 1]?.end);
    const events = await datasetEvents(f, NAME);
    expect(events.some((e) => e.reason === 'BatchPublished')).toBe(true);
  }, 300_000);

  it('goes Ready with a verified and a full snapshot built on request, whose counts match the rows', async () => {
    await requestSnapshot(f, NAME, 'first');
    const ds = await snapshotPublished(f, NAME);
    const good = rows.filter((r) => r.id !== 'broken');
    const verified = good.filter((r) => r.verified);
    const count = (list: PredictionRow[], label: string) => list.filter((r) => r.label === label).length;
    const entries = ds.status?.snapshots ?? [];
    const version = ds.status?.latestSnapshot?.version;
    expect(entries.map((s) => [s.version, s.variant])).toEqual([
      [version, 'verified'],
      [version, 'full'],
    ]);
    const [v, full] = entries;
    expect(v).toMatchObject({
      items: verified.length,
      labels: { cat: count(verified, 'cat'), dog: count(verified, 'dog') },
    });
    expect(full).toMatchObject({
      items: good.length,
      labels: { cat: count(good, 'cat'), dog: count(good, 'dog') },
    });
    expect(ds.status?.latestSnapshot).toMatchObject({ items: good.length, verifiedItems: verified.length });
    expect(ds.status?.observedSnapshotRequest).toBe('first');
    // The manifest in status is the one in the store, digest and all.
    const items = await manifestItems(f, (full?.manifest.uri ?? '').replace(`s3://${f.ns.bucket}/`, ''));
    expect(items).toHaveLength(good.length);
    const card = await f.bucket.store.getObject(
      `datasets/${f.ns.watched}/${NAME}/snapshots/${version}/README.md`,
    );
    expect(card.toString()).toContain(NAME);
    // The snapshot is published before its Pod exits: the Job completes a moment later.
    const jobs = await eventually(async () => {
      const list = (await datasetJobs(f, NAME)).filter((j) => j.request !== undefined);
      if (!list.every((j) => j.succeeded)) throw new Error(`not complete yet: ${JSON.stringify(list)}`);
      return list;
    }, 60_000);
    expect(jobs).toEqual([expect.objectContaining({ request: 'first', component: 'dataset-snapshot' })]);
    const events = await datasetEvents(f, NAME);
    expect(events.filter((e) => e.reason === 'SnapshotPublished').map((e) => e.note)).toEqual([
      expect.stringContaining(`Snapshot ${version} published`),
    ]);
  }, 300_000);

  it('writes byte-identical batches when the same windows are collected again', async () => {
    const keys = (await batchKeys(f, NAME)).filter((k) => k.endsWith('.jsonl.gz'));
    const before = new Map<string, Buffer>();
    for (const key of keys) before.set(key, await f.bucket.store.getObject(key));
    // Without its batches the Dataset's next run starts from spec.collection.since again.
    await f.bucket.store.remove(await batchKeys(f, NAME));
    const job = `${NAME}-again`;
    const created = await kubectl(env, [
      '-n',
      f.ns.watched,
      'create',
      'job',
      `--from=cronjob/${NAME}-collect`,
      job,
    ]);
    expect(created.stderr).toBe('');
    const done = await kubectl(env, [
      '-n',
      f.ns.watched,
      'wait',
      '--for=condition=Complete',
      '--timeout=180s',
      `job/${job}`,
    ]);
    expect(done.code, done.stderr).toBe(0);
    for (const [key, bytes] of before)
      expect((await f.bucket.store.getObject(key)).equals(bytes), key).toBe(true);
  }, 300_000);
});
