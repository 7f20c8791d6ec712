// PostgreSQL cut off between two collections, on the real node: the Dataset's connection Secret
// points at a TCP proxy to the prediction log's database on the node's address. After the first
// batch the proxy goes down and more predictions come in; the next collection fails and the
// Dataset says so (Ready=False with SourceUnavailable, a CollectionFailed Warning). Once the proxy
// is back the retried Job and the next runs collect everything: every row in exactly one batch,
// the windows contiguous from spec.collection.since.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BatchSummary } from '../../../images/data-jobs/collect/summary.ts';
import type { Dataset } from '../../../operator/api/dataset.ts';
import { eventually } from '../../integration/operator/harness.ts';
import { startTcpProxy, type TcpProxy } from '../../integration/tcp-proxy.ts';
import {
  batchKeys,
  createDataset,
  type DatasetFixture,
  datasetCondition,
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
  startDatasets,
} from './datasets.ts';
import { publishingProblems } from './publishing-order.ts';
import { createSecret, stopServing } from './serving.ts';

const env = inject('environment');
const NAME = 'served';
const MINUTE = 60_000;
let f: DatasetFixture;
let proxy: TcpProxy;
let log: PredictionLog;
const rows: PredictionRow[] = [];
let since: Date;

async function addRows(count: number, at: () => Date): Promise<void> {
  for (let i = 0; i < count; i++) {
    const n = rows.length;
    const row = await imageRow(f, `r${n}`, at(), n % 3 === 0 ? 'dog' : 'cat', 700 + n, n % 2 === 0);
    await log.insert([row]);
    rows.push(row);
  }
}

const nextTick = (t: number) => new Date(Math.floor(t / MINUTE) * MINUTE + MINUTE).toISOString();

function collectedUpTo(end: string) {
  return (ds: Dataset) => {
    if ((ds.status?.lastCollection?.window.end ?? '') < end)
      throw new Error(`not collected up to ${end}: ${JSON.stringify(ds.status?.lastCollection)}`);
  };
}

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode || !env.node) throw new Error(`the Dataset tests need a node for the data Jobs: ${noNode}`);
  // Pods reach host services at the node's address only.
  proxy = await startTcpProxy({ host: env.postgres.host, port: env.postgres.port }, env.node.address);
  f = await startDatasets(env, 'ds-source');
  const url = new URL(env.postgres.url);
  url.host = `${proxy.host}:${proxy.port}`;
  log = await predictionLog(env.postgres, { urlForJobs: url.toString() });
  await createSecret(f, 'predictions-db', { url: log.url });
  since = minutesAgo(1);
  const start = since.getTime();
  await addRows(4, () => new Date(start + 5_000 + rows.length * 10_000));
}, 120_000);

afterAll(async () => {
  await log?.close();
  await stopServing(env, f);
  await proxy?.close();
});

describe('PostgreSQL down between two collections', () => {
  it('fails the next collection with SourceUnavailable, then collects every row exactly once', async () => {
    await createDataset(f, NAME, predictionLogSpec(f, log, { since }));
    // The first run, at the next tick, catches up the windows since `since`.
    await datasetWhen(f, NAME, collectedUpTo(nextTick(Date.now())), 150_000);

    await proxy.down();
    // Predictions keep coming while the database cannot be reached from the node.
    await addRows(3, () => new Date());
    const failing = await datasetWhen(
      f,
      NAME,
      (ds) => {
        expect(datasetCondition(ds, 'Ready')).toMatchObject({ status: 'False', reason: 'SourceUnavailable' });
      },
      150_000,
    );
    expect(datasetCondition(failing, 'CollectionHealthy')).toMatchObject({
      status: 'False',
      reason: 'SourceUnavailable',
      message: expect.stringMatching(/attempt \d+ failed, retrying/),
    });
    const ready = datasetCondition(failing, 'Ready');
    console.log(`while PostgreSQL was cut: Ready ${ready?.reason}: ${ready?.message}`);
    // The message says what failed, without the connection URL or its password.
    const password = new URL(env.postgres.url).password;
    expect(JSON.stringify(failing.status)).not.toContain(password);
    expect(ready?.message).not.toMatch(/\n\s+at /);
    const warning = await eventually(async () => {
      const events = await datasetEvents(f, NAME);
      const found = events.find((e) => e.type === 'Warning' && e.reason === 'CollectionFailed');
      if (!found)
        throw new Error(`no CollectionFailed Event yet: ${JSON.stringify(events.map((e) => e.reason))}`);
      return found;
    }, 30_000);
    expect(warning.note).toMatch(/^SourceUnavailable: /);
    expect(warning.note).not.toContain(password);

    await proxy.up();
    await addRows(3, () => new Date());
    const lastRow = Date.parse(rows.at(-1)?.at ?? '');
    const ds = await datasetWhen(f, NAME, collectedUpTo(nextTick(lastRow)), 240_000);
    expect(datasetCondition(ds, 'CollectionHealthy')).toMatchObject({ status: 'True', reason: 'Collected' });
    // No snapshot was asked for: Ready waits for one, no longer for the database.
    expect(datasetCondition(ds, 'Ready')).toMatchObject({ status: 'False', reason: 'AwaitingSnapshot' });
    // The failed collection was retried by its Job, not given up.
    const jobs = await datasetJobs(f, NAME);
    expect(jobs.some((j) => j.failed > 0 && j.succeeded)).toBe(true);

    // Every row exactly once across the batches, none lost, none twice.
    const keys = await batchKeys(f, NAME);
    const items = (
      await Promise.all(keys.filter((k) => k.endsWith('.jsonl.gz')).map((k) => manifestItems(f, k)))
    ).flat();
    const ids = items.map((i) => String(i.attributes.id)).sort();
    expect(ids).toEqual(rows.map((r) => r.id).sort());
    // One batch per one-minute window, contiguous from spec.collection.since.
    const windows = (
      await Promise.all(
        keys
          .filter((k) => k.endsWith('.json'))
          .map(async (k) => JSON.parse((await f.bucket.store.getObject(k)).toString()) as BatchSummary),
      )
    )
      .map((s) => s.window)
      .sort((a, b) => a.start.localeCompare(b.start));
    expect(windows[0]?.start).toBe(since.toISOString());
    for (const [i, w] of windows.entries()) {
      expect(Date.parse(w.end) - Date.parse(w.start)).toBe(MINUTE);
      if (i > 0) expect(w.start).toBe(windows[i - 1]?.end);
    }
    expect(await publishingProblems(f, NAME, ['verified', 'full'])).toEqual([]);
  }, 420_000);
});
