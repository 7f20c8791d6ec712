// Missed collection windows are caught up, one batch each: a prediction log gets rows in every
// minute while a one-minute Dataset collects it; after its first batch the operator is stopped
// (SIGTERM) and the collection CronJob suspended behind its back, for at least three ticks. The
// operator, started again, restores the CronJob from the spec (unsuspended); its next run finds
// the missed windows from the store (decision 0013) and publishes each as its own batch, so every
// row is collected exactly once and the windows stay contiguous.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BatchSummary } from '../../../images/data-jobs/collect/summary.ts';
import type { Dataset } from '../../../operator/api/dataset.ts';
import { eventually, kubectl, sleep } from '../../integration/operator/harness.ts';
import {
  batchKeys,
  createDataset,
  type DatasetFixture,
  datasetCondition,
  datasetCronJobs,
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
  restartOperator,
  startDatasets,
} from './datasets.ts';
import { createSecret, stopServing } from './serving.ts';

const env = inject('environment');
const NAME = 'feed';
const MINUTE = 60_000;
/** A new prediction this often, so that every one-minute window has rows. */
const ROW_INTERVAL_MS = 10_000;
let f: DatasetFixture;
let log: PredictionLog;
const rows: PredictionRow[] = [];
let since: Date;
let inserting = true;
let inserter: Promise<void> = Promise.resolve();

async function addRow(at: Date): Promise<void> {
  const n = rows.length;
  const row = await imageRow(f, `r${n}`, at, n % 3 === 0 ? 'dog' : 'cat', 100 + n, n % 2 === 0);
  await log.insert([row]);
  rows.push(row);
}

/** Predictions as the inference server logs them: one every ROW_INTERVAL_MS, at the time of writing. */
async function insertRows(): Promise<void> {
  while (inserting) {
    await addRow(new Date());
    await sleep(ROW_INTERVAL_MS);
  }
}

const minuteFloor = (t: number) => Math.floor(t / MINUTE) * MINUTE;

async function summaries(): Promise<BatchSummary[]> {
  const keys = (await batchKeys(f, NAME)).filter((k) => k.endsWith('.json'));
  const all = await Promise.all(
    keys.map(async (k) => JSON.parse((await f.bucket.store.getObject(k)).toString()) as BatchSummary),
  );
  return all.sort((a, b) => a.window.start.localeCompare(b.window.start));
}

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the Dataset tests need a node for the data Jobs: ${noNode}`);
  f = await startDatasets(env, 'ds-catchup');
  log = await predictionLog(env.postgres);
  await createSecret(f, 'predictions-db', { url: log.url });
  // The minute before this one has rows too: the first run collects it as well.
  since = minutesAgo(1);
  for (let at = since.getTime() + 5_000; at < Date.now(); at += ROW_INTERVAL_MS) await addRow(new Date(at));
  inserter = insertRows();
}, 120_000);

afterAll(async () => {
  inserting = false;
  await inserter.catch(() => undefined);
  await log?.close();
  await stopServing(env, f);
});

describe('missed collection windows', () => {
  it('a gap of three windows (operator stopped, CronJob suspended) is caught up as three batches', async () => {
    await createDataset(f, NAME, predictionLogSpec(f, log, { since }));
    await datasetWhen(
      f,
      NAME,
      (d) => {
        if (!d.status?.lastCollection) throw new Error(`no batch yet: ${JSON.stringify(d.status)}`);
      },
      150_000,
    );

    // The gap: no operator, and the CronJob suspended directly, as a person might do.
    f.operator.kill('SIGTERM');
    await f.operator.exited;
    const patched = await kubectl(env, [
      '-n',
      f.ns.watched,
      'patch',
      'cronjob',
      `${NAME}-collect`,
      '--type=merge',
      '-p',
      '{"spec":{"suspend":true}}',
    ]);
    expect(patched.code, patched.stderr).toBe(0);
    const suspendedAt = Date.now();
    // The first three ticks after the suspension fire no Job.
    const missed = [1, 2, 3].map((i) => new Date(minuteFloor(suspendedAt) + i * MINUTE).toISOString());
    const lastMissed = new Date(missed[2] as string).getTime();
    await sleep(lastMissed + 5_000 - Date.now());
    const jobsInGap = (await datasetJobs(f, NAME)).length;
    const inGap = await summaries();
    // Whatever a run that had started before the suspension published ends before it.
    expect(inGap.filter((s) => new Date(s.window.end).getTime() > suspendedAt)).toEqual([]);

    await restartOperator(env, f);
    const resumedAt = Date.now();
    // The operator restores the CronJob from the spec.
    const restored = await eventually(async () => {
      const [cronJob] = await datasetCronJobs(f, NAME);
      if (cronJob?.spec?.suspend !== false)
        throw new Error(`still suspended: ${JSON.stringify(cronJob?.spec)}`);
      return cronJob;
    }, 60_000);
    expect(restored.metadata?.name).toBe(`${NAME}-collect`);
    // The latest window due when the operator came back.
    const latest = new Date(minuteFloor(resumedAt)).toISOString();
    const ds: Dataset = await datasetWhen(
      f,
      NAME,
      (d) => {
        if ((d.status?.lastCollection?.window.end ?? '') < latest)
          throw new Error(`not caught up to ${latest}: ${JSON.stringify(d.status?.lastCollection)}`);
        if (datasetCondition(d, 'CollectionHealthy')?.status !== 'True')
          throw new Error(`collection not healthy: ${JSON.stringify(d.status?.conditions)}`);
      },
      150_000,
    );
    inserting = false;
    await inserter;

    expect(datasetCondition(ds, 'CollectionHealthy')).toMatchObject({ status: 'True', reason: 'Collected' });
    const all = await summaries();
    const end = all[all.length - 1]?.window.end ?? '';
    expect(ds.status?.lastCollection?.window.end).toBe(end);
    // One batch per window, one minute each, contiguous from spec.collection.since.
    expect(all[0]?.window.start).toBe(since.toISOString());
    for (const [i, s] of all.entries()) {
      expect(new Date(s.window.end).getTime() - new Date(s.window.start).getTime(), s.window.start).toBe(
        MINUTE,
      );
      if (i > 0) expect(s.window.start).toBe(all[i - 1]?.window.end);
    }
    const ends = all.map((s) => s.window.end);
    expect(new Set(ends).size).toBe(ends.length);
    // The missed windows each became a batch, and each of them has rows.
    for (const e of missed) {
      const batch = all.find((s) => s.window.end === e);
      expect(batch, `the window ending ${e}`).toBeDefined();
      expect(batch?.items, `the window ending ${e}`).toBeGreaterThan(0);
    }
    // Published by the first run after the restart (none before it reached the missed windows):
    // its Event says how many windows it caught up.
    const caughtUp = (await datasetEvents(f, NAME))
      .filter((e) => e.reason === 'BatchPublished')
      .map((e) => /^Collected (\d+) window\(s\) up to (\S+):/.exec(e.note))
      .filter((m): m is RegExpExecArray => m !== null && (m[2] ?? '') >= (missed[2] as string))
      .map((m) => Number(m[1]));
    expect(caughtUp[0]).toBeGreaterThanOrEqual(3);
    expect((await datasetJobs(f, NAME)).length).toBeGreaterThan(jobsInGap);

    // Every row of a collected window exactly once; none of a later one.
    const items = (
      await Promise.all(all.map((s) => manifestItems(f, s.manifest.uri.replace(`s3://${f.ns.bucket}/`, ''))))
    ).flat();
    const ids = items.map((i) => String(i.attributes.id)).sort();
    const expected = rows
      .filter((r) => r.at < end)
      .map((r) => r.id)
      .sort();
    expect(ids).toEqual(expected);
    expect(items.every((i) => i.source === 'served')).toBe(true);
  }, 480_000);
});
